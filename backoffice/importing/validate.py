"""Validate the rows of an upload against the BPU registration rules.

Pure: reference data (regency codes, income levels, registration ages) and
the lookup of NIKs already known to the system come in through
ValidationContext, so the rules can be tested without a database and the
lead decides where the data lives.
Every problem of a row is reported, so a clerk fixes a row once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from typing import Any

from ..rules.eligibility import (
    BORN_AFTER_REGISTRATION,
    TOO_YOUNG,
    AgeBounds,
    registration_age_finding,
)
from ..rules.regencies import regency_in_address, regency_named
from ..rules.sectors import SectorTerms, sector_named
from .columns import HEADERS
from .messages import Message
from .messages import lazy_message as _l
from .nik import checked_nik
from .parsers import (
    ParseError,
    clean_text,
    is_blank,
    parse_date,
    parse_income,
    parse_phone,
    parse_programmes,
    parse_sex,
    quote,
)
from .reader import SourceRow

#: Statuses ``existing_niks`` may return.
MEMBER = "member"
PENDING = "pending"

#: Lookup of already-known NIKs: a chunk of NIKs in, {nik: MEMBER|PENDING} out
#: for those the system already knows.
ExistingNiks = Callable[[list[str]], Mapping[str, str]]


def _nothing_known(niks: list[str]) -> Mapping[str, str]:
    return {}


@dataclass(frozen=True, kw_only=True)
class ValidationContext:
    """What the rules need to know about the world."""

    registration_date: date
    #: 4-digit province+regency codes (Kemendagri), e.g. "3604"
    known_regencies: frozenset[str]
    #: reference income levels in whole rupiah
    income_levels: frozenset[int]
    #: the registration ages in force on the registration date (at least 15, under 65)
    registration_ages: AgeBounds
    #: the sectors in their order with their words (an explicit Sektor column names one)
    sectors: tuple[SectorTerms, ...] = ()
    #: ``rules.regencies.regency_lookup`` of the Kemendagri list (a Domisili column names one)
    domiciles: Mapping[str, str] = dataclass_field(default_factory=dict)
    existing_niks: ExistingNiks = _nothing_known
    #: rows per existing_niks call: one query per chunk, never one per row
    chunk_size: int = 1000
    required_programmes: frozenset[str] = frozenset({"JKK", "JKM"})
    optional_programmes: frozenset[str] = frozenset({"JHT"})
    max_name_length: int = 100
    max_address_length: int = 255
    max_occupation_length: int = 100

    def __post_init__(self) -> None:
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a row: the column as the user knows it, and why."""

    column: str
    message: Message
    #: canonical field ("nik", "name", ...), for programs
    field: str = ""

    def __str__(self) -> str:
        return f"{self.column}: {self.message}"


@dataclass(slots=True)
class ValidatedRow:
    number: int
    #: normalised values when the row is valid, else None
    values: dict[str, Any] | None
    problems: list[Problem]
    #: the cells as read, for the error report
    original: list[Any]

    @property
    def valid(self) -> bool:
        return not self.problems


def validate_rows(rows: Iterable[SourceRow], ctx: ValidationContext) -> Iterator[ValidatedRow]:
    """Validate rows lazily, in order.

    Rows are held back in chunks of ``ctx.chunk_size`` so that the NIKs of a
    chunk are looked up with one ``existing_niks`` call. Only the NIKs seen so
    far (for duplicates) are kept for the whole file.
    """
    checker = _RowChecker(ctx)
    first_row_of: dict[str, int] = {}
    pending: list[tuple[ValidatedRow, str | None]] = []
    for row in rows:
        result, nik = checker.check(row)
        if nik is not None:
            first = first_row_of.setdefault(nik, row.number)
            if first != row.number:
                _add_nik_problem(
                    result,
                    _l("This NIK already appears in row %(row)s of this file.", row=first),
                )
                # The first occurrence is looked up; this one is already refused.
                nik = None
        pending.append((result, nik))
        if len(pending) >= ctx.chunk_size:
            yield from _finish_chunk(pending, ctx)
            pending = []
    if pending:
        yield from _finish_chunk(pending, ctx)


def _finish_chunk(
    pending: list[tuple[ValidatedRow, str | None]], ctx: ValidationContext
) -> Iterator[ValidatedRow]:
    niks = [nik for _result, nik in pending if nik is not None]
    known = ctx.existing_niks(niks) if niks else {}
    for result, nik in pending:
        if nik is not None and nik in known:
            _add_nik_problem(result, _existing_message(known[nik]))
        if result.problems:
            result.values = None
        yield result


def _existing_message(status: str) -> Message:
    if status == MEMBER:
        return _l("This NIK is already registered as a BPJS Ketenagakerjaan member.")
    if status == PENDING:
        return _l("This NIK is already waiting for verification in another batch.")
    return _l("This NIK is already known to the system (%(status)s).", status=quote(status))


def _add_nik_problem(result: ValidatedRow, message: Message) -> None:
    # After the NIK's own problems, before the other columns'.
    index = sum(1 for problem in result.problems if problem.field == "nik")
    result.problems.insert(index, _problem("nik", message))


def _rupiah(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


#: Distinct cell texts remembered per column for the cacheable rules. Sex,
#: income and programme cells take few distinct values in a file, and birth
#: dates at most some 40,000 (a century of days), so most rows are checked
#: with dict lookups; the bounds keep memory flat (a few MB) on any file.
_CACHE_LIMITS = {"sex": 1024, "income": 4096, "programmes": 4096, "birth_date": 40_000}

Outcome = tuple[Any, tuple[Problem, ...]]


class _RowChecker:
    """The per-row rules, with what can be computed once per file precomputed."""

    def __init__(self, ctx: ValidationContext) -> None:
        self.ctx = ctx
        self.levels = ctx.income_levels
        self.lowest = _rupiah(min(ctx.income_levels)) if ctx.income_levels else ""
        self.highest = _rupiah(max(ctx.income_levels)) if ctx.income_levels else ""
        self.allowed_programmes = ctx.required_programmes | ctx.optional_programmes
        self.allowed_text = ", ".join(
            [*sorted(ctx.required_programmes), *sorted(ctx.optional_programmes)]
        )
        self.required_text = ", ".join(sorted(ctx.required_programmes))
        # Each sector by its first word of the reference list (its Indonesian name).
        self.sectors_text = ", ".join(
            (sector.terms[0] if sector.terms else sector.code) for sector in ctx.sectors
        )
        # One shared Problem per required column: lazy strings are immutable.
        self.missing = {
            field: Problem(
                HEADERS[field], _l("%(column)s is required.", column=HEADERS[field]), field
            )
            for field in ("nik", "name", "birth_date", "sex", "income", "programmes")
        }
        self.caches: dict[str, dict[str, Outcome]] = {field: {} for field in _CACHE_LIMITS}

    def _cached(self, field: str, value: Any, compute: Callable[[Any], Outcome]) -> Outcome:
        if type(value) is not str:
            # Only text: 1, 1.0 and True are equal dict keys but not equal cells.
            return compute(value)
        cache = self.caches[field]
        outcome = cache.get(value)
        if outcome is None:
            outcome = compute(value)
            if len(cache) < _CACHE_LIMITS[field]:
                cache[value] = outcome
        return outcome

    def check(self, row: SourceRow) -> tuple[ValidatedRow, str | None]:
        ctx = self.ctx
        raw = row.raw
        problems: list[Problem] = []

        name = clean_text(raw.get("name"))
        if name is None:
            problems.append(self.missing["name"])
        elif len(name) > ctx.max_name_length:
            problems.append(
                _problem(
                    "name",
                    _l(
                        "The name has %(n)s characters; at most %(max)s are allowed.",
                        n=len(name),
                        max=ctx.max_name_length,
                    ),
                )
            )

        birth_date, found = self._cached("birth_date", raw.get("birth_date"), self._birth_date)
        if found:
            problems.extend(found)
        sex, found = self._cached("sex", raw.get("sex"), self._sex)
        if found:
            problems.extend(found)

        address = clean_text(raw.get("address"))
        if address is not None and len(address) > ctx.max_address_length:
            problems.append(
                _problem(
                    "address",
                    _l(
                        "The address has %(n)s characters; at most %(max)s are allowed.",
                        n=len(address),
                        max=ctx.max_address_length,
                    ),
                )
            )

        # The Domisili column when given, else the regency the address names with its kind.
        domicile = regency_in_address(address, ctx.domiciles) if address else None
        text = clean_text(raw.get("domicile"))
        if text is not None:
            domicile = regency_named(text, ctx.domiciles)
            if domicile is None:
                problems.append(
                    _problem(
                        "domicile",
                        _l(
                            "%(value)s is not a regency or city of Indonesia: write its name "
                            "(Kabupaten Serang, Kota Serang) or its Kemendagri code (3604).",
                            value=quote(text),
                        ),
                    )
                )

        phone: str | None = None
        value = raw.get("phone")
        if not is_blank(value):
            try:
                phone = parse_phone(value)
            except ParseError as error:
                problems.append(_problem("phone", error.message))

        occupation = clean_text(raw.get("occupation"))
        if occupation is not None and len(occupation) > ctx.max_occupation_length:
            problems.append(
                _problem(
                    "occupation",
                    _l(
                        "The occupation has %(n)s characters; at most %(max)s are allowed.",
                        n=len(occupation),
                        max=ctx.max_occupation_length,
                    ),
                )
            )

        sector: str | None = None
        text = clean_text(raw.get("sector"))
        if text is not None:
            sector = sector_named(text, ctx.sectors)
            if sector is None:
                problems.append(
                    _problem(
                        "sector",
                        _l(
                            "%(value)s is not a sector; write one of %(sectors)s or leave it "
                            "empty.",
                            value=quote(text),
                            sectors=self.sectors_text,
                        ),
                    )
                )

        income, found = self._cached("income", raw.get("income"), self._income)
        if found:
            problems.extend(found)
        programmes, found = self._cached("programmes", raw.get("programmes"), self._programmes)
        if found:
            problems.extend(found)

        # Last, because it is compared with the birth date and sex; its
        # problems still come first, in column order.
        nik_value = raw.get("nik")
        nik: str | None = None
        if is_blank(nik_value):
            problems.insert(0, self.missing["nik"])
        else:
            nik, messages = checked_nik(
                nik_value,
                birth_date=birth_date,
                sex=sex,
                known_regencies=ctx.known_regencies,
            )
            if messages:
                problems[:0] = [_problem("nik", message) for message in messages]

        values: dict[str, Any] | None = None
        if not problems:
            values = {
                "nik": nik,
                "name": name,
                "birth_date": birth_date,
                "sex": sex,
                "address": address,
                "domicile": domicile,
                "phone": phone,
                "occupation": occupation,
                "sector": sector,
                "income": income,
                "programmes": programmes,
            }
        return ValidatedRow(row.number, values, problems, row.original), nik

    def _birth_date(self, value: Any) -> Outcome:
        if is_blank(value):
            return None, (self.missing["birth_date"],)
        try:
            birth_date = parse_date(value)
        except ParseError as error:
            return None, (_problem("birth_date", error.message),)
        # A wrong age still leaves a real date to compare the NIK with.
        return birth_date, self._age_problems(birth_date)

    def _age_problems(self, birth_date: date) -> tuple[Problem, ...]:
        ctx = self.ctx
        finding = registration_age_finding(birth_date, ctx.registration_date, ctx.registration_ages)
        if finding is None:
            return ()
        p = finding.params
        if finding.code == BORN_AFTER_REGISTRATION:
            message = _l(
                "The birth date %(date)s is after the registration date.",
                date=p["date"].strftime("%d/%m/%Y"),
            )
        elif finding.code == TOO_YOUNG:
            message = _l(
                "The registrant is %(age)s years old on the registration date; the minimum age is %(min)s.",
                age=p["age"],
                min=p["min"],
            )
        else:
            message = _l(
                "The registrant is %(age)s years old on the registration date; BPU registration is only for people under %(max)s.",
                age=p["age"],
                max=p["max"],
            )
        return (_problem("birth_date", message),)

    def _sex(self, value: Any) -> Outcome:
        if is_blank(value):
            return None, (self.missing["sex"],)
        try:
            return parse_sex(value), ()
        except ParseError as error:
            return None, (_problem("sex", error.message),)

    def _income(self, value: Any) -> Outcome:
        if is_blank(value):
            return None, (self.missing["income"],)
        try:
            income = parse_income(value)
        except ParseError as error:
            return None, (_problem("income", error.message),)
        if income in self.levels:
            return income, ()
        if not self.levels:
            message = _l("No income levels are configured; ask the administrator.")
        else:
            message = _l(
                "Rp%(amount)s is not a reference income level. Choose one of the levels "
                "from Rp%(lowest)s to Rp%(highest)s listed in the Petunjuk sheet of the template.",
                amount=_rupiah(income),
                lowest=self.lowest,
                highest=self.highest,
            )
        return income, (_problem("income", message),)

    def _programmes(self, value: Any) -> Outcome:
        if is_blank(value):
            return None, (self.missing["programmes"],)
        try:
            programmes = parse_programmes(value)
        except ParseError as error:
            return None, (_problem("programmes", error.message),)
        found: list[Problem] = []
        unknown = programmes - self.allowed_programmes
        if unknown:
            found.append(
                _problem(
                    "programmes",
                    _l(
                        "%(codes)s is not a BPU programme; only %(allowed)s can be chosen.",
                        codes=", ".join(quote(code) for code in sorted(unknown)),
                        allowed=self.allowed_text,
                    ),
                )
            )
        missing = self.ctx.required_programmes - programmes
        if missing:
            found.append(
                _problem(
                    "programmes",
                    _l(
                        "The programmes %(required)s are mandatory; missing: %(missing)s.",
                        required=self.required_text,
                        missing=", ".join(sorted(missing)),
                    ),
                )
            )
        return programmes, tuple(found)


def _problem(field: str, message: Message) -> Problem:
    return Problem(HEADERS[field], message, field)


__all__ = [
    "MEMBER",
    "PENDING",
    "ExistingNiks",
    "Problem",
    "ValidatedRow",
    "ValidationContext",
    "validate_rows",
]
