"""Home page of the back-office: who you are, what you are responsible for."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user
from sqlalchemy import func, select

from backoffice import authz
from backoffice.extensions import db
from backoffice.labels import label
from backoffice.listing.counts import EXACT_COUNT_LIMIT as LIST_EXACT_COUNT_LIMIT
from backoffice.listing.counts import estimated_rows
from models import Department, Member, MemberBatch, Office, OfficeProposal, User

from .base import deny_access
from .batches import waiting_batches
from .formats import ListCount
from .proposals import pending_count


class DashboardView(AdminIndexView):
    def is_accessible(self) -> bool:
        return authz.may(current_user, "dashboard")

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return deny_access()

    def _count(self, model: type) -> ListCount:
        """Exact up to the lists' limit, PostgreSQL's estimate above it (never a full count)."""
        rows = authz.scope(current_user, select(model.id), model)
        capped = db.session.scalar(
            select(func.count()).select_from(rows.limit(LIST_EXACT_COUNT_LIMIT + 1).subquery())
        )
        if capped <= LIST_EXACT_COUNT_LIMIT:
            return ListCount(capped or 0)
        if db.session.get_bind().dialect.name == "postgresql":
            return ListCount(estimated_rows(db.session, rows), estimated=True)
        return ListCount(db.session.scalar(select(func.count()).select_from(rows.subquery())) or 0)

    @expose("/")
    def index(self) -> Any:
        user = current_user
        cards = []
        for screen, model, endpoint in (
            ("offices", Office, "office.index_view"),
            ("departments", Department, "department.index_view"),
            ("users", User, "user.index_view"),
        ):
            if authz.may(user, screen):
                cards.append(
                    {"screen": screen, "count": self._count(model), "url": url_for(endpoint)}
                )
        if authz.may(user, "proposal_queue"):
            cards.insert(
                0,
                {
                    "screen": "queue",
                    "count": ListCount(pending_count()),
                    "url": url_for("proposal_queue.index_view"),
                },
            )
        if authz.may(user, "registration_queue"):
            cards.insert(
                0,
                {
                    "screen": "registrations",
                    "count": ListCount(waiting_batches()),
                    "url": url_for("registration_queue.index_view"),
                },
            )
        if authz.may(user, "batches", "create"):
            cards.insert(
                0,
                {
                    "screen": "batches",
                    "count": self._count(MemberBatch),
                    "url": url_for("batch.index_view"),
                },
            )
        if authz.may(user, "members"):
            cards.append(
                {
                    "screen": "members",
                    "count": self._count(Member),
                    "url": url_for("member.index_view"),
                }
            )
        if authz.may(user, "proposals"):
            cards.append(
                {
                    "screen": "proposals",
                    "count": self._count(OfficeProposal),
                    "url": url_for("proposal.index_view"),
                }
            )
        return self.render(
            "admin/dashboard.html",
            role_label=label(user.role),
            cards=cards,
        )
