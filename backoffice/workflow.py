"""One workflow engine for every decision: office proposals, member registrations, claims.

A workflow is data: states, and transitions ``(from states, action) -> to state`` with the roles
allowed, guards, whether a comment is required and whether the maker may take it. ``apply`` is the
only way a state changes: it checks role, scope, state, maker-checker and guards, locks the row,
changes it and writes the audit event in one transaction. A refused transition raises a
``DomainError`` whose message the user can read.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models import Role, User
from models.base import utcnow

from . import audit, authz
from .errors import DomainError, Forbidden, NotFound

# guard(actor, obj, params) -> None when allowed, else a message for the user
Guard = Callable[[User, Any, dict[str, Any]], Any]
# effect(session, actor, obj, params, now): what the transition does besides the state change;
# it may return a dict of facts for the audit event (counts, numbers issued).
Effect = Callable[[Session, User, Any, dict[str, Any], datetime], dict[str, Any] | None]


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[enum.Enum]
    # The state after the transition, or a function of the item once the effect has run (a
    # batch is completed or still in review depending on the rows left).
    target: enum.Enum | Callable[[Any], enum.Enum]
    roles: frozenset[Role]
    label: Any
    # A checker's decision: the maker (creator/submitter) of the item may not take it.
    decision: bool = False
    comment_required: bool = False
    guards: tuple[Guard, ...] = ()
    effect: Effect | None = None
    style: str = "primary"  # button colour on the details page


@dataclass
class Workflow:
    name: str  # record type in the audit trail
    model: type
    transitions: dict[str, Transition]
    # user ids who made the item (created, submitted); they may not take a decision
    makers: Callable[[Any], Iterable[int | None]]
    # (region_id, office_id, department_id) the item belongs to, for the audit trail's scope
    audit_scope: Callable[[Any], tuple[int | None, int | None, int | None]]
    # every workflow is maker-checker unless it opts out explicitly; none of ours does
    maker_checker: bool = True
    state_attr: str = "state"
    labels: dict[enum.Enum, Any] = field(default_factory=dict)

    def state_of(self, obj: Any) -> enum.Enum:
        return getattr(obj, self.state_attr)

    def refusal(
        self,
        actor: User,
        obj: Any,
        action: str,
        params: dict[str, Any] | None = None,
        comment: str | None = None,
    ) -> DomainError | None:
        """Why ``actor`` may not take ``action`` on ``obj`` now (None when they may).

        The error is a ``Forbidden`` whenever the actor could never take the action (wrong role,
        their own item), whatever message explains it first; otherwise a ``DomainError``.
        """
        params = params or {}
        transition = self.transitions.get(action)
        if transition is None:
            return Forbidden(_l("Unknown action."))
        own_item = self.maker_checker and transition.decision and actor.id in set(self.makers(obj))
        error = Forbidden if actor.role not in transition.roles or own_item else DomainError
        state = self.state_of(obj)
        if state not in transition.sources:
            return error(
                _l(
                    "This item is already %(state)s: the action %(action)s is no longer possible.",
                    state=self.labels.get(state, state.value),
                    action=transition.label,
                )
            )
        if actor.role not in transition.roles:
            return error(
                _l("Your role may not take the action %(action)s.", action=transition.label)
            )
        if own_item:
            return error(
                _l("You prepared or submitted this item, so another person must decide it.")
            )
        for guard in transition.guards:
            message = guard(actor, obj, params)
            if message:
                return error(message)
        if transition.comment_required and not (comment or "").strip():
            return error(_l("A reason is required for %(action)s.", action=transition.label))
        return None

    def available(self, actor: User, obj: Any) -> list[Transition]:
        """Transitions the actor could take now (a comment may still be asked for)."""
        return [
            t
            for t in self.transitions.values()
            if self.refusal(actor, obj, t.action, comment="-") is None
        ]


def _load_locked(session: Session, workflow: Workflow, actor: User, item_id: Any) -> Any:
    model = workflow.model
    stmt = authz.scope(actor, select(model).where(model.id == item_id), model)
    # Row lock on PostgreSQL (ignored by SQLite, where the version counter does the work).
    obj = session.scalars(stmt.with_for_update(of=model)).one_or_none()
    if obj is None:
        raise NotFound(_l("The item was not found."))
    return obj


def apply(
    session: Session,
    workflow: Workflow,
    item_id: Any,
    action: str,
    actor: User,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
    ip: str | None = None,
    params: dict[str, Any] | None = None,
    commit: bool = True,
) -> Any:
    """Take ``action`` on the item as ``actor``; the one way any state changes."""
    params = dict(params or {})
    comment = (comment or "").strip() or None
    try:
        obj = _load_locked(session, workflow, actor, item_id)
        if expected_version is not None and obj.version != expected_version:
            raise DomainError(
                _l(
                    "Someone else changed this item a moment ago. Reload the page to see the decision."
                )
            )
        refusal = workflow.refusal(actor, obj, action, params, comment)
        if refusal is not None:
            raise refusal
        transition = workflow.transitions[action]
        before = workflow.state_of(obj)
        now = utcnow()
        # The effect runs first, so that the state and the fields its invariants need (an
        # approver, a decision time, a created office) reach the database together.
        facts: dict[str, Any] = {}
        if transition.effect is not None:
            with session.no_autoflush:
                facts = (
                    transition.effect(session, actor, obj, {**params, "comment": comment}, now)
                    or {}
                )
        target = (
            transition.target
            if isinstance(transition.target, enum.Enum)
            else transition.target(obj)
        )
        setattr(obj, workflow.state_attr, target)
        session.flush()  # the version counter makes a concurrent decision fail here
        details = {
            **{k: v for k, v in params.items() if isinstance(v, str | int | float | bool)},
            **facts,
        }
        region_id, office_id, department_id = workflow.audit_scope(obj)
        audit.append_event(
            session,
            actor=actor,
            action=action,
            record_type=workflow.name,
            record_id=obj.id,
            from_state=before.value,
            to_state=target.value,
            comment=comment,
            ip=ip,
            details=details or None,
            region_id=region_id,
            office_id=office_id,
            department_id=department_id,
            occurred_at=now,
        )
        if commit:
            session.commit()
        return obj
    except StaleDataError:
        session.rollback()
        raise DomainError(
            _l("Someone else decided this item a moment ago. Reload the page to see the decision.")
        ) from None
    except Exception:
        session.rollback()
        raise


@dataclass
class Outcome:
    item_id: Any
    ok: bool
    message: str


def apply_many(
    session: Session,
    workflow: Workflow,
    item_ids: Iterable[Any],
    action: str,
    actor: User,
    **kwargs: Any,
) -> list[Outcome]:
    """A bulk action: each item goes through ``apply`` on its own and reports its own outcome."""
    outcomes = []
    for item_id in item_ids:
        try:
            apply(session, workflow, item_id, action, actor, **kwargs)
            outcomes.append(Outcome(item_id, True, ""))
        except DomainError as exc:
            outcomes.append(Outcome(item_id, False, str(exc.message)))
    return outcomes
