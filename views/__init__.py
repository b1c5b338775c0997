"""Flask-Admin screens. ``init_admin`` registers them on the app."""

from __future__ import annotations

import secrets

from flask import Flask, g
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from backoffice.i18n import TRANSLATIONS_DIR, install_flask_admin_catalogs
from models import (
    AuditEvent,
    BenefitParameter,
    Claim,
    ContributionRate,
    Department,
    IncomeLevel,
    Member,
    MemberBatch,
    Office,
    OfficeProposal,
    Regency,
    Region,
    User,
)

from .audit import AuditView
from .batches import BatchView, RegistrationQueueView
from .batches import queue_menu_name as registration_menu_name
from .claims import ClaimQueueView, ClaimView
from .claims import queue_menu_name as claim_menu_name
from .contributions import ContributionImportView
from .dashboard import DashboardView
from .members import MemberView
from .org import DepartmentView, OfficeView, RegencyView, RegionView
from .proposals import ProposalQueueView, ProposalView, queue_menu_name
from .reference import BenefitParameterView, ContributionRateView, IncomeLevelView
from .users import UserView


def csp_nonce() -> str:
    """One nonce per request, shared by every tag Flask-Admin renders."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


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
    admin.add_view(
        RegistrationQueueView(
            MemberBatch, name=_l("Registration queue"), endpoint="registration_queue"
        )
    )
    admin._menu[-1].name = LazyString(registration_menu_name)
    admin.add_view(ClaimQueueView(Claim, name=_l("Claims to handle"), endpoint="claim_queue"))
    admin._menu[-1].name = LazyString(claim_menu_name)
    admin.add_view(ClaimView(Claim, name=_l("Claims"), endpoint="claim"))
    admin.add_view(BatchView(MemberBatch, name=_l("Member batches"), endpoint="batch"))
    admin.add_view(MemberView(Member, name=_l("Members"), endpoint="member"))
    admin.add_view(
        ContributionImportView(name=_l("Import contributions"), endpoint="contribution_import")
    )
    admin.add_view(OfficeView(Office, name=_l("Offices"), endpoint="office"))
    admin.add_view(DepartmentView(Department, name=_l("Departments"), endpoint="department"))
    admin.add_view(RegionView(Region, name=_l("Regions"), endpoint="region"))
    admin.add_view(RegencyView(Regency, name=_l("Regencies/cities"), endpoint="regency"))
    admin.add_view(UserView(User, name=_l("Users"), endpoint="user"))
    admin.add_view(
        ProposalQueueView(OfficeProposal, name=_l("Approval queue"), endpoint="proposal_queue")
    )
    # The queue's menu entry shows how many proposals wait (computed per request).
    admin._menu[-1].name = LazyString(queue_menu_name)
    admin.add_view(ProposalView(OfficeProposal, name=_l("Office proposals"), endpoint="proposal"))
    admin.add_view(
        IncomeLevelView(
            IncomeLevel,
            name=_l("Income levels"),
            endpoint="income_level",
            category=_l("Reference data"),
        )
    )
    admin.add_view(
        ContributionRateView(
            ContributionRate,
            name=_l("Contribution rates"),
            endpoint="contribution_rate",
            category=_l("Reference data"),
        )
    )
    admin.add_view(
        BenefitParameterView(
            BenefitParameter,
            name=_l("Benefit parameters"),
            endpoint="benefit_parameter",
            category=_l("Reference data"),
        )
    )
    admin.add_view(AuditView(AuditEvent, name=_l("Audit trail"), endpoint="audit"))
    return admin
