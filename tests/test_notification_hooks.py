"""Who is told what, where each decision is taken: a claim above the clerk's limit reaches the
branch head (then the regional head), a returned claim its clerk, a submitted office proposal
the region's heads. In the app, on the small organisation of tests/fixtures/org.py."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from models import Notification, OutboxMessage
from tests.fixtures import claim_world as world
from tests.fixtures.org import Org, make_org
from tests.test_claims import (
    CLERK,
    HEAD,
    OTHER_REGION_HEAD,
    REGIONAL_HEAD,
    SECOND_CLERK,
    decide,
    verified_claim,
)
from tests.test_claims import settings as settings  # noqa: F401 (the fixture)


@pytest.fixture(autouse=True)
def org(empty_db: Any) -> Org:
    return make_org(empty_db)


def told(session: Any, user: Any, username: str) -> list[tuple[str, int]]:
    session.expire_all()
    rows = session.scalars(
        select(Notification)
        .where(Notification.user_id == user(username).id)
        .order_by(Notification.id)
    )
    return [(n.kind, n.record_id) for n in rows]


def test_a_claim_above_the_limits_reaches_each_next_approver(session, user, settings):
    member = world.paid_member(session, income=5_000_000)
    claim = verified_claim(session, user, settings, world.jkk_data(member, death=True))
    assert told(session, user, HEAD) == []
    decide(session, user, claim, "approve", SECOND_CLERK)  # above the clerk's limit
    assert told(session, user, HEAD) == [("claim_escalated", claim.id)]
    assert told(session, user, REGIONAL_HEAD) == []
    decide(session, user, claim, "approve", HEAD)  # above the branch head's limit
    assert told(session, user, REGIONAL_HEAD) == [("claim_escalated", claim.id)]
    assert told(session, user, OTHER_REGION_HEAD) == []
    # No email address: in the app only.
    assert session.scalars(select(OutboxMessage)).all() == []


def test_a_returned_claim_reaches_its_clerk(session, user, settings):
    claim = verified_claim(session, user, settings, world.jkm_data(world.paid_member(session)))
    decide(session, user, claim, "return", SECOND_CLERK, comment="Kartu keluarga tidak terbaca")
    assert told(session, user, CLERK) == [("claim_returned", claim.id)]
    assert told(session, user, SECOND_CLERK) == []  # who returned it


def test_a_submitted_proposal_reaches_the_regional_head(session, user):
    from tests.test_office_proposals import submitted_proposal

    proposal = submitted_proposal(session, user)
    assert told(session, user, REGIONAL_HEAD) == [("proposal_submitted", proposal.id)]
    assert told(session, user, OTHER_REGION_HEAD) == []
