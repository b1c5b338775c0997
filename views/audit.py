"""The audit trail, read only: scoped, filterable, exportable; fast with millions of events.

Every order, filter and search the list offers is served by an index (migration 0008): the list
runs newest first (``occurred_at DESC, id DESC``), overall or in the region of a regional head
or an auditor; the filters are days (Jakarta time), an action, a record type, who and a record
number; a search is routed by the shape of the term (a number, a username, words of a note) and
never looks for a substring of every column.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import g
from flask_admin.contrib.sqla.filters import (
    DateBetweenFilter,
    DateGreaterFilter,
    DateSmallerFilter,
    FilterEqual,
)
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import load_only

from backoffice.clock import JAKARTA
from backoffice.extensions import db
from backoffice.labels import ACTION_LABELS, action_label, role_label, state_label
from backoffice.listing.search import search_digits, text_has_words
from models import AuditEvent, Claim, User

from . import audit_details
from .base import SecuredModelView
from .claims import CLAIM_NUMBER

RECORD_TYPES = {
    "claim": _l("Claim"),
    "member_batch": _l("Registration batch"),
    "member": _l("Member (contributions)"),
    "income_level": _l("Income level"),
    "contribution_rate": _l("Contribution rate"),
    "benefit_parameter": _l("Benefit parameter"),
    "jht_return_rate": _l("JHT return"),
    "office_proposal": _l("Office proposal"),
    "user": _l("User"),
    "region": _l("Region"),
    "regency": _l("Regency/city"),
    "office": _l("Office"),
    "department": _l("Department"),
    "list": _l("List (export)"),
}
#: The largest number an event id (BIGINT) can be.
_MAX_ID_DIGITS = 18


def _action(view: Any, context: Any, model: Any, name: str) -> str:
    return action_label(model.action)


def _state(view: Any, context: Any, model: Any, name: str) -> str:
    return state_label(getattr(model, name))


def _record_type(view: Any, context: Any, model: Any, name: str) -> str:
    return str(RECORD_TYPES.get(model.record_type, model.record_type))


def _role(view: Any, context: Any, model: Any, name: str) -> str:
    return role_label(model.actor_role)


def _record_no(view: Any, context: Any, model: Any, name: str) -> str:
    """A claim by its number (``JKK-000002``), other records by their number. A list page reads
    its claims' numbers in one statement (``AuditView.get_list``); one event's page by id."""
    if model.record_type == "claim" and (model.record_id or "").isdigit():
        numbers = g.get("audit_claim_numbers")
        if numbers is not None and int(model.record_id) in numbers:
            return numbers[int(model.record_id)]
        claim = db.session.get(Claim, int(model.record_id))
        if claim is not None:
            return str(claim)
    return model.record_id or ""


def _details(view: Any, context: Any, model: Any, name: str) -> Any:
    return audit_details.render(model.record_type, model.details)


def known_username(text: str) -> str | None:
    """The username typed (in any case) as it is stored, when such a user exists."""
    if not text or len(text) > 64 or any(ch.isspace() for ch in text):
        return None
    return db.session.scalar(select(User.username).where(func.lower(User.username) == text.lower()))


# --- filters: each one an indexed condition -------------------------------------------------


def day_start(day: date) -> datetime:
    """The first moment of a calendar day in Jakarta, in UTC (times are stored in UTC)."""
    return datetime.combine(day, time.min, tzinfo=JAKARTA).astimezone(UTC)


class DayFromFilter(DateGreaterFilter):
    """Events on or after a day (Jakarta time): a range on ``occurred_at``."""

    def apply(self, query: Any, value: date, alias: Any = None) -> Any:
        return query.filter(self.get_column(alias) >= day_start(value))

    def operation(self) -> Any:
        return _l("on or after")


class DayToFilter(DateSmallerFilter):
    """Events on or before a day (Jakarta time)."""

    def apply(self, query: Any, value: date, alias: Any = None) -> Any:
        return query.filter(self.get_column(alias) < day_start(value + timedelta(days=1)))

    def operation(self) -> Any:
        return _l("on or before")


class DaysBetweenFilter(DateBetweenFilter):
    """Events from the first day to the last one, both included (Jakarta time)."""

    def apply(self, query: Any, value: list[date], alias: Any = None) -> Any:
        first, last = value
        column = self.get_column(alias)
        return query.filter(
            column >= day_start(first), column < day_start(last + timedelta(days=1))
        )


class ChoiceFilter(FilterEqual):
    """Equality with one of fixed values offered by their translated labels (sorted in the
    user's language on each page); any other value is not applied."""

    def __init__(self, column: Any, name: Any, labels: dict[str, Any]) -> None:
        # Read when the view is set up: other modules add labels (backoffice.security).
        super().__init__(column, name, options=lambda: list(labels.items()))
        self.labels = labels

    def validate(self, value: Any) -> bool:
        return value in self.labels


class UsernameFilter(FilterEqual):
    """Who: a username in any case (as stored when the user exists)."""

    def clean(self, value: Any) -> str:
        value = str(value).strip()
        return known_username(value) or value


class RecordNumberFilter(FilterEqual):
    """A record's number as stored (a claim's ``JKK-000123`` is its number 123)."""

    def clean(self, value: Any) -> str:
        value = str(value).strip()
        number = CLAIM_NUMBER.fullmatch(value.replace(" ", ""))
        return str(int(number.group(2))) if number else value


class AuditView(SecuredModelView):
    def get_list(  # type: ignore[override]
        self,
        page: int | None,
        sort_column: Any,
        sort_desc: bool,
        search: str | None,
        filters: Any,
        execute: bool = True,
        page_size: int | None = None,
    ) -> Any:
        """The page's events, and the numbers of the claims they name in one statement (the same
        statement on every page, so a page's statements do not depend on its rows)."""
        count, events = super().get_list(
            page, sort_column, sort_desc, search, filters, execute, page_size
        )
        if execute and events is not None:
            events = list(events)
            ids = {
                int(e.record_id)
                for e in events
                if e.record_type == "claim" and (e.record_id or "").isdigit()
            }
            claims = db.session.scalars(
                select(Claim)
                .options(load_only(Claim.id, Claim.claim_type))
                .where(Claim.id.in_(ids))
            )
            g.audit_claim_numbers = {claim.id: str(claim) for claim in claims}
        return count, events

    screen = "audit"
    can_view_details = True
    column_list = [
        "id",
        "occurred_at",
        "actor_username",
        "actor_role",
        "record_type",
        "record_id",
        "action",
        "from_state",
        "to_state",
        "comment",
    ]
    column_details_list = [*column_list, "ip", "details", "prev_hash", "hash"]
    column_export_list = [*column_list, "ip", "hash"]
    # Newest first; the base view breaks ties by id (the "(occurred_at, id)" indexes).
    column_default_sort = ("occurred_at", True)
    # Only orders an index serves: time and number.
    column_sortable_list = ["id", "occurred_at"]
    column_filters = [
        DayFromFilter(AuditEvent.occurred_at, _l("When")),
        DayToFilter(AuditEvent.occurred_at, _l("When")),
        DaysBetweenFilter(AuditEvent.occurred_at, _l("When")),
        ChoiceFilter(AuditEvent.action, _l("Action"), ACTION_LABELS),
        ChoiceFilter(AuditEvent.record_type, _l("Record"), RECORD_TYPES),
        UsernameFilter(AuditEvent.actor_username, _l("Who")),
        RecordNumberFilter(AuditEvent.record_id, _l("Record no.")),
    ]
    # Routed by the term (search_condition); these name the search box's placeholder.
    column_searchable_list = ["record_id", "actor_username", "comment"]
    column_formatters = {
        "action": _action,
        "from_state": _state,
        "to_state": _state,
        "record_type": _record_type,
        "actor_role": _role,
        "record_id": _record_no,
    }
    column_formatters_detail = {**column_formatters, "details": _details}
    column_formatters_export = column_formatters  # plain text already, and formula-safe after
    column_labels = {
        "id": _l("No."),
        "occurred_at": _l("When"),
        "actor_username": _l("Who"),
        "actor_role": _l("Role"),
        "record_type": _l("Record"),
        "record_id": _l("Record no."),
        "action": _l("Action"),
        "from_state": _l("From"),
        "to_state": _l("To"),
        "comment": _l("Note"),
        "ip": _l("IP address"),
        "details": _l("Details"),
        "prev_hash": _l("Previous hash"),
        "hash": _l("Hash"),
    }

    def search_condition(self, search: str) -> ColumnElement[bool]:
        """Routed by the term, each way by an index:

        - a number: the record with that number, or the event with that number (``record_id``
          and the primary key: two index scans the planner ORs in a bitmap); a claim's
          ``JKK-000123``: that claim's events;
        - one word that is a username (in any case): what that user did;
        - otherwise the words of a note (trigram index on PostgreSQL); a term without a letter
          or a digit (``%``, ``_``) finds nothing, rather than reading every note.
        """
        digits = search_digits(search)
        if digits:
            number = digits.lstrip("0") or "0"
            by_record = AuditEvent.record_id.in_(sorted({digits, number}))
            if len(number) > _MAX_ID_DIGITS:
                return by_record
            return or_(by_record, AuditEvent.id == int(number))
        claim = CLAIM_NUMBER.fullmatch(search.replace(" ", ""))
        if claim and claim.group(1):
            return and_(
                AuditEvent.record_type == "claim",
                AuditEvent.record_id == str(int(claim.group(2))),
            )
        username = known_username(search)
        if username is not None:
            return AuditEvent.actor_username == username
        if not any(ch.isalnum() for ch in search):
            return false()
        return text_has_words(AuditEvent.comment, search)

    def _get_filter_groups(self) -> Any:
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                if isinstance(self._filters[item["index"]], ChoiceFilter) and item["options"]:
                    item["options"] = sorted(item["options"], key=lambda o: o[1].casefold())
        return groups
