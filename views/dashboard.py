"""Home page of the back-office: who you are, and the work waiting for you.

Each role's home is a worklist: groups of waiting items (oldest or most urgent first), each
item a link to its page and each group's count a link to the list it comes from, filtered.
Every query is scoped by ``authz`` to what the user may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import joinedload

from backoffice import authz
from backoffice.clock import jakarta_day, today_in_jakarta
from backoffice.extensions import db
from backoffice.i18n import format_date, format_rupiah
from backoffice.labels import label
from backoffice.listing.counts import EXACT_COUNT_LIMIT as LIST_EXACT_COUNT_LIMIT
from backoffice.listing.counts import estimated_rows
from backoffice.services import claim_decisions
from models import (
    BatchState,
    Claim,
    ClaimDocument,
    ClaimState,
    Department,
    Member,
    MemberBatch,
    MemberStatus,
    Office,
    OfficeProposal,
    ProposalState,
    Role,
    User,
)

from .base import deny_access
from .batches import waiting_batches
from .coverage import panel_context
from .formats import ListCount
from .proposals import pending_count

#: Items shown per group; the group's count links to the whole list.
SHOWN = 5

C = ClaimState
B = BatchState
P = ProposalState


@dataclass
class Item:
    text: str
    url: str
    note: str = ""
    flag: Any = None  # a short warning shown beside the item


@dataclass
class Group:
    key: str
    title: Any
    count: int
    url: str
    items: list[Item] = field(default_factory=list)
    #: "warning" when the group needs attention (a draft left, rows rejected, targets missed)
    tone: str = ""
    #: False for a group of links (the count is then not shown)
    counted: bool = True


def _days(moment: datetime | date | None, today: date) -> str:
    if moment is None:
        return ""
    day = jakarta_day(moment) if isinstance(moment, datetime) else moment
    days = max((today - day).days, 0)
    if days == 0:
        return str(_l("since today"))
    return ngettext("waiting %(num)s day", "waiting %(num)s days", days)


def _filtered(endpoint: str, column: Any, value: str) -> str:
    """The list of ``endpoint`` filtered on ``column`` equal to ``value`` (Flask-Admin's filter
    arguments, as the list's own filter form writes them)."""
    for admin in current_app.extensions.get("admin", []):
        for view in admin._views:
            if getattr(view, "endpoint", None) != endpoint:
                continue
            for index, flt in enumerate(view._filters or []):
                if getattr(flt, "column", None) is column:
                    arg = f"flt0_{view.get_filter_arg(index, flt)}"
                    return url_for(f"{endpoint}.index_view", **{arg: value})
    return url_for(f"{endpoint}.index_view")


def _scoped(query: Any, model: type) -> Any:
    return authz.scope(current_user, query, model)


def _count(query: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _claim_item(claim: Claim, today: date, since: datetime | date | None) -> Item:
    note = ", ".join(
        part
        for part in (
            claim.member.name if claim.member else "",
            format_rupiah(claim.amount),
            _days(since, today),
        )
        if part
    )
    overdue = claim_decisions.is_overdue(claim, today)
    return Item(
        str(claim),
        url_for("claim.details_view", id=claim.id),
        note,
        _l("past its service target (%(day)s)", day=format_date(claim.due_date))
        if overdue
        else None,
    )


def _claim_group(
    key: str, title: Any, where: Any, today: date, *, order: Any, since: str, state: ClaimState
) -> Group | None:
    rows = _scoped(select(Claim).where(where), Claim)
    count = _count(rows.with_only_columns(Claim.id))
    if not count:
        return None
    # The member's name with each claim, in the same statement (not one look-up per claim).
    claims = db.session.scalars(
        rows.options(joinedload(Claim.member).load_only(Member.name))
        .order_by(order, Claim.id)
        .limit(SHOWN)
    )
    return Group(
        key,
        title,
        count,
        _filtered("claim", Claim.state, state.value),
        [_claim_item(c, today, getattr(c, since)) for c in claims],
    )


def claim_groups(user: User, today: date) -> list[Group]:
    """The claims waiting for ``user``, by stage (each stage oldest first)."""
    has_documents = exists().where(ClaimDocument.claim_id == Claim.id)
    groups: list[Group | None] = []
    if user.role is Role.BRANCH_CLERK:
        submitted = Claim.state == C.SUBMITTED
        groups += [
            _claim_group("claims_new", _l("New claims, no document yet"),
                         and_(submitted, ~has_documents), today,
                         order=Claim.submitted_at, since="submitted_at", state=C.SUBMITTED),
            _claim_group("claims_missing", _l("Claims with documents missing"),
                         and_(submitted, has_documents, Claim.complete_at.is_(None)), today,
                         order=Claim.submitted_at, since="submitted_at", state=C.SUBMITTED),
            _claim_group("claims_to_verify", _l("Claims complete, to verify"),
                         and_(submitted, Claim.complete_at.is_not(None)), today,
                         order=Claim.due_date, since="complete_at", state=C.SUBMITTED),
            _claim_group("claims_to_approve", _l("Claims verified, waiting for approval"),
                         and_(Claim.state == C.VERIFIED,
                              Claim.approval_level == Role.BRANCH_CLERK), today,
                         order=Claim.verified_at, since="verified_at", state=C.VERIFIED),
            _claim_group("claims_to_pay", _l("Claims approved, to pay"),
                         Claim.state == C.APPROVED, today,
                         order=Claim.approved_at, since="approved_at", state=C.APPROVED),
            _claim_group("claims_returned", _l("Claims returned for correction"),
                         Claim.state == C.RETURNED, today,
                         order=Claim.submitted_at, since="submitted_at", state=C.RETURNED),
        ]  # fmt: skip
    elif user.role in (Role.BRANCH_HEAD, Role.REGIONAL_HEAD):
        groups.append(
            _claim_group(
                "claims_to_approve",
                _l("Claims above the clerk's limit, waiting for your approval"),
                and_(Claim.state == C.VERIFIED, Claim.approval_level == user.role),
                today,
                order=Claim.verified_at,
                since="verified_at",
                state=C.VERIFIED,
            )
        )
    if user.role in (Role.BRANCH_CLERK, Role.BRANCH_HEAD):
        late = _claim_group(
            "claims_overdue",
            _l("Claims past their service target"),
            and_(
                Claim.due_date < today,
                Claim.state.in_([C.SUBMITTED, C.VERIFIED, C.APPROVED, C.RETURNED]),
            ),
            today,
            order=Claim.due_date,
            since="due_date",
            state=C.SUBMITTED,
        )
        if late is not None:
            late.tone = "warning"
            late.url = url_for("claim_queue.index_view")
        groups.append(late)
    return [g for g in groups if g is not None]


def proposal_groups(user: User, today: date) -> list[Group]:
    groups = []
    if authz.may(user, "proposal_queue"):
        rows = _scoped(
            select(OfficeProposal).where(OfficeProposal.state == P.SUBMITTED), OfficeProposal
        )
        count = _count(rows.with_only_columns(OfficeProposal.id))
        if count:
            proposals = db.session.scalars(
                rows.order_by(OfficeProposal.submitted_at, OfficeProposal.id).limit(SHOWN)
            )
            groups.append(
                Group(
                    "proposals_waiting",
                    _l("Office proposals waiting for your decision"),
                    count,
                    url_for("proposal_queue.index_view"),
                    [
                        Item(
                            f"{p.office_type.value} {p.name}",
                            url_for("proposal_queue.details_view", id=p.id),
                            ", ".join(
                                x
                                for x in (
                                    p.proposed_by.full_name if p.proposed_by else "",
                                    _days(p.submitted_at, today),
                                )
                                if x
                            ),
                        )
                        for p in proposals
                    ],
                )
            )
    elif user.role is Role.BRANCH_HEAD and authz.may(user, "proposals"):
        open_states = [P.DRAFT, P.RETURNED, P.SUBMITTED]
        rows = _scoped(
            select(OfficeProposal).where(OfficeProposal.state.in_(open_states)), OfficeProposal
        )
        count = _count(rows.with_only_columns(OfficeProposal.id))
        if count:
            proposals = db.session.scalars(
                rows.order_by(OfficeProposal.created_at, OfficeProposal.id).limit(SHOWN)
            )
            items = []
            for p in proposals:
                flag = None
                if p.state is P.DRAFT:
                    flag = _l("saved, not submitted yet")
                elif p.state is P.RETURNED:
                    flag = _l("returned: change it and submit again")
                items.append(
                    Item(
                        f"{p.office_type.value} {p.name}",
                        url_for("proposal.details_view", id=p.id),
                        label(p.state)
                        + (f", {_days(p.submitted_at, today)}" if p.state is P.SUBMITTED else ""),
                        flag,
                    )
                )
            groups.append(
                Group(
                    "proposals_open",
                    _l("Your office proposals in progress"),
                    count,
                    url_for("proposal.index_view"),
                    items,
                )
            )
    return groups


def _batch_item(
    batch: MemberBatch, today: date, url: str, flag: Any = None, *, mine: bool = False
) -> Item:
    """A batch: its file, department (not on the liaison's own home), rows, state, age."""
    counts = ngettext("%(num)s row", "%(num)s rows", batch.row_count or 0)
    since = batch.submitted_at or batch.created_at
    return Item(
        f"{batch.filename}",
        url,
        ", ".join(
            x
            for x in (
                str(batch.department) if batch.department and not mine else "",
                counts,
                label(batch.state),
                _days(since, today) if batch.state in (B.SUBMITTED, B.IN_REVIEW) else "",
            )
            if x
        ),
        flag,
    )


def batch_groups(user: User, today: date) -> list[Group]:
    groups = []
    if authz.may(user, "registration_queue"):
        rows = _scoped(
            select(MemberBatch).where(MemberBatch.state.in_([B.SUBMITTED, B.IN_REVIEW])),
            MemberBatch,
        )
        count = _count(rows.with_only_columns(MemberBatch.id))
        if count:
            waiting = db.session.scalars(
                rows.order_by(MemberBatch.submitted_at, MemberBatch.id).limit(SHOWN)
            )
            groups.append(
                Group(
                    "registrations",
                    _l("Member batches waiting for verification"),
                    count,
                    url_for("registration_queue.index_view"),
                    [
                        _batch_item(
                            b,
                            today,
                            url_for("registration_queue.details_view", id=b.id),
                            ngettext(
                                "%(num)s row left out by the checks",
                                "%(num)s rows left out by the checks",
                                b.invalid_count,
                            )
                            if b.invalid_count
                            else None,
                        )
                        for b in waiting
                    ],
                )
            )
    if user.role is Role.LIAISON:
        groups += _liaison_groups(today)
    return groups


def _liaison_groups(today: date) -> list[Group]:
    """The department's batches: drafts left (flagged), decided ones with rejected rows
    (flagged), those waiting at the office, and the others decided."""
    base = _scoped(select(MemberBatch), MemberBatch)
    specs = (
        ("batches_draft", _l("Drafts not sent to the branch office"),
         MemberBatch.state.in_([B.DRAFT, B.FAILED]), B.DRAFT, "warning",
         _l("not sent yet: check it and submit it, or discard it")),
        ("batches_rejected", _l("Batches with rejected rows"),
         and_(MemberBatch.rejected_count > 0,
              MemberBatch.state.in_([B.IN_REVIEW, B.PARTIALLY_ACCEPTED, B.REJECTED])),
         B.PARTIALLY_ACCEPTED, "warning", None),
        ("batches_waiting", _l("Batches waiting at the branch office"),
         MemberBatch.state.in_([B.SUBMITTED, B.IN_REVIEW]), B.SUBMITTED, "", None),
        ("batches_decided", _l("Batches decided"),
         and_(MemberBatch.state.in_([B.COMPLETED, B.PARTIALLY_ACCEPTED, B.REJECTED]),
              MemberBatch.rejected_count == 0),
         B.COMPLETED, "", None),
    )  # fmt: skip
    groups = []
    for key, title, where, state, tone, flag in specs:
        rows = base.where(where)
        count = _count(rows.with_only_columns(MemberBatch.id))
        if not count:
            continue
        newest_first = key == "batches_decided"
        order = MemberBatch.created_at.desc() if newest_first else MemberBatch.created_at
        items = []
        for b in db.session.scalars(rows.order_by(order, MemberBatch.id).limit(SHOWN)):
            item_flag = flag
            if key == "batches_rejected":
                item_flag = ngettext(
                    "%(num)s row rejected: see the reasons",
                    "%(num)s rows rejected: see the reasons",
                    b.rejected_count,
                )
            url = url_for("batch.details_view", id=b.id)
            items.append(_batch_item(b, today, url, item_flag, mine=True))
        groups.append(
            Group(
                key, title, count, _filtered("batch", MemberBatch.state, state.value), items, tone
            )
        )
    return groups


def member_groups(user: User) -> list[Group]:
    """Members whose membership lapsed (arrears may still be paid): for the office."""
    if user.role not in (Role.BRANCH_CLERK, Role.BRANCH_HEAD):
        return []
    rows = _scoped(select(Member).where(Member.status == MemberStatus.LAPSED), Member)
    count = _count(rows.with_only_columns(Member.id))
    if not count:
        return []
    members = db.session.scalars(rows.order_by(Member.ends_on, Member.id).limit(SHOWN))
    return [
        Group(
            "members_lapsed",
            _l("Members lapsed: arrears can still be paid"),
            count,
            _filtered("member", Member.status, MemberStatus.LAPSED.value),
            [
                Item(
                    str(m),
                    url_for("member.details_view", id=m.id),
                    _l("until %(day)s", day=format_date(m.ends_on)) if m.ends_on else "",
                )
                for m in members
            ],
        )
    ]


def review_groups(user: User) -> list[Group]:
    """The auditor's and the administrator's home: where to look, each a filtered list."""
    if user.role not in (Role.AUDITOR, Role.ADMIN):
        return []
    items = []
    for state, text in ((C.PAID, _l("Claims paid")), (C.RETURNED, _l("Claims returned")),
                        (C.REJECTED, _l("Claims rejected"))):  # fmt: skip
        count = _count(_scoped(select(Claim.id).where(Claim.state == state), Claim))
        items.append(Item(str(text), _filtered("claim", Claim.state, state.value), _n(count)))
    for status, text in ((MemberStatus.LAPSED, _l("Members lapsed")),
                         (MemberStatus.ENDED, _l("Memberships ended"))):  # fmt: skip
        count = _count(_scoped(select(Member.id).where(Member.status == status), Member))
        items.append(Item(str(text), _filtered("member", Member.status, status.value), _n(count)))
    count = _count(
        _scoped(select(MemberBatch.id).where(MemberBatch.rejected_count > 0), MemberBatch)
    )
    items.append(
        Item(
            str(_l("Member batches with rejected rows")),
            _filtered("batch", MemberBatch.state, B.PARTIALLY_ACCEPTED.value),
            _n(count),
        )
    )
    if authz.may(user, "audit"):
        items.append(
            Item(str(_l("Audit trail: every decision and change")), url_for("audit.index_view"))
        )
    return [
        Group(
            "review", _l("To review"), len(items), url_for("claim.index_view"), items, counted=False
        )
    ]


def _n(count: int) -> str:
    return ngettext("%(num)s record", "%(num)s records", count)


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

    def _cards(self, user: User) -> list[dict[str, Any]]:
        cards = []
        if authz.may(user, "batches", "create"):
            cards.append(
                {
                    "screen": "batches",
                    "count": self._count(MemberBatch),
                    "url": url_for("batch.index_view"),
                }
            )
        if authz.may(user, "registration_queue"):
            cards.append(
                {
                    "screen": "registrations",
                    "count": ListCount(waiting_batches()),
                    "url": url_for("registration_queue.index_view"),
                }
            )
        if authz.may(user, "claim_queue"):
            count = _count(
                _scoped(
                    select(Claim.id).where(
                        claim_decisions.queue_condition(user),
                        Claim.state.in_([C.SUBMITTED, C.RETURNED, C.VERIFIED, C.APPROVED]),
                    ),
                    Claim,
                )
            )
            cards.append(
                {
                    "screen": "claim_queue",
                    "count": ListCount(count),
                    "url": url_for("claim_queue.index_view"),
                }
            )
        if authz.may(user, "proposal_queue"):
            cards.append(
                {
                    "screen": "queue",
                    "count": ListCount(pending_count()),
                    "url": url_for("proposal_queue.index_view"),
                }
            )
        for screen, model, endpoint in (
            ("claims", Claim, "claim.index_view"),
            ("members", Member, "member.index_view"),
            ("proposals", OfficeProposal, "proposal.index_view"),
            ("offices", Office, "office.index_view"),
            ("departments", Department, "department.index_view"),
            ("users", User, "user.index_view"),
        ):
            if screen == "claims" and authz.may(user, "claim_queue"):
                continue  # the queue's card is theirs
            if authz.may(user, screen):
                cards.append(
                    {"screen": screen, "count": self._count(model), "url": url_for(endpoint)}
                )
        if authz.may(user, "audit"):
            cards.append({"screen": "audit", "count": None, "url": url_for("audit.index_view")})
        return cards

    @expose("/")
    def index(self) -> Any:
        user = current_user
        today = today_in_jakarta()
        groups = [
            *proposal_groups(user, today),
            *claim_groups(user, today),
            *batch_groups(user, today),
            *member_groups(user),
            *review_groups(user),
        ]
        # The coverage against the target (issue #19) heads the home page of those who see it.
        coverage = panel_context(user) if authz.may(user, "coverage") else {}
        return self.render(
            "admin/dashboard.html",
            role_label=label(user.role),
            cards=self._cards(user),
            groups=groups,
            coverage=coverage,
            **coverage,
        )
