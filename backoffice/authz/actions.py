"""Actions: may this user do this to this item now, and if not, why.

Each action is declared once, with its conditions: the roles that take it, the states it starts
from, maker-checker (whoever prepared or submitted an item never decides it) and rules on the user
and the item (their office serves it, the claim waits at their approval level, the amount is
within their limit). ``check`` answers with a ``Decision``: the service refuses with it, the
workflow engine asks it for the permission part of a transition, and a screen shows a button, or
the reason, from the same answer.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import object_session

from models import AuditEvent, Role, User

from ..errors import DomainError, Forbidden
from ..labels import STATE_LABELS


@dataclass(frozen=True)
class Facts:
    """What some rules need besides the user and the item: reference data in force today, read
    by the service that asks (authz reads no reference data itself)."""

    #: the approval limit of each approval level (None: no limit)
    approval_limits: Mapping[Role, int | None] | None = None


#: rule(user, item, facts) -> None when it is met, else the reason (a message for the user)
RuleTest = Callable[[User, Any, Facts], Any]


@dataclass(frozen=True)
class Rule:
    test: RuleTest
    #: unmet, the user may never take the action on this item (another office's, not theirs):
    #: refused as ``Forbidden`` (403), not as something that may change
    forbids: bool = False
    #: unmet, the reason is not worth showing on a screen (another action is offered instead)
    quiet: bool = False


@dataclass(frozen=True)
class Decision:
    """The answer to "may this user take this action on this item now"."""

    action: str
    allowed: bool
    reason: Any = None
    #: the user could never take it on this item (role, their own item, another office)
    forbidden: bool = False
    #: the user's role takes this action and the item is in a state it starts from: a refusal
    #: is one the user could not foresee (their own item, above their limit), worth telling
    expected: bool = False

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def tell(self) -> bool:
        """Show the reason near the buttons (instead of a button that would be refused)."""
        return not self.allowed and self.expected

    def error(self) -> DomainError | None:
        """The refusal as the error a service raises (None when allowed)."""
        if self.allowed:
            return None
        kind = Forbidden if self.forbidden else DomainError
        return kind(self.reason)

    def require(self) -> None:
        """Raise the refusal, if any."""
        error = self.error()
        if error is not None:
            raise error


def allow(action: str) -> Decision:
    return Decision(action, True)


@dataclass(frozen=True)
class Action:
    name: str
    label: Any
    roles: frozenset[Role]
    #: the states it starts from (None: any state, or a rule says it)
    states: frozenset[enum.Enum] | None = None
    #: a checker's decision: the item's makers may not take it
    decision: bool = False
    rules: tuple[Rule, ...] = ()
    #: the refusal when the role may not take it (default: names the action)
    role_refusal: Any = None
    #: the refusal when the state does not fit (default: names the state and the action)
    state_refusal: Any = None


def _no_makers(item: Any) -> Iterable[int | None]:
    return ()


def editors(item: Any, record: str, actions: Iterable[str]) -> set[int | None]:
    """Who changed an item's decisive data, as its audit trail says (each change is audited in
    the transaction that makes it): they are makers of the item too, whatever screen they used.
    An item not yet saved has none."""
    session = object_session(item)
    if session is None or getattr(item, "id", None) is None:
        return set()
    return set(
        session.scalars(
            select(AuditEvent.actor_id).where(
                AuditEvent.record_type == record,
                AuditEvent.record_id == str(item.id),
                AuditEvent.action.in_(tuple(actions)),
            )
        )
    )


#: the policy of each model, for ``check``
POLICIES: dict[type, Policy] = {}


@dataclass
class Policy:
    """The actions on one kind of item."""

    record: str
    actions: dict[str, Action]
    #: the model whose items the actions are about (``check`` finds the policy by it)
    model: type | None = None
    #: user ids who made the item (created, submitted): maker-checker
    makers: Callable[[Any], Iterable[int | None]] = _no_makers
    state_attr: str = "state"
    # every policy is maker-checker unless it opts out explicitly; none of ours does
    maker_checker: bool = True

    def __post_init__(self) -> None:
        if self.model is not None:
            POLICIES[self.model] = self

    def may_take(self, user: User | None, action: str) -> bool:
        """Whether the user's role takes ``action`` at all (a menu entry, a bulk action)."""
        act = self.actions.get(action)
        return act is not None and _active(user) and user.role in act.roles

    def check(
        self, user: User | None, action: str, item: Any = None, facts: Facts | None = None
    ) -> Decision:
        """Whether ``user`` may take ``action`` on ``item`` now, and if not, why.

        ``item`` was read through the user's row scope (out of scope is NotFound before any
        action is asked about). The first unmet condition gives the reason, in this order: the
        state, the role, maker-checker, then the action's rules.
        """
        act = self.actions.get(action)
        if act is None:
            return Decision(action, False, _l("Unknown action."), forbidden=True)
        if not _active(user):
            return Decision(action, False, _role_refusal(act), forbidden=True)
        role_ok = user.role in act.roles
        own_item = (
            self.maker_checker
            and act.decision
            and item is not None
            and user.id in set(self.makers(item))
        )
        forbidden = not role_ok or own_item
        if act.states is not None:
            state = getattr(item, self.state_attr)
            if state not in act.states:
                reason = act.state_refusal or _l(
                    "This item is already %(state)s: the action %(action)s is no longer possible.",
                    state=STATE_LABELS.get(state.value, state.value),
                    action=act.label,
                )
                return Decision(action, False, reason, forbidden=forbidden)
        if not role_ok:
            return Decision(action, False, _role_refusal(act), forbidden=True)
        if own_item:
            return Decision(
                action,
                False,
                _l("You prepared or submitted this item, so another person must decide it."),
                forbidden=True,
                expected=True,
            )
        for rule in act.rules:
            reason = rule.test(user, item, facts or NO_FACTS)
            if reason:
                return Decision(
                    action, False, reason, forbidden=rule.forbids, expected=not rule.quiet
                )
        return allow(action)


NO_FACTS = Facts()


def _active(user: User | None) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.active


def _role_refusal(act: Action) -> Any:
    return act.role_refusal or _l("Your role may not take the action %(action)s.", action=act.label)


def check(user: User | None, action: str, item: Any, facts: Facts | None = None) -> Decision:
    """``authz.check(user, "approve", claim, facts)``: the policy of the item's model decides."""
    for model in type(item).__mro__:
        policy = POLICIES.get(model)
        if policy is not None:
            return policy.check(user, action, item, facts)
    raise LookupError(f"No actions are declared for {type(item).__name__}.")


def state_in(states: Iterable[enum.Enum], refusal: Any, attr: str = "state") -> Rule:
    """A state condition checked among the rules (after who the user is), with its message; not
    told on a screen (the screen offers nothing it would refuse)."""
    allowed = frozenset(states)

    def test(user: User, item: Any, facts: Facts) -> Any:
        return None if getattr(item, attr) in allowed else refusal

    return Rule(test, quiet=True)
