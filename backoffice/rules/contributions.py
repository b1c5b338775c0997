"""The monthly contribution of a BPU member and what a month costs when it is paid.

JKK and JKM always, JHT when chosen, each from its rate in force: a percent of the declared
income level or a flat amount (at Rp1.000.000: JKK 1% + JKM Rp6.800 = Rp16.800, Rp36.800 with
JHT 2%). A discount rule (PP 50/2025) takes a percent off JKK and JKM of the contribution months
of its period for the members of its sector, unless a government budget pays (a department,
channel ``payer``); what was paid above a discounted month is credit for the next months.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from models import PaymentChannel, Programme

from ..errors import DomainError

_HUNDRED = Decimal(100)


def _rupiah(exact: Decimal) -> int:
    """Whole rupiah, half up."""
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Rate:
    programme: Programme
    percent: Decimal | None
    flat_amount: int | None

    def amount(self, income: int) -> int:
        if self.flat_amount is not None:
            return self.flat_amount
        assert self.percent is not None
        return _rupiah(Decimal(income) * self.percent / _HUNDRED)


@dataclass(frozen=True)
class Contribution:
    jkk: int
    jkm: int
    jht: int

    @property
    def total(self) -> int:
        return self.jkk + self.jkm + self.jht


class MissingRates(DomainError):
    """No rate is in force for ``programmes``: the caller tells the user in their words."""

    def __init__(self, programmes: list[str]) -> None:
        super().__init__(f"No contribution rate is in force for {', '.join(programmes)}.")
        self.programmes = programmes


def monthly_contribution(
    income: int, programmes: Iterable[str], rates: Mapping[Programme, Rate]
) -> Contribution:
    """JKK and JKM always, JHT when chosen, each from its rate (e.g. Rp16.800 at Rp1.000.000);
    ``MissingRates`` when one of them has no rate."""
    chosen = {Programme(p) for p in programmes}
    missing = [p.value for p in (Programme.JKK, Programme.JKM) if p not in rates]
    if Programme.JHT in chosen and Programme.JHT not in rates:
        missing.append(Programme.JHT.value)
    if missing:
        raise MissingRates(missing)
    return Contribution(
        jkk=rates[Programme.JKK].amount(income),
        jkm=rates[Programme.JKM].amount(income),
        jht=rates[Programme.JHT].amount(income) if Programme.JHT in chosen else 0,
    )


@dataclass(frozen=True)
class Discount:
    """Percent off the JKK and JKM contributions of the members of ``sector``, for the
    contribution months from ``valid_from`` to ``valid_to`` (PP 50/2025: transport January 2026 -
    March 2027, the other sectors April - December 2026)."""

    percent: Decimal
    valid_from: date
    valid_to: date | None
    sector: str

    def in_force(self, month: date, sector: str) -> bool:
        """For the contribution month ``month`` (any day of it) of a member of ``sector``."""
        first = month.replace(day=1)
        return (
            self.sector == sector
            and self.valid_from.replace(day=1) <= first
            and (self.valid_to is None or first <= self.valid_to)
        )


def discount_on(rules: Iterable[Discount], month: date, sector: str) -> Decimal:
    """The percent off the contribution month ``month`` of a member of ``sector`` (0 when no
    rule is in force); ``rules`` the newest first (a newer rule wins where two are in force)."""
    return next((rule.percent for rule in rules if rule.in_force(month, sector)), Decimal(0))


def discounted(contribution: Contribution, percent: Decimal) -> Contribution:
    """``contribution`` with ``percent`` off JKK and JKM (rounded to the rupiah, half up); JHT,
    savings of the member's own, is never discounted."""
    if not percent:
        return contribution

    def off(amount: int) -> int:
        return _rupiah(Decimal(amount) * (_HUNDRED - percent) / _HUNDRED)

    return Contribution(jkk=off(contribution.jkk), jkm=off(contribution.jkm), jht=contribution.jht)


def month_discount(
    month: date, channel: PaymentChannel, rules: Iterable[Discount], sector: str
) -> Decimal:
    """The percent off the contribution month ``month`` of a member of ``sector`` paid through
    ``channel``: the discount of the sector for that month, none when a government budget pays
    (a department, channel ``payer``: PP 50/2025 excludes contributions paid from APBN/APBD)."""
    if channel is PaymentChannel.PAYER:
        return Decimal(0)
    return discount_on(rules, month, sector)


def month_contribution(
    standard: Contribution,
    month: date,
    channel: PaymentChannel,
    rules: Iterable[Discount],
    sector: str,
) -> Contribution:
    """What is paid for ``month`` through ``channel`` by a member of ``sector``: ``standard``
    less ``month_discount``."""
    return discounted(standard, month_discount(month, channel, rules, sector))


def carried_credit(paid: Iterable[tuple[int, int]]) -> int:
    """What a member paid above what their months cost, carried forward to the next months
    (PP 50/2025: an amount already paid above the discounted one counts toward the next
    contributions). ``paid`` holds (amount paid, amount the month costs) per month paid; a
    month paid short is not set against the others."""
    return sum(max(0, amount - cost) for amount, cost in paid)


@dataclass(frozen=True)
class PastAmount:
    """The contribution owed for every month up to and including ``until`` (the first day of
    that month), before a correction changed it."""

    until: date
    contribution: Contribution


def owed_for_month(current: Contribution, past: Iterable[PastAmount], month: date) -> Contribution:
    """The contribution owed for ``month`` (its first day): that of the earliest past amount
    reaching it, else ``current`` (a correction changes the contribution from the month after
    it is approved; the months before keep what they were owed)."""
    reaching = [p for p in past if p.until >= month]
    return min(reaching, key=lambda p: p.until).contribution if reaching else current
