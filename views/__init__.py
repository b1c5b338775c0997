"""Flask-Admin screens. Each is declared once in ``SCREENS``; ``init_admin`` registers them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import flask_admin.babel as fab
from flask import Flask
from flask_admin import Admin, BaseView
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from backoffice.i18n import TRANSLATIONS_DIR, wtforms_translations
from backoffice.security import csp_nonce
from models import (
    AuditEvent,
    BenefitParameter,
    Claim,
    ContributionRate,
    CoverageTarget,
    Department,
    HolidayCorrection,
    IncomeLevel,
    JhtReturnRate,
    Member,
    MemberBatch,
    MemberCorrection,
    Office,
    OfficeProposal,
    Regency,
    Region,
    User,
)

from .api_tokens import ApiTokenView
from .audit import AuditView
from .batches import BatchView, RegistrationQueueView
from .batches import queue_menu_name as registration_menu_name
from .claims import ClaimQueueView, ClaimView
from .claims import queue_menu_name as claim_menu_name
from .contributions import ContributionImportView
from .corrections import CorrectionView
from .corrections import menu_name as correction_menu_name
from .coverage import CoverageView
from .dashboard import DashboardView
from .members import MemberView
from .notifications import InboxView, OutboxView
from .org import DepartmentView, OfficeView, RegencyView, RegionView
from .proposals import ProposalQueueView, ProposalView, queue_menu_name
from .reference import (
    BenefitParameterView,
    ContributionRateView,
    CoverageTargetView,
    HolidayCorrectionView,
    IncomeLevelView,
    JhtReturnRateView,
)
from .users import UserView


@dataclass(frozen=True)
class Screen:
    """One Flask-Admin screen declared as data: the view class, the model it shows (None for a
    screen that is a form), its menu label, its endpoint (also its URL under /admin), its menu
    category, and ``menu_name`` when the label is computed per request (how many items wait)."""

    view: type[BaseView]
    model: type | None
    name: LazyString
    endpoint: str
    category: LazyString | None = None
    menu_name: Callable[[], str] | None = None

    def __post_init__(self) -> None:
        # The computed label replaces the screen's own menu entry, which a category would hold.
        assert self.menu_name is None or self.category is None, self.endpoint

    def build(self) -> BaseView:
        model = () if self.model is None else (self.model,)
        return self.view(*model, name=self.name, endpoint=self.endpoint, category=self.category)


REFERENCE_DATA = _l("Reference data")

#: Every screen, in menu order (the dashboard, Flask-Admin's index view, comes first).
SCREENS = (
    Screen(CoverageView, None, _l("Coverage"), "coverage"),
    Screen(
        RegistrationQueueView,
        MemberBatch,
        _l("Registration queue"),
        "registration_queue",
        menu_name=registration_menu_name,
    ),
    Screen(ClaimQueueView, Claim, _l("Claims to handle"), "claim_queue", menu_name=claim_menu_name),
    Screen(ClaimView, Claim, _l("Claims"), "claim"),
    Screen(BatchView, MemberBatch, _l("Member batches"), "batch"),
    Screen(MemberView, Member, _l("Members"), "member"),
    Screen(
        CorrectionView,
        MemberCorrection,
        _l("Member data corrections"),
        "correction",
        menu_name=correction_menu_name,
    ),
    Screen(ContributionImportView, None, _l("Import contributions"), "contribution_import"),
    Screen(OfficeView, Office, _l("Offices"), "office"),
    Screen(DepartmentView, Department, _l("Departments"), "department"),
    Screen(RegionView, Region, _l("Regions"), "region"),
    Screen(RegencyView, Regency, _l("Regencies/cities"), "regency"),
    Screen(UserView, User, _l("Users"), "user"),
    Screen(
        ProposalQueueView,
        OfficeProposal,
        _l("Approval queue"),
        "proposal_queue",
        menu_name=queue_menu_name,
    ),
    Screen(ProposalView, OfficeProposal, _l("Office proposals"), "proposal"),
    Screen(IncomeLevelView, IncomeLevel, _l("Income levels"), "income_level", REFERENCE_DATA),
    Screen(
        ContributionRateView,
        ContributionRate,
        _l("Contribution rates"),
        "contribution_rate",
        REFERENCE_DATA,
    ),
    Screen(
        BenefitParameterView,
        BenefitParameter,
        _l("Benefit parameters"),
        "benefit_parameter",
        REFERENCE_DATA,
    ),
    Screen(
        JhtReturnRateView,
        JhtReturnRate,
        _l("JHT returns"),
        "jht_return_rate",
        REFERENCE_DATA,
    ),
    Screen(
        HolidayCorrectionView,
        HolidayCorrection,
        _l("Holidays and cuti bersama"),
        "holiday_correction",
        REFERENCE_DATA,
    ),
    Screen(
        CoverageTargetView,
        CoverageTarget,
        _l("Coverage targets"),
        "coverage_target",
        REFERENCE_DATA,
    ),
    Screen(ApiTokenView, None, _l("API tokens"), "api_token"),
    Screen(AuditView, AuditEvent, _l("Audit trail"), "audit"),
    Screen(OutboxView, None, _l("Email outbox"), "outbox"),
    Screen(InboxView, None, _l("Notifications"), "notifications"),
)


def install_flask_admin_catalogs() -> None:
    """Make Flask-Admin use our Indonesian catalogs completely.

    Flask-Admin merges its own translation directory after ours; it has no ``id`` catalog,
    so its (English) plural rule would win and every plural message would fall back to
    English. Put ours last, and route its WTForms messages through our catalog too.
    """
    if getattr(fab.CustomDomain, "_backoffice_patched", False):
        return
    original = fab.CustomDomain.translation_directories

    def translation_directories(self: object) -> list[str]:
        dirs = [d for d in original.fget(self) if d != str(TRANSLATIONS_DIR)]
        return [*dirs, str(TRANSLATIONS_DIR)]

    fab.CustomDomain.translation_directories = property(translation_directories)
    fab.CustomDomain._backoffice_patched = True
    fab.wtforms_domain = wtforms_translations.domain


def init_admin(app: Flask) -> Admin:
    install_flask_admin_catalogs()
    admin = Admin(
        app,
        name="BPJS Ketenagakerjaan",
        url="/admin",
        theme=Bootstrap4Theme(swatch="default", fluid=True),
        index_view=DashboardView(name=_l("Home"), url="/admin"),
        translations_path=str(TRANSLATIONS_DIR),
        csp_nonce_generator=csp_nonce,
    )
    for screen in SCREENS:
        admin.add_view(screen.build())
        if screen.menu_name is not None:
            admin._menu[-1].name = LazyString(screen.menu_name)
    return admin
