"""Reference data with validity dates: income levels, contribution rates and the benefit
parameters (amounts, limits, the contribution discount), and the yearly JHT returns, kept by
the administrator."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField

from backoffice import parameter_texts
from backoffice.benefit_texts import percent_text
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.forms import RupiahField
from backoffice.i18n import format_number, format_rupiah
from backoffice.services import reference
from models import (
    BenefitParameter,
    ContributionRate,
    CoverageTarget,
    HolidayCorrection,
    HolidayKind,
    IncomeLevel,
    JhtReturnRate,
    Programme,
    Sector,
)

from .base import SecuredModelView
from .filters import EnumFilter

LABELS = {
    "amount": _l("Income level"),
    "programme": _l("Programme"),
    "percent": _l("Percent of the income level"),
    "flat_amount": _l("Flat amount (Rp)"),
    "valid_from": _l("Valid from"),
    "valid_to": _l("Valid to"),
    "note": _l("Note"),
    "key": _l("Parameter"),
    "value": _l("Value"),
    "created_at": _l("Created"),
    "description": _l("Description"),
    "year": _l("Year"),
    "rate_percent": _l("Return (percent a year)"),
}


def _note(view: Any, context: Any, model: Any, name: str) -> str:
    """A note the migrations stored, in the reader's language (one an administrator wrote, as
    written)."""
    return parameter_texts.note_text(model.note)


def sector_name(code: str) -> str | None:
    locale = str(get_locale() or "id")
    names = {s.code: s.label(locale) for s in db.session.scalars(select(Sector))}
    return names.get(code)


def _parameter(view: Any, context: Any, model: BenefitParameter, name: str) -> str:
    return parameter_texts.parameter_label(model.key, sector_name)


def _parameter_value(view: Any, context: Any, model: BenefitParameter, name: str) -> str:
    return parameter_texts.value_text(model.key, model.value)


def parameter_choices() -> list[tuple[str, str]]:
    """The parameters an administrator may add a row of, by their names: the known ones, a
    discount for each sector, and every key already stored."""
    keys = set(parameter_texts.PARAMETERS)
    keys |= {parameter_texts.DISCOUNT_PREFIX + s.code for s in db.session.scalars(select(Sector))}
    keys |= set(db.session.scalars(select(BenefitParameter.key).distinct()))
    labelled = [(key, parameter_texts.parameter_label(key, sector_name)) for key in keys]
    return sorted(labelled, key=lambda choice: choice[1].casefold())


class _ReferenceView(SecuredModelView):
    screen = "reference"
    column_labels = LABELS

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        self.check(model)
        if reference.overlapping(db.session, model):
            raise DomainError(self.overlap_message)

    def check(self, model: Any) -> None:
        if model.valid_to is not None and model.valid_to < model.valid_from:
            raise DomainError(_l("The end of validity cannot be before its start."))


class IncomeLevelView(_ReferenceView):
    audit_record_type = "income_level"
    overlap_message = _l(
        "This income level is already in force for part of these dates: end the old row first."
    )
    column_list = ["amount", "valid_from", "valid_to"]
    money_columns = ("amount",)
    column_formatters = {"amount": lambda v, c, m, n: format_rupiah(m.amount)}
    column_default_sort = "amount"
    form_columns = ["amount", "valid_from", "valid_to"]
    # Typed as a clerk writes it (45.000.000); at most what the INTEGER column holds.
    form_overrides = {"amount": RupiahField}

    def check(self, model: IncomeLevel) -> None:
        super().check(model)
        if model.amount is None or model.amount <= 0:
            raise DomainError(_l("The income level must be a positive amount."))


class ContributionRateView(_ReferenceView):
    audit_record_type = "contribution_rate"
    overlap_message = _l(
        "A rate for this programme is already in force for part of these dates: end the old "
        "rate first (set its last day), then add the new one."
    )
    column_list = ["programme", "percent", "flat_amount", "valid_from", "valid_to", "note"]
    money_columns = ("flat_amount",)
    column_formatters = {
        "flat_amount": lambda v, c, m, n: (
            format_rupiah(m.flat_amount) if m.flat_amount is not None else ""
        ),
        "note": _note,
    }
    column_filters = [EnumFilter(ContributionRate.programme, _l("Programme"), Programme)]
    column_default_sort = [("programme", False), ("valid_from", True)]
    form_columns = ["programme", "percent", "flat_amount", "valid_from", "valid_to", "note"]
    form_overrides = {"flat_amount": RupiahField}

    def check(self, model: ContributionRate) -> None:
        super().check(model)
        if (model.percent is None) == (model.flat_amount is None):
            raise DomainError(_l("Give either a percentage or a flat amount, not both."))
        if model.percent is not None and not (0 < model.percent <= 100):
            raise DomainError(_l("The percentage must be above 0 and at most 100."))
        if model.flat_amount is not None and model.flat_amount <= 0:
            raise DomainError(_l("The flat amount must be positive."))


class BenefitParameterView(_ReferenceView):
    """The amounts and limits of the rules (``jkm.lump_sum``, ``approval.limit.branch_clerk``,
    ``contribution.discount.jkk_jkm_percent`` ...), each dated like a rate: a new regulation is
    a new row from its first day, after the old one is given its last."""

    audit_record_type = "benefit_parameter"
    overlap_message = _l(
        "This parameter is already in force for part of these dates: end the old row first (set "
        "its last day), then add the new one."
    )
    column_list = ["key", "value", "valid_from", "valid_to", "note"]
    column_default_sort = [("key", False), ("valid_from", True)]
    # Searched by its name in the reader's language (or its key): search_condition.
    column_searchable_list = ["key"]
    # Each parameter by its name and its value in its unit (Rupiah, months...), never its key.
    column_formatters = {"key": _parameter, "value": _parameter_value, "note": _note}
    form_columns = ["key", "value", "valid_from", "valid_to", "note"]
    form_overrides = {"key": SelectField}
    form_args = {"key": {"choices": lambda: parameter_choices(), "label": _l("Parameter")}}
    column_descriptions = {
        "value": _l("An amount in rupiah, a percentage, or a number of months, years or days"),
    }

    def search_condition(self, search: str) -> Any:
        """The parameters whose name (as the reader reads it) or key holds the words typed."""
        words = search.casefold().split()
        keys = [
            key
            for key, label in parameter_choices()
            if all(w in label.casefold() or w in key.casefold() for w in words)
        ]
        return BenefitParameter.key.in_(keys)

    def check(self, model: BenefitParameter) -> None:
        super().check(model)
        if not (model.key or "").strip():
            raise DomainError(_l("Name the parameter."))
        if model.value is None or model.value < 0:
            raise DomainError(_l("The value cannot be negative."))
        if model.key.startswith(reference.DISCOUNT_KEY):
            sector = model.key.removeprefix(reference.DISCOUNT_KEY + ".")
            if sector not in {s.code for s in reference.sectors(db.session)}:
                raise DomainError(
                    _l(
                        "A discount is given for one sector: %(key)s.<sector code>.",
                        key=reference.DISCOUNT_KEY,
                    )
                )
            if model.value > 100:
                raise DomainError(_l("A discount is at most 100 percent."))


class JhtReturnRateView(SecuredModelView):
    """The yearly return on JHT balances (hasil pengembangan) declared for each year: one row a
    year; a year without a row uses the last declared rate (the statement says so)."""

    screen = "reference"
    audit_record_type = "jht_return_rate"
    column_labels = {**LABELS, "percent": LABELS["rate_percent"]}
    column_list = ["year", "percent", "note"]
    column_formatters = {
        "percent": lambda v, c, m, n: f"{percent_text(m.percent)}%",
        "note": _note,
    }
    column_default_sort = ("year", True)
    form_columns = ["year", "percent", "note"]

    def on_model_change(self, form: Any, model: JhtReturnRate, is_created: bool) -> None:
        if model.year is None or not 1977 <= model.year <= 2200:
            raise DomainError(_l("Give the year the rate was declared for."))
        if model.percent is None or not 0 <= model.percent <= 100:
            raise DomainError(_l("The return is a percentage between 0 and 100."))
        if reference.jht_rate_year_taken(db.session, model):
            raise DomainError(
                _l("A return is already declared for this year: correct that row instead.")
            )


class HolidayCorrectionView(SecuredModelView):
    """The cuti bersama decreed each year and the corrections of the public holidays the
    ``holidays`` library knows: the days off that working days (service targets) skip."""

    screen = "reference"
    audit_record_type = "holiday_correction"
    column_labels = {
        "day": _l("Date"),
        "name": _l("Name"),
        "kind": _l("Kind"),
        "note": _l("Note"),
        "created_at": _l("Created"),
    }
    column_list = ["day", "name", "kind", "note"]
    column_formatters = {"kind": lambda v, c, m, n: HOLIDAY_KINDS[m.kind], "note": _note}
    column_filters = [EnumFilter(HolidayCorrection.kind, _l("Kind"), HolidayKind)]
    column_default_sort = ("day", True)
    column_searchable_list = ["name"]
    form_columns = ["day", "name", "kind", "note"]

    def on_model_change(self, form: Any, model: HolidayCorrection, is_created: bool) -> None:
        if model.day is None:
            raise DomainError(_l("Give the date."))
        if not (model.name or "").strip():
            raise DomainError(_l("Name the day."))


HOLIDAY_KINDS = {
    HolidayKind.ADD: _l("day off (cuti bersama or a holiday the calendar lacks)"),
    HolidayKind.REMOVE: _l("working day (a public holiday moved away)"),
}


class CoverageTargetView(_ReferenceView):
    """How many workers a region, a regency, a department and/or a sector is to protect in a
    year, and who set it ("Plt Gubernur Banten, Juni 2015: 2.620.000 pekerja bukan penerima
    upah"): the dashboards measure coverage against the target in force today."""

    audit_record_type = "coverage_target"
    overlap_message = _l(
        "A target for this year and place is already in force for part of these dates: end "
        "the old row first (set its last day), then add the new one."
    )
    column_labels = {
        **LABELS,
        "region": _l("Region"),
        "regency": _l("Regency/city"),
        "department": _l("Department"),
        "sector_ref": _l("Sector"),
        "workers": _l("Workers to protect"),
        "source": _l("Source"),
    }
    column_list = [
        "year",
        "region",
        "regency",
        "department",
        "sector_ref",
        "workers",
        "source",
        "valid_from",
        "valid_to",
    ]
    column_formatters = {"workers": lambda v, c, m, n: format_number(m.workers)}
    column_default_sort = [("year", True), ("id", False)]
    form_columns = [
        "year",
        "region",
        "regency",
        "department",
        "sector_ref",
        "workers",
        "source",
        "valid_from",
        "valid_to",
        "note",
    ]

    def audited_fields(self) -> list[str]:
        return [
            "year",
            "region_id",
            "regency_id",
            "department_id",
            "sector",
            "workers",
            "source",
            "valid_from",
            "valid_to",
            "note",
        ]

    def audit_scope(self, model: CoverageTarget) -> dict[str, int | None]:
        return {"region_id": model.region_id}

    def check(self, model: CoverageTarget) -> None:
        super().check(model)
        # The form sets the relationships; the checks and the audit read the ids.
        model.region_id = model.region.id if model.region else None
        model.regency_id = model.regency.id if model.regency else None
        model.department_id = model.department.id if model.department else None
        model.sector = model.sector_ref.code if model.sector_ref else None
        if model.region_id is None:
            raise DomainError(_l("Choose the region the target is for."))
        if model.year is None or not 2000 <= model.year <= 2200:
            raise DomainError(_l("Give the year of the target."))
        if model.workers is None or model.workers <= 0:
            raise DomainError(_l("The target is a positive number of workers."))
        if not (model.source or "").strip():
            raise DomainError(_l("Say who set the target, and when."))
        if model.regency is not None and model.regency.region_id != model.region_id:
            raise DomainError(_l("The regency/city is not in this region."))
        if model.department is not None and model.department.office.region_id != (model.region_id):
            raise DomainError(_l("The department is not in this region."))
