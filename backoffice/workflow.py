"""One workflow engine for every decision: office proposals, member registrations, claims.

A workflow is data: transitions ``action -> to state`` with the guards on the item's data,
whether a comment is required and what the transition does. Who may take an action, and from
which states, is the action's permission in ``authz`` (role, state, maker-checker, office,
approval level and limit): the engine asks it first, so a screen that asks the same question
shows exactly the actions the engine accepts. ``apply`` is the only way a state changes: it
checks, locks the row, changes it and writes the audit event, and flushes; the caller commits
(one unit of work per request, command or task). A refused transition raises a ``DomainError``
whose message the user can read (``Forbidden`` when the user could never take it).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models import Role, User

from . import audit, authz
from .clock import utcnow
from .errors import DomainError, NotFound

# guard(actor, obj, params) -> None when the item's data allows it, else a message for the user
Guard = Callable[[User, Any, dict[str, Any]], Any]
# effect(session, actor, obj, params, now): what the transition does besides the state change;
# it may return a dict of facts for the audit event (counts, numbers issued).
Effect = Callable[[Session, User, Any, dict[str, Any], datetime], dict[str, Any] | None]


@dataclass(frozen=True)
class Transition:
    #: who may take it, from which states: the action's permission in ``authz``
    permission: authz.Action
    # The state after the transition, or a function of the item once the effect has run (a
    # batch is completed or still in review depending on the rows left).
    target: enum.Enum | Callable[[Any], enum.Enum]
    comment_required: bool = False
    #: conditions on the item's data (documents complete, valid rows present, payment given)
    guards: tuple[Guard, ...] = ()
    effect: Effect | None = None
    style: str = "primary"  # button colour on the details page
    #: The question asked before the click is sent (``confirmation``): a function of the item
    #: (None: no question), or None for the default, asked of every decision.
    confirm: Callable[[Any], Any] | None = None

    @property
    def action(self) -> str:
        return self.permission.name

    @property
    def label(self) -> Any:
        return self.permission.label

    @property
    def roles(self) -> frozenset[Role]:
        return self.permission.roles

    def confirmation(self, obj: Any) -> Any:
        """What the screen asks before taking this transition on ``obj`` (None: nothing): a
        decision cannot be undone, so it is confirmed in the page first (static/confirm.js)."""
        if self.confirm is not None:
            return self.confirm(obj)
        if self.permission.decision:
            return _l("%(action)s: this decision cannot be undone. Continue?", action=self.label)
        return None


@dataclass(frozen=True)
class Option:
    """A transition as a screen offers it: allowed (a button), or refused with its reason."""

    transition: Transition
    decision: authz.Decision


class Workflow:
    """The transitions of one kind of item, each the permission of an action of ``policy``."""

    def __init__(
        self,
        policy: authz.Policy,
        transitions: Iterable[Transition],
        # (region_id, office_id, department_id) the item belongs to, for the audit trail's scope
        audit_scope: Callable[[Any], tuple[int | None, int | None, int | None]],
    ) -> None:
        assert policy.model is not None
        self.policy = policy
        self.model = policy.model
        self.transitions = {t.action: t for t in transitions}
        self.audit_scope = audit_scope
        for name, transition in self.transitions.items():
            assert policy.actions.get(name) is transition.permission, name

    @property
    def name(self) -> str:
        """The record type in the audit trail."""
        return self.policy.record

    def state_of(self, obj: Any) -> enum.Enum:
        return getattr(obj, self.policy.state_attr)

    def decision(
        self,
        actor: User,
        obj: Any,
        action: str,
        *,
        params: dict[str, Any] | None = None,
        comment: str | None = None,
        facts: authz.Facts | None = None,
    ) -> authz.Decision:
        """Whether ``actor`` may take ``action`` on ``obj`` now: the permission (authz), then
        the guards on the item's data, then the comment."""
        transition = self.transitions.get(action)
        if transition is None:
            return authz.Decision(action, False, _l("Unknown action."), forbidden=True)
        decision = self.policy.check(actor, action, obj, facts)
        if not decision:
            return decision
        for guard in transition.guards:
            message = guard(actor, obj, params or {})
            if message:
                return authz.Decision(action, False, message, expected=True)
        if transition.comment_required and not (comment or "").strip():
            return authz.Decision(
                action, False, _l("A reason is required for %(action)s.", action=transition.label)
            )
        return decision

    def refusal(
        self,
        actor: User,
        obj: Any,
        action: str,
        params: dict[str, Any] | None = None,
        comment: str | None = None,
        facts: authz.Facts | None = None,
    ) -> DomainError | None:
        """Why ``actor`` may not take ``action`` on ``obj`` now (None when they may).

        The error is a ``Forbidden`` whenever the actor could never take the action (wrong role,
        their own item, another office's), whatever message explains it first; otherwise a
        ``DomainError``.
        """
        return self.decision(
            actor, obj, action, params=params, comment=comment, facts=facts
        ).error()

    def options(
        self,
        actor: User,
        obj: Any,
        *,
        params: dict[str, Any] | None = None,
        facts: authz.Facts | None = None,
    ) -> list[Option]:
        """Every transition judged for ``actor`` on ``obj`` as ``apply`` would judge it, a
        comment assumed given (the form asks for it)."""
        return [
            Option(t, self.decision(actor, obj, t.action, params=params, comment="-", facts=facts))
            for t in self.transitions.values()
        ]

    def available(
        self,
        actor: User,
        obj: Any,
        *,
        params: dict[str, Any] | None = None,
        facts: authz.Facts | None = None,
    ) -> list[Transition]:
        """Transitions the actor could take now (a comment may still be asked for)."""
        return [
            o.transition for o in self.options(actor, obj, params=params, facts=facts) if o.decision
        ]


def told(options: Iterable[Option]) -> list[Any]:
    """Why the user may not take an action they would expect to (their own item, above their
    limit, documents missing), each reason once: a screen shows them near its buttons instead
    of buttons that would be refused."""
    reasons: list[Any] = []
    for option in options:
        reason = option.decision.reason
        if option.decision.tell and str(reason) not in {str(r) for r in reasons}:
            reasons.append(reason)
    return reasons


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
    facts: authz.Facts | None = None,
) -> Any:
    """Take ``action`` on the item as ``actor``; the one way any state changes.

    Flushed, not committed: the caller's unit of work commits, or rolls back on an error.
    """
    params = dict(params or {})
    comment = (comment or "").strip() or None
    obj = _load_locked(session, workflow, actor, item_id)
    if expected_version is not None and obj.version != expected_version:
        raise DomainError(
            _l("Someone else changed this item a moment ago. Reload the page to see the decision.")
        )
    refusal = workflow.refusal(actor, obj, action, params, comment, facts)
    if refusal is not None:
        raise refusal
    transition = workflow.transitions[action]
    before = workflow.state_of(obj)
    now = utcnow()
    # The effect runs first, so that the state and the fields its invariants need (an
    # approver, a decision time, a created office) reach the database together.
    found: dict[str, Any] = {}
    if transition.effect is not None:
        with session.no_autoflush:
            found = (
                transition.effect(session, actor, obj, {**params, "comment": comment}, now) or {}
            )
    target = (
        transition.target if isinstance(transition.target, enum.Enum) else transition.target(obj)
    )
    setattr(obj, workflow.policy.state_attr, target)
    try:
        session.flush()  # the version counter makes a concurrent decision fail here
    except StaleDataError:
        # A failed flush leaves the transaction unusable (lost either way): ended here, so that
        # the refusal can be told (its message reads the user's language).
        session.rollback()
        raise DomainError(
            _l("Someone else decided this item a moment ago. Reload the page to see the decision.")
        ) from None
    details = {
        **{k: v for k, v in params.items() if isinstance(v, str | int | float | bool)},
        **found,
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
    return obj
