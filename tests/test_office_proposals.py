"""Office proposals: proposed by a branch head, decided by the regional head, through the engine.

Service calls run outside a web request, where messages are in Indonesian (the default language).
"""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backoffice import authz
from backoffice.audit import history, verify_chain
from backoffice.errors import DomainError, Forbidden, NotFound
from backoffice.services import proposals as service
from backoffice.transaction import unit_of_work
from models import AuditEvent, Office, OfficeProposal, OfficeType, ProposalState, Regency
from tests.html_page import Page

TODAY = date.today()


def _data(session, name="Kramatwatu", parent_code="B01", regency="3604", opening=TODAY):
    parent = session.scalar(select(Office).where(Office.code == parent_code))
    return service.ProposalData(
        name=name,
        office_type=OfficeType.KCP,
        parent=parent,
        regency=session.scalar(select(Regency).where(Regency.code == regency)),
        address="Jl. Raya Serang-Cilegon Km 10",
        planned_opening=opening,
        staff_count=4,
        justification="Banyak pekerja informal di kawasan industri.",
    )


def decide(session, proposal_id, action, actor, **kwargs):
    """A decision through the service as a screen takes it: one unit of work."""
    with unit_of_work(session):
        return service.decide(session, actor, proposal_id, action, **kwargs)


def submitted_proposal(session, user, **kwargs):
    head = user("kepala.serang")
    proposal = service.propose_office(session, head, _data(session, **kwargs), today=TODAY)
    session.commit()
    decide(session, proposal.id, "submit", head)
    return proposal


def test_branch_head_proposes_and_regional_head_approves(session, user):
    proposal = submitted_proposal(session, user)
    assert proposal.state is ProposalState.SUBMITTED and proposal.submitted_at
    approved = decide(session, proposal.id, "approve", user("kanwil.banten"))
    assert approved.state is ProposalState.APPROVED
    office = session.get(Office, approved.office_id)
    assert office.name == "Kramatwatu" and office.office_type is OfficeType.KCP
    assert office.parent.code == "B01" and office.code == approved.office_code == "B0104"
    assert office.opened_on == TODAY and office.active
    assert approved.decided_by.username == "kanwil.banten" and approved.decided_at
    actions = [e.action for e in history(session, "office_proposal", proposal.id)]
    assert actions == ["create", "submit", "approve"]
    assert verify_chain(session).ok


@pytest.mark.parametrize(
    "code", ["<script>alert(1)</script>" + "B" * 225, "B01-04", "B 0104", "B0104567890", "Б01"]
)
def test_an_office_code_that_is_not_letters_and_digits_within_the_column_is_refused(
    session, user, code
):
    proposal = submitted_proposal(session, user)
    with pytest.raises(DomainError) as refused:
        decide(session, proposal.id, "approve", user("kanwil.banten"), office_code=code)
    assert str(refused.value) == (
        "Kode kantor hanya berisi huruf A-Z dan angka 0-9, paling banyak 10 karakter."
    )
    session.expire_all()
    assert session.get(OfficeProposal, proposal.id).state is ProposalState.SUBMITTED
    assert session.scalar(select(Office.id).where(Office.name == "Kramatwatu")) is None


def test_a_valid_office_code_given_on_approval_is_kept(session, user):
    proposal = submitted_proposal(session, user)
    approved = decide(session, proposal.id, "approve", user("kanwil.banten"), office_code="b0109")
    assert session.get(Office, approved.office_id).code == approved.office_code == "B0109"


def test_proposer_cannot_decide_own_proposal(session, user):
    proposal = submitted_proposal(session, user)
    with pytest.raises(Forbidden):
        decide(session, proposal.id, "approve", user("kepala.serang"))
    assert session.get(OfficeProposal, proposal.id).state is ProposalState.SUBMITTED


def test_maker_checker_refuses_a_regional_head_deciding_what_they_proposed(
    session, user, monkeypatch
):
    proposal = submitted_proposal(session, user)
    head = user("kanwil.banten")
    monkeypatch.setattr(authz.PROPOSALS, "makers", lambda p: {head.id})
    with pytest.raises(Forbidden, match="orang lain yang harus memutuskannya"):
        decide(session, proposal.id, "approve", head)


def test_regional_head_of_another_region_never_sees_it(session, user):
    proposal = submitted_proposal(session, user)
    with pytest.raises(NotFound):
        decide(session, proposal.id, "approve", user("kanwil.jakarta"))


@pytest.mark.parametrize("action", ["reject", "return"])
def test_reject_and_return_need_a_reason(session, user, action):
    proposal = submitted_proposal(session, user)
    head = user("kanwil.banten")
    with pytest.raises(DomainError, match="Alasan wajib diisi"):
        decide(session, proposal.id, action, head, comment="  ")
    decided = decide(
        session,
        proposal.id,
        action,
        head,
        comment="Lokasi terlalu dekat dengan KC.",
    )
    assert decided.decision_comment == "Lokasi terlalu dekat dengan KC."


def test_returned_proposal_is_changed_and_resubmitted(session, user):
    proposal = submitted_proposal(session, user)
    decide(
        session,
        proposal.id,
        "return",
        user("kanwil.banten"),
        comment="Tambah staf",
    )
    data = _data(session)
    data.staff_count = 5
    service.update_proposal(session, user("kepala.serang"), proposal, data, today=TODAY)
    session.commit()
    again = decide(session, proposal.id, "resubmit", user("kepala.serang"))
    assert again.state is ProposalState.SUBMITTED and again.staff_count == 5
    assert again.decided_by_id is None


def test_submitted_proposal_cannot_be_edited(session, user):
    proposal = submitted_proposal(session, user)
    with pytest.raises(DomainError):
        service.update_proposal(
            session, user("kepala.serang"), proposal, _data(session), today=TODAY
        )


def test_proposal_can_be_withdrawn_before_but_not_after_a_decision(session, user):
    proposal = submitted_proposal(session, user)
    withdrawn = decide(session, proposal.id, "withdraw", user("kepala.serang"))
    assert withdrawn.state is ProposalState.WITHDRAWN
    other = submitted_proposal(session, user, name="Anyer")
    decide(session, other.id, "approve", user("kanwil.banten"))
    with pytest.raises(DomainError, match="tidak dapat dilakukan lagi"):
        decide(session, other.id, "withdraw", user("kepala.serang"))


def test_a_decided_proposal_cannot_be_decided_again(session, user):
    proposal = submitted_proposal(session, user)
    head = user("kanwil.banten")
    decide(session, proposal.id, "reject", head, comment="Tidak perlu")
    with pytest.raises(DomainError, match="tidak dapat dilakukan lagi"):
        decide(session, proposal.id, "approve", head)


def test_stale_version_is_refused(session, user):
    proposal = submitted_proposal(session, user)
    with pytest.raises(DomainError, match="baru saja diubah oleh orang lain"):
        decide(
            session,
            proposal.id,
            "approve",
            user("kanwil.banten"),
            expected_version=proposal.version - 1,
        )


def test_branch_head_proposes_kcp_only_under_own_kc(session, user):
    with pytest.raises(DomainError, match="KC-nya sendiri"):
        service.propose_office(
            session,
            user("kepala.serang"),
            _data(session, parent_code="B02", regency="3672"),
            today=TODAY,
        )


def test_clerk_cannot_propose(session, user):
    with pytest.raises(Forbidden):
        service.propose_office(session, user("petugas.serang"), _data(session), today=TODAY)


def test_duplicate_name_and_past_opening_are_refused(session, user):
    problems = service.proposal_problems(
        session,
        user("kepala.serang"),
        _data(session, name="Cikande", opening=TODAY - timedelta(days=1)),
        today=TODAY,
    )
    assert set(problems) == {"name", "planned_opening"}


def test_database_refuses_an_approved_proposal_without_approver(session, user):
    from sqlalchemy.exc import IntegrityError

    proposal = submitted_proposal(session, user)
    with pytest.raises(IntegrityError):
        session.execute(
            OfficeProposal.__table__.update()
            .where(OfficeProposal.id == proposal.id)
            .values(state="approved")
        )
        session.flush()
    session.rollback()


def test_office_with_future_opening_is_not_offered_until_it_opens(session, user, app):
    from flask_login import login_user

    proposal = submitted_proposal(session, user, opening=TODAY + timedelta(days=30))
    decide(session, proposal.id, "approve", user("kanwil.banten"))
    admin = user("admin")
    with app.test_request_context():
        login_user(admin)
        offered = set(session.scalars(select(Office.name).where(authz.choosable(admin, Office))))
    assert "Kramatwatu" not in offered
    assert session.scalar(select(Office).where(Office.name == "Kramatwatu")).opened_on > TODAY


# --- through the screens ---------------------------------------------------------------------


def _form(session, **overrides):
    serang = session.scalar(select(Office.id).where(Office.code == "B01"))
    regency = session.scalar(select(Regency.id).where(Regency.code == "3604"))
    data = {
        "name": "Kramatwatu",
        "office_type": "KCP",
        "parent": str(serang),
        "regency": str(regency),
        "address": "Jl. Raya Kramatwatu 1",
        "planned_opening": TODAY.isoformat(),
        "staff_count": "4",
        "justification": "Dekat kawasan industri.",
    }
    data.update(overrides)
    return data


def _decide(client, proposal_id, action, **extra):
    page = client.get(f"/admin/proposal/details/?id={proposal_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page)
    data = {
        "id": proposal_id,
        "action": action,
        "version": version.group(1) if version else "1",
        **extra,
    }
    return client.post("/admin/proposal/decide/", data=data)


def test_journey_kepala_proposes_kanwil_approves_in_the_queue(login, session):
    kepala = login("kepala.serang")
    assert kepala.post("/admin/proposal/new/", data=_form(session)).status_code == 302
    proposal = session.scalar(select(OfficeProposal).where(OfficeProposal.name == "Kramatwatu"))
    details = kepala.get(f"/admin/proposal/details/?id={proposal.id}").get_data(as_text=True)
    assert 'id="action-submit"' in details and 'id="action-approve"' not in details
    assert _decide(kepala, proposal.id, "submit").status_code == 302

    kanwil = login("kanwil.banten")
    home = kanwil.get("/admin/").get_data(as_text=True)
    assert 'id="queue-count">1<' in home
    queue = kanwil.get("/admin/proposal_queue/").get_data(as_text=True)
    assert "Kramatwatu" in queue
    # the proposer sees no decision button, and a forged decision is refused
    details = kepala.get(f"/admin/proposal/details/?id={proposal.id}").get_data(as_text=True)
    assert 'id="action-approve"' not in details
    assert _decide(kepala, proposal.id, "approve").status_code == 403
    assert kepala.get("/admin/proposal_queue/").status_code == 403

    assert _decide(kanwil, proposal.id, "approve").status_code == 302
    session.expire_all()
    assert session.get(OfficeProposal, proposal.id).state is ProposalState.APPROVED
    # the new office is offered wherever offices are chosen
    form = login("admin").get("/admin/user/new/").get_data(as_text=True)
    assert "KCP Kramatwatu" in form
    # and Kanwil DKI Jakarta never sees any of it
    jakarta = login("kanwil.jakarta")
    assert "Kramatwatu" not in jakarta.get("/admin/proposal/").get_data(as_text=True)
    assert jakarta.get(f"/admin/proposal/details/?id={proposal.id}").status_code == 404
    assert "Kramatwatu" not in jakarta.get("/admin/office/").get_data(as_text=True)


def test_bulk_approve_reports_each_item(login, session, user):
    first = submitted_proposal(session, user, name="Anyer")
    second = submitted_proposal(session, user, name="Kramatwatu")
    decide(session, second.id, "reject", user("kanwil.banten"), comment="Tidak")
    kanwil = login("kanwil.banten")
    response = kanwil.post(
        "/admin/proposal_queue/action/",
        data={"action": "approve", "rowid": [str(first.id), str(second.id)]},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    session.expire_all()
    assert session.get(OfficeProposal, first.id).state is ProposalState.APPROVED
    assert session.get(OfficeProposal, second.id).state is ProposalState.REJECTED
    assert "1" in html and "Kramatwatu" in html  # the refused item reports its own reason


def test_bulk_action_ignores_ids_out_of_scope(login, session, user):
    proposal = submitted_proposal(session, user)
    jakarta = login("kanwil.jakarta")
    jakarta.post(
        "/admin/proposal_queue/action/", data={"action": "approve", "rowid": [str(proposal.id)]}
    )
    session.expire_all()
    assert session.get(OfficeProposal, proposal.id).state is ProposalState.SUBMITTED


def test_bulk_reject_without_reason_is_refused_per_item(login, session, user):
    proposal = submitted_proposal(session, user)
    login("kanwil.banten").post(
        "/admin/proposal_queue/action/", data={"action": "reject", "rowid": [str(proposal.id)]}
    )
    session.expire_all()
    assert session.get(OfficeProposal, proposal.id).state is ProposalState.SUBMITTED


def test_queue_is_oldest_first_with_waiting_days(login, session, user):
    old = submitted_proposal(session, user, name="Anyer")
    submitted_proposal(session, user, name="Kramatwatu")
    old.submitted_at = old.submitted_at - timedelta(days=9)
    session.commit()
    html = login("kanwil.banten").get("/admin/proposal_queue/").get_data(as_text=True)
    assert html.index("Anyer") < html.index("Kramatwatu")
    assert re.search(r'col-waiting">\s*9\s*<', html)


def test_details_page_shows_the_history(login, session, user):
    proposal = submitted_proposal(session, user)
    html = (
        login("kanwil.banten")
        .get(f"/admin/proposal/details/?id={proposal.id}")
        .get_data(as_text=True)
    )
    assert 'id="history"' in html and "kepala.serang" in html


# --- concurrency (PostgreSQL: real connections and row locks) --------------------------------


def test_two_regional_heads_deciding_at_once_yield_one_decision(app, session, user, postgres_only):
    from backoffice.extensions import db

    proposal = submitted_proposal(session, user)
    head_id = user("kanwil.banten").id
    barrier = threading.Barrier(2)
    results: list[str] = []

    def take(action: str, comment: str | None) -> None:
        with app.app_context():
            from models import User

            actor = db.session.get(User, head_id)
            barrier.wait()
            try:
                decide(db.session, proposal.id, action, actor, comment=comment)
                results.append("ok")
            except DomainError as exc:
                results.append(str(exc))
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=take, args=("approve", None)),
        threading.Thread(target=take, args=("reject", "Tidak perlu")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results)[0] != "ok" or results.count("ok") == 1
    assert results.count("ok") == 1, results
    refused = next(r for r in results if r != "ok")
    assert "tidak dapat dilakukan lagi" in refused or "orang lain" in refused
    session.expire_all()
    decisions = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.record_type == "office_proposal",
            AuditEvent.record_id == str(proposal.id),
            AuditEvent.action.in_(["approve", "reject"]),
        )
    )
    assert decisions == 1
    assert verify_chain(session).ok


# --- the form says what to write and offers what may be proposed (issue #18) ----------------


def test_a_branch_head_is_offered_kcp_only_under_their_kc_chosen_already(login, session):
    page = Page(login("kepala.serang").get("/admin/proposal/new/"))
    types = [o.attrs["value"] for o in page.by_id("office_type").all("option")]
    assert types == ["KCP"]
    (selected,) = [o for o in page.by_id("parent").all("option") if "selected" in o.attrs]
    assert selected.text == "KC Serang"
    assert 'Tanpa "KCP" atau "KC"' in page.dom.text
    admin = Page(login("admin").get("/admin/proposal/new/"))
    assert {o.attrs["value"] for o in admin.by_id("office_type").all("option")} == {"KC", "KCP"}
    assert not [o for o in admin.by_id("parent").all("option") if "selected" in o.attrs][1:]


@pytest.mark.parametrize("name", ["KCP Anyer", "kcp anyer", "KC Anyer", "Kc. Anyer"])
def test_a_name_starting_with_the_office_type_is_refused(login, session, name):
    response = login("kepala.serang").post("/admin/proposal/new/", data=_form(session, name=name))
    assert response.status_code == 200
    assert 'Tulis nama tanpa "KCP" atau "KC"' in Page(response).dom.text
    assert session.scalar(select(OfficeProposal).where(OfficeProposal.name == name)) is None


def test_a_saved_draft_says_it_must_still_be_submitted(login, session):
    kepala = login("kepala.serang")
    response = kepala.post("/admin/proposal/new/", data=_form(session, name="Kecamatan Anyer"))
    assert response.status_code == 302
    proposal = session.scalar(
        select(OfficeProposal).where(OfficeProposal.name == "Kecamatan Anyer")
    )
    assert proposal.state is ProposalState.DRAFT
    page = Page(kepala.get(response.headers["Location"]))
    (warning,) = [n for n in page.dom.all("div", "alert-warning")]
    assert "belum dikirim" in warning.text
    link = warning.one("a", id="submit-proposal-link")
    assert link.attrs["href"].startswith(f"/admin/proposal/details/?id={proposal.id}")
    details = kepala.get(link.attrs["href"]).get_data(as_text=True)
    assert 'id="action-submit"' in details
