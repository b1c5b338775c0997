"""Authorization in one place: "may this user do this to this item, and if not, why".

- ``scopes``: the rows of each model a user may see (out of scope answers 404, like a missing
  row), and the offices a user works for (a KC head: the KC and its KCPs), written once.
- ``screens``: which role may open which screen and what it may do there (403 otherwise).
- ``actions``: actions with their conditions (role, state, maker-checker, office, approval level
  and limit); ``check(user, action, item, facts)`` gives a ``Decision``, allowed or not with a
  reason the user can read. Services refuse with it, the workflow engine asks it for the
  permission part of every transition, and screens show a button, or the reason, from it.
- ``claims``, ``batches``, ``proposals``, ``members``, ``corrections``: the actions of each kind
  of item.
- ``personal_data``: who may see a record's NIK, phone and address in full (``may_reveal``).
"""

from .actions import POLICIES, Action, Decision, Facts, Policy, Rule, check
from .api_tokens import API_TOKENS, ApiPrincipal
from .batches import BATCHES
from .claims import CLAIMS
from .corrections import CORRECTIONS
from .members import MEMBERS, PAYERS
from .personal_data import may_reveal
from .proposals import PROPOSALS
from .scopes import (
    Offices,
    choosable,
    offices_of,
    row_condition,
    scope,
    scoped_select,
    works_for,
)
from .screens import SCREENS, Screen, may

__all__ = [
    "API_TOKENS",
    "ApiPrincipal",
    "BATCHES",
    "CLAIMS",
    "CORRECTIONS",
    "MEMBERS",
    "PAYERS",
    "POLICIES",
    "PROPOSALS",
    "SCREENS",
    "Action",
    "Decision",
    "Facts",
    "Offices",
    "Policy",
    "Rule",
    "Screen",
    "check",
    "choosable",
    "may",
    "may_reveal",
    "offices_of",
    "row_condition",
    "scope",
    "scoped_select",
    "works_for",
]
