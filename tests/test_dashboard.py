"""The home page as a worklist, per demo role: what waits for each user, oldest or most urgent
first, each item a link to its page and each group's count a link to its (filtered) list, all
within the user's scope. On the full demo (``seed_demo`` with its waiting work)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from backoffice.i18n import format_rupiah
from backoffice.seed.demo import DEMO_MEMBERS, seed_demo
from models import BatchState, Claim, ClaimState, Member, MemberBatch, OfficeProposal, Role
from tests.html_page import Node, Page


@pytest.fixture
def demo(session: Any) -> Any:
    seed_demo(session)
    session.commit()
    return session


def home(login: Any, username: str) -> Page:
    response = login(username).get("/admin/")
    assert response.status_code == 200
    return Page(response)


def groups(page: Page) -> dict[str, Node]:
    """The worklist's groups by key."""
    return {
        node.attrs["id"].removeprefix("group-"): node
        for node in page.by_id("worklist").all("div", cls="card")
    }


def items(group: Node) -> list[tuple[str, str, str]]:
    """(text, href, whole line) of each item of a group, in order ("show all" left out)."""
    found = []
    for li in group.all("li"):
        link = li.all("a")[0]
        if "badge" not in link.classes() and not link.text.startswith("Tampilkan"):
            found.append((link.text, link.attrs["href"], li.text))
    return found


def count_link(group: Node) -> tuple[str, str]:
    badge = group.one("a", cls="group-count")
    return badge.text, badge.attrs["href"]


def claim_of(session: Any, key: str) -> Claim:
    member = session.scalar(select(Member).where(Member.nik == DEMO_MEMBERS[key]))
    return session.scalar(select(Claim).where(Claim.member_id == member.id))


def test_the_regional_head_sees_the_proposal_waiting_for_a_decision(demo, login):
    page = home(login, "kanwil.banten")
    found = groups(page)
    assert set(found) == {"proposals_waiting"}
    proposal = demo.scalar(select(OfficeProposal))
    [(text, href, line)] = items(found["proposals_waiting"])
    assert text == "KCP Anyer" and href == f"/admin/proposal_queue/details/?id={proposal.id}"
    assert "Kepala KC Serang" in line and "sejak hari ini" in line
    assert count_link(found["proposals_waiting"]) == ("1", "/admin/proposal_queue/")
    # The link opens the proposal, with its decision.
    assert login("kanwil.banten").get(href).status_code == 200
    # Another region's head sees nothing of Banten's.
    other = home(login, "kanwil.jakarta")
    assert groups(other) == {} and other.has_id("nothing-waiting")


def test_the_branch_head_sees_claims_above_the_clerk_limit_and_proposals(demo, login):
    found = groups(home(login, "kepala.serang"))
    escalated = claim_of(demo, "serang_transport")
    assert escalated.approval_level is Role.BRANCH_HEAD
    [(text, href, line)] = items(found["claims_to_approve"])
    assert text == str(escalated) and href == f"/admin/claim/details/?id={escalated.id}"
    assert format_rupiah(escalated.amount) in line and escalated.member.name in line
    number, url = count_link(found["claims_to_approve"])
    assert number == "1" and parse_qs(urlsplit(url).query) and "/admin/claim/" in url
    [(text, href, line)] = items(found["proposals_open"])
    assert text == "KCP Anyer" and "diajukan" in line
    assert [t for t, _h, _l in items(found["registrations"])] == [
        "Petani Pontang tahap 2.csv",
        "Pedagang Pasar Ciruas.csv",
    ]
    assert login("kepala.serang").get(href).status_code == 200


def test_the_clerk_sees_batches_and_claims_by_stage_with_links(demo, login):
    page = home(login, "petugas.serang")
    found = groups(page)
    stage = {key: [t for t, _h, _l in items(found[key])] for key in found}
    assert stage["claims_new"] == [
        str(claim_of(demo, "serang_jht_long")),
        str(claim_of(demo, "serang_jkk_death")),
    ]
    assert stage["claims_missing"] == [str(claim_of(demo, "serang_caught_up"))]
    assert stage["claims_to_approve"] == [str(claim_of(demo, "serang_age_56"))]
    assert stage["claims_returned"] == [str(claim_of(demo, "serang_farmer"))]
    # The paid claim waits for nobody; the escalated one is the branch head's.
    paid, escalated = claim_of(demo, "serang_scattered"), claim_of(demo, "serang_transport")
    assert paid.state is ClaimState.PAID
    listed = {t for names in stage.values() for t in names}
    assert str(paid) not in listed and str(escalated) not in listed
    # Registration batches, oldest first, the one sent with refused rows flagged.
    batches = items(found["registrations"])
    assert [t for t, _h, _l in batches] == [
        "Petani Pontang tahap 2.csv",
        "Pedagang Pasar Ciruas.csv",
    ]
    assert "tidak lolos pemeriksaan" in batches[1][2] and "tidak lolos" not in batches[0][2]
    waiting = demo.scalar(
        select(MemberBatch).where(MemberBatch.filename == "Pedagang Pasar Ciruas.csv")
    )
    assert batches[1][1] == f"/admin/registration_queue/details/?id={waiting.id}"
    assert count_link(found["registrations"]) == ("2", "/admin/registration_queue/")
    # Each count opens its list filtered: the returned claims' list shows the returned claim.
    clerk = login("petugas.serang")
    number, url = count_link(found["claims_returned"])
    listed_page = clerk.get(url)
    assert number == "1" and listed_page.status_code == 200
    text = listed_page.get_data(as_text=True)
    assert str(claim_of(demo, "serang_farmer")) in text and str(paid) not in text
    for _text, href, _line in items(found["claims_new"]) + batches:
        assert clerk.get(href).status_code == 200
    # The lapsed members (arrears can still be paid) and a claims card.
    assert items(found["members_lapsed"])
    assert page.by_id("card-claim_queue").attrs["href"] == "/admin/claim_queue/"
    # Another office's clerk sees none of KC Serang's work.
    assert not {"claims_new", "registrations"} & set(groups(home(login, "petugas.cilegon")))


def test_the_liaisons_see_their_own_batches_flagged(demo, login):
    found = groups(home(login, "dinas.pertanian.serang"))
    assert set(found) == {"batches_rejected", "batches_waiting"}
    [(text, href, line)] = items(found["batches_rejected"])
    decided = demo.scalar(select(MemberBatch).where(MemberBatch.filename == text))
    assert decided.state is BatchState.PARTIALLY_ACCEPTED and decided.rejected_count == 1
    assert href == f"/admin/batch/details/?id={decided.id}"
    assert "1 baris ditolak: lihat alasannya" in line
    assert found["batches_rejected"].attrs["class"].count("border-warning") == 1
    assert [t for t, _h, _l in items(found["batches_waiting"])] == ["Petani Pontang tahap 2.csv"]
    # The other department's liaison: the draft left unsent, flagged; nothing of Distan's.
    found = groups(home(login, "diskoumperindag.serang"))
    assert set(found) == {"batches_draft", "batches_waiting"}
    [(text, href, line)] = items(found["batches_draft"])
    assert text == "Pedagang Pasar Baros.csv" and "belum dikirim" in line
    number, url = count_link(found["batches_draft"])
    assert number == "1" and url.startswith("/admin/batch/?flt0_")
    assert login("diskoumperindag.serang").get(url).status_code == 200


def test_the_auditor_and_the_administrator_get_links_to_review(demo, login):
    for username in ("auditor.banten", "admin"):
        page = home(login, username)
        found = groups(page)
        assert set(found) == {"review"}
        links = {text: href for text, href, _line in items(found["review"])}
        assert links["Jejak audit: setiap keputusan dan perubahan"] == "/admin/audit/"
        assert "flt0_" in links["Klaim dibayar"]
        client = login(username)
        paid = client.get(links["Klaim dibayar"]).get_data(as_text=True)
        assert str(claim_of(demo, "serang_scattered")) in paid
        assert str(claim_of(demo, "serang_jht_long")) not in paid


def test_the_regional_heads_home_opens_with_coverage_against_the_target(demo, login):
    page = home(login, "kanwil.banten")
    target = page.by_id("coverage-target").text
    assert "2.620.000" in target and "%" in target
    # The regencies of Banten ranked by coverage, each a link to its own breakdown.
    rows = page.by_id("coverage-breakdown").all("tr")[1:]
    assert len(rows) >= 2
    first_link = rows[0].all("a")[0].attrs["href"]
    assert first_link.startswith("/admin/coverage/")
    assert login("kanwil.banten").get(first_link).status_code == 200
    # The trend's chart is drawn from the data block, beside its table.
    assert page.has_id("coverage-trend") and page.has_id("coverage-trend-table")
    # A clerk's and a liaison's homes show their own scope's coverage; an office of another
    # region shows none of Banten's target.
    assert home(login, "petugas.serang").has_id("coverage-panel")
    assert home(login, "dinas.pertanian.serang").has_id("coverage-panel")
    assert "2.620.000" not in home(login, "kanwil.jakarta").by_id("coverage-panel").text
