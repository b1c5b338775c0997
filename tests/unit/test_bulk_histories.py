"""seed-bulk's payment histories (``seed.bulk._history``) stand where the lifecycle rule puts
them: for thousands of generated members under several rules, the status, its day, the stored
lapse and end days and every change are ``rules.lifecycle.replay``'s answer."""

from __future__ import annotations

import random
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from backoffice.rules import lifecycle
from backoffice.seed.bulk import _history
from models import MemberStatus

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    "rules",
    [
        lifecycle.Rules(max_arrears=3, window_months=3, due_day=15),
        lifecycle.Rules(max_arrears=0, window_months=1, due_day=1),
        lifecycle.Rules(max_arrears=1, window_months=6, due_day=28),
        lifecycle.Rules(max_arrears=6, window_months=12, due_day=20),
    ],
    ids=str,
)
def test_generated_histories_agree_with_the_rule(rules: lifecycle.Rules) -> None:
    rng = random.Random(2026)
    ctx = SimpleNamespace(today=TODAY, rules=rules)
    seen = set()
    for _ in range(3_000):
        start = TODAY - timedelta(days=rng.randrange(3_650))
        history = _history(ctx, rng.random, start)
        payments = [lifecycle.Paid(period, day) for period, day in history.paid]
        standing, changes = lifecycle.replay(payments, TODAY, rules)
        assert (history.status, history.since) == (standing.status, standing.since), start
        if history.status is not MemberStatus.REGISTERED:
            assert (history.lapses_on, history.ends_on) == lifecycle.stored_dates(standing)
        assert list(history.changes) == changes
        assert all(day <= TODAY for _, day in history.paid)
        assert len({period for period, _ in history.paid}) == len(history.paid)
        seen.add(history.status)
    assert {MemberStatus.REGISTERED, MemberStatus.ACTIVE, MemberStatus.ENDED} <= seen
