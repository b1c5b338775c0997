"""Corrections of member data with maker-checker (issue #17).

A clerk of the member's office proposes a change of one or more fields with a reason (and a
supporting document for identity data); another user of the office approves or rejects it
through the workflow engine. An approval applies everything in one transaction: the NIK is
checked again, the contribution changes from the next month, each field is audited; a proposal
the member's data has moved on from is refused.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice.clock import today_in_jakarta
from backoffice.errors import DomainError, Forbidden
from backoffice.rules.coverage import add_months, month_start
from backoffice.rules.nik import make_nik
from backoffice.services import claim_documents, ledger, lifecycle
from backoffice.services import corrections as service
from models import (
    AuditEvent,
    CorrectionState,
    Department,
    Member,
    MemberCorrection,
    MemberStatus,
    Office,
    PaymentChannel,
    Role,
)
from tests import factories
from tests.fixtures import claim_world as world
from tests.steps import done

CSRF_MESSAGE = "Formulir sudah kedaluwarsa atau terkirim dua kali"


@pytest.fixture
def settings(app):
    return claim_documents.DocumentSettings.from_config(app.config, app.instance_path)


@pytest.fixture
def member(session):
    """A member of KC Serang paid through last month (JKK and JKM at Rp1.000.000)."""
    return world.make_member(session, paid_months=6, last_paid_months_ago=1, name="Asep Saepudin")


def propose(
    session,
    actor,
    member,
    values,
    settings,
    *,
    reason="Salah ketik saat pendaftaran.",
    document=None,
):
    return done(
        session,
        service.propose,
        actor,
        member,
        values,
        reason,
        document=document,
        settings=settings,
    )


def decide(session, actor, correction, action, comment=None):
    return done(session, service.decide, actor, correction.id, action, comment=comment)


PDF = service.Upload(world.PDF, "ktp.pdf")


def correct_nik_for(member, born: date, sex: str) -> str:
    return make_nik("3604", 71, born, sex, 4321)


def waiting(session, member) -> int:
    return session.scalar(
        select(func.count())
        .select_from(MemberCorrection)
        .where(MemberCorrection.member_id == member.id)
    )


def member_events(session, member, action):
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.record_type == "member",
                AuditEvent.record_id == str(member.id),
                AuditEvent.action == action,
            )
            .order_by(AuditEvent.id)
        )
    )


# --- the happy path ------------------------------------------------------------------------------


def test_an_approved_income_and_jht_change_applies_from_next_month_only(
    session, user, member, settings
):
    this_month = month_start(today_in_jakarta())
    next_month = add_months(this_month, 1)
    correction = propose(
        session,
        user("petugas.serang"),
        member,
        {"income_level": "2000000", "jht": "1"},
        settings,
    )
    assert correction.state is CorrectionState.SUBMITTED
    assert correction.changes == {
        "income_level": {"old": 1_000_000, "new": 2_000_000},
        "jht": {"old": False, "new": True},
    }
    assert session.get(Member, member.id).income_level == 1_000_000  # nothing applied yet

    decide(session, user("petugas2.serang"), correction, "approve")

    member = session.get(Member, member.id)
    assert (member.income_level, member.programmes) == (2_000_000, "JKK,JKM,JHT")
    assert (member.contribution_jkk, member.contribution_jkm, member.contribution_jht) == (
        20_000,
        6_800,
        40_000,
    )
    assert member.monthly_contribution == 66_800
    assert correction.effective_from == next_month
    # This month (and every earlier one) owes what it owed; next month the new amount.
    assert ledger.owed_contribution(session, member, this_month).total == 16_800
    assert ledger.owed_contribution(session, member, add_months(this_month, -3)).total == 16_800
    assert ledger.owed_contribution(session, member, next_month).total == 66_800
    # ... and the ledger records them so (JHT is never discounted).
    clerk = user("petugas.serang")
    today = today_in_jakarta()
    [now] = done(
        session,
        ledger.record_payment,
        clerk,
        member,
        period=this_month,
        paid_on=today,
        channel=PaymentChannel.COUNTER,
    )
    [later] = done(
        session,
        ledger.record_payment,
        clerk,
        member,
        period=next_month,
        paid_on=today,
        channel=PaymentChannel.COUNTER,
    )
    assert (now.jht, later.jht) == (0, 40_000)
    assert later.jkk == 2 * now.jkk or later.jkk in (10_000, 20_000)
    assert now.jkk in (5_000, 10_000)


def test_the_branch_head_approves_a_kcp_clerks_correction(session, user, settings):
    kcp = session.scalar(select(Office).where(Office.code == "B0101"))
    clerk = factories.make_user(session, Role.BRANCH_CLERK, office=kcp)
    member = factories.make_member(session, office=kcp)
    session.commit()
    correction = propose(session, clerk, member, {"phone": "0812 9999 0001"}, settings)
    # petugas.serang works for KC Serang, not its KCPs: the correction is not theirs to see.
    with pytest.raises(DomainError):
        decide(session, user("petugas.serang"), correction, "approve")
    decide(session, user("kepala.serang"), correction, "approve")
    assert session.get(Member, member.id).phone == "081299990001"


# --- maker-checker -------------------------------------------------------------------------------


def test_the_proposer_cannot_approve_button_hidden_and_post_refused(
    session, user, login, member, settings
):
    correction = propose(
        session, user("petugas.serang"), member, {"address": "Jl. Baru 1"}, settings
    )
    with pytest.raises(Forbidden):
        decide(session, user("petugas.serang"), correction, "approve")

    proposer = login("petugas.serang")
    page = proposer.get(f"/admin/correction/details/?id={correction.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="action-approve"' not in html and 'id="action-reject"' not in html
    assert "orang lain" in html or "another person" in html  # the reason is told instead
    response = proposer.post(
        "/admin/correction/decide/",
        {"id": correction.id, "action": "approve", "version": correction.version},
    )
    assert response.status_code == 403
    session.expire_all()
    assert session.get(MemberCorrection, correction.id).state is CorrectionState.SUBMITTED
    assert session.get(Member, member.id).address != "Jl. Baru 1"

    checker = login("petugas2.serang")
    html = checker.get(f"/admin/correction/details/?id={correction.id}").get_data(as_text=True)
    assert 'id="action-approve"' in html and 'id="action-reject"' in html
    assert "Jl. Baru 1" in html  # old -> new shown


def test_the_database_refuses_a_decider_who_proposed(session, user, member, settings):
    correction = propose(
        session, user("petugas.serang"), member, {"address": "Jl. Baru 2"}, settings
    )
    proposer, proposed_at = correction.proposed_by_id, correction.created_at
    correction.decided_by_id = proposer
    correction.decided_at = proposed_at
    correction.state = CorrectionState.APPROVED
    with pytest.raises(Exception, match="maker_is_not_checker"):
        session.flush()
    session.rollback()


# --- scope ---------------------------------------------------------------------------------------


def test_users_of_other_offices_get_404_and_other_roles_403(session, user, login, member, settings):
    correction = propose(
        session, user("petugas.serang"), member, {"address": "Jl. Baru 3"}, settings
    )
    outsider = login("petugas.cilegon")
    assert outsider.get(f"/admin/correction/details/?id={correction.id}").status_code == 404
    assert outsider.get(f"/admin/correction/document/?id={correction.id}").status_code == 404
    response = outsider.post(
        "/admin/correction/decide/",
        {"id": correction.id, "action": "approve", "version": correction.version},
    )
    assert response.status_code == 404
    assert outsider.get(f"/admin/member/correction/?id={member.id}").status_code == 404
    listed = outsider.get("/admin/correction/").get_data(as_text=True)
    assert "Asep Saepudin" not in listed
    # Not an office user: the screen is not theirs at all.
    for username in ("kanwil.banten", "auditor.banten", "dinas.pertanian.serang"):
        assert login(username).get("/admin/correction/").status_code == 403
    # The branch head cannot propose (a clerk does), but decides.
    head = login("kepala.serang")
    assert head.get(f"/admin/member/correction/?id={member.id}").status_code == 403
    session.expire_all()
    assert session.get(MemberCorrection, correction.id).state is CorrectionState.SUBMITTED


# --- NIK checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nik", "words"),
    [
        ("36040117089", "16"),
        ("9904011708800001", "9904"),  # no such province and regency
        ("3604011705800000", "0000"),  # serial 0000
    ],
)
def test_an_invalid_nik_is_refused_when_proposed(session, user, member, settings, nik, words):
    with pytest.raises(DomainError, match=words):
        propose(session, user("petugas.serang"), member, {"nik": nik}, settings, document=PDF)
    assert waiting(session, member) == 0


def test_a_nik_must_agree_with_the_birth_date_and_sex_after_the_change(
    session, user, member, settings
):
    clerk = user("petugas.serang")
    # A new birth date alone no longer agrees with the NIK: refused.
    with pytest.raises(DomainError, match="NIK"):
        propose(session, clerk, member, {"birth_date": "1981-05-17"}, settings, document=PDF)
    # With the NIK that encodes it (and a woman's NIK with the sex), accepted.
    born = date(1981, 5, 17)
    correction = propose(
        session,
        clerk,
        member,
        {"birth_date": "17/05/1981", "sex": "P", "nik": correct_nik_for(member, born, "P")},
        settings,
        document=PDF,
    )
    decide(session, user("kepala.serang"), correction, "approve")
    member = session.get(Member, member.id)
    assert (member.birth_date, member.sex, member.nik) == (born, "P", "3604715705814321")


def test_identity_changes_need_a_supporting_document_checked_like_claim_documents(
    session, user, member, settings
):
    clerk = user("petugas.serang")
    with pytest.raises(DomainError, match="dokumen|document"):
        propose(session, clerk, member, {"name": "Asep Saefudin"}, settings)
    with pytest.raises(DomainError, match="PDF"):
        propose(
            session,
            clerk,
            member,
            {"name": "Asep Saefudin"},
            settings,
            document=service.Upload(world.TEXT, "surat.pdf"),
        )
    small = claim_documents.DocumentSettings(settings.storage_dir, max_bytes=10)
    with pytest.raises(DomainError, match="MB"):
        propose(session, clerk, member, {"name": "Asep Saefudin"}, small, document=PDF)
    correction = propose(session, clerk, member, {"name": "Asep Saefudin"}, settings, document=PDF)
    assert service.document_path(settings, correction).read_bytes() == world.PDF
    assert correction.document_content_type == "application/pdf"


def test_the_nik_is_checked_again_at_approval(session, user, member, settings):
    new_nik = make_nik("3604", 72, member.birth_date, member.sex, 77)
    correction = propose(
        session, user("petugas.serang"), member, {"nik": new_nik}, settings, document=PDF
    )
    # Meanwhile another member was registered with that NIK.
    factories.make_member(session, nik=new_nik, birth_date=member.birth_date, sex=member.sex)
    session.commit()
    with pytest.raises(DomainError, match="NIK"):
        decide(session, user("petugas2.serang"), correction, "approve")
    session.expire_all()
    assert session.get(Member, member.id).nik != new_nik
    assert session.get(MemberCorrection, correction.id).state is CorrectionState.SUBMITTED


# --- stale proposals ----------------------------------------------------------------------------


def test_a_proposal_the_member_moved_on_from_is_refused(session, user, login, member, settings):
    correction = propose(
        session, user("petugas.serang"), member, {"phone": "081311112222"}, settings
    )
    member.phone = "085700001111"  # changed since (another way, another correction)
    session.commit()
    with pytest.raises(DomainError, match="changed|berubah"):
        decide(session, user("petugas2.serang"), correction, "approve")
    session.expire_all()
    assert session.get(Member, member.id).phone == "085700001111"

    checker = login("petugas2.serang")
    html = checker.get(f"/admin/correction/details/?id={correction.id}").get_data(as_text=True)
    assert 'id="action-approve"' not in html and 'id="action-reject"' in html
    assert "085700001111" in html  # the value it is now, beside the one proposed against
    response = checker.post(
        "/admin/correction/decide/",
        {"id": correction.id, "action": "approve", "version": correction.version},
    )
    assert response.status_code == 302
    page = checker.get(response.headers["Location"]).get_data(as_text=True)
    assert "Data peserta berubah" in page
    # Rejecting it is still possible (with a reason).
    decide(session, user("petugas2.serang"), correction, "reject", "Data sudah berubah.")


# --- audit ---------------------------------------------------------------------------------------


def test_each_changed_field_is_audited_old_and_new(session, user, member, settings):
    department = session.scalar(select(Department).where(Department.name.like("Dinas Pertanian%")))
    born = date(1980, 5, 18)
    nik = correct_nik_for(member, born, "L")
    before = {
        "name": member.name,
        "birth_date": member.birth_date.isoformat(),
        "nik": member.nik,
        "phone": member.phone,
        "address": member.address,
        "income_level": member.income_level,
        "jht": False,
        "department_id": member.department_id,
    }
    values = {
        "name": "Asep  Saepudin Jaya",
        "birth_date": "1980-05-18",
        "sex": "L",
        "nik": nik,
        "phone": "+62 812-3000-4000",
        "address": "Kp. Cibeber RT 003/RW 002",
        "income_level": "1500000",
        "jht": "on",
        "department_id": str(department.id),
    }
    correction = propose(session, user("petugas.serang"), member, values, settings, document=PDF)
    assert "sex" not in correction.changes  # unchanged fields are left out
    decide(session, user("kepala.serang"), correction, "approve")

    [event] = member_events(session, member, "correct")
    details = json.loads(event.details)
    after = {
        "name": "Asep Saepudin Jaya",
        "birth_date": "1980-05-18",
        "nik": nik,
        "phone": "081230004000",
        "address": "Kp. Cibeber RT 003/RW 002",
        "income_level": 1_500_000,
        "jht": True,
        "department_id": department.id,
    }
    assert details["changes"] == {name: [before[name], after[name]] for name in after}
    assert details["contribution"]["monthly_contribution"] == [16_800, 51_800]
    assert event.actor_username == "kepala.serang"
    assert event.comment == correction.reason
    member = session.get(Member, member.id)
    assert (member.name, member.nik, member.department_id) == (
        "Asep Saepudin Jaya",
        nik,
        department.id,
    )
    # The correction's own history: proposed, then approved.
    actions = [
        e.action
        for e in session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.record_type == "member_correction",
                AuditEvent.record_id == str(correction.id),
            )
            .order_by(AuditEvent.id)
        )
    ]
    assert actions == ["propose", "approve"]


def test_a_deregistration_ends_the_membership_audited(session, user, member, settings):
    correction = propose(
        session,
        user("petugas.serang"),
        member,
        {"deregistration": "1"},
        settings,
        reason="Peserta pindah ke luar negeri.",
        document=PDF,
    )
    assert correction.changes == {"deregistration": {"old": False, "new": True}}
    decide(session, user("petugas2.serang"), correction, "approve")
    ended = session.get(Member, member.id)
    assert ended.active is False and ended.status is MemberStatus.EXITED
    # The lifecycle service ends it: a status event with the approved request's reason.
    event = member_events(session, member, lifecycle.ACTION)[-1]
    assert event.comment == "Peserta pindah ke luar negeri."
    assert event.to_state == MemberStatus.EXITED.value


# --- rejection, nothing to change, one at a time -------------------------------------------------


def test_a_rejection_needs_a_reason_and_leaves_the_member_unchanged(
    session, user, member, settings
):
    correction = propose(
        session, user("petugas.serang"), member, {"income_level": "2000000"}, settings
    )
    with pytest.raises(DomainError):
        decide(session, user("petugas2.serang"), correction, "reject")
    decide(session, user("petugas2.serang"), correction, "reject", "Bukti penghasilan tidak ada.")
    correction = session.get(MemberCorrection, correction.id)
    assert correction.state is CorrectionState.REJECTED
    assert correction.decision_comment == "Bukti penghasilan tidak ada."
    member = session.get(Member, member.id)
    assert (member.income_level, member.monthly_contribution) == (1_000_000, 16_800)
    assert member_events(session, member, "correct") == []


def test_a_proposal_changes_something_has_a_reason_and_waits_alone(session, user, member, settings):
    clerk = user("petugas.serang")
    with pytest.raises(DomainError, match="Change at least one|Ubah"):
        propose(
            session, clerk, member, {"phone": member.phone, "address": member.address}, settings
        )
    with pytest.raises(DomainError):
        propose(session, clerk, member, {"phone": "081311112222"}, settings, reason="  ")
    propose(session, clerk, member, {"phone": "081311112222"}, settings)
    with pytest.raises(DomainError, match="#"):
        propose(session, user("petugas2.serang"), member, {"address": "Jl. Lain"}, settings)


# --- the screens ---------------------------------------------------------------------------------


def test_a_clerk_proposes_on_the_member_page_and_another_approves(session, login, member):
    clerk = login("petugas.serang")
    page = clerk.get(f"/admin/member/details/?id={member.id}").get_data(as_text=True)
    assert 'id="propose-correction"' in page
    form = clerk.get(f"/admin/member/correction/?id={member.id}").get_data(as_text=True)
    assert 'name="income_level"' in form and 'name="deregistration"' in form
    values = {
        "name": member.name,
        "birth_date": member.birth_date.isoformat(),
        "sex": member.sex,
        "nik": member.nik,
        "phone": member.phone,
        "address": "Kp. Kadu RT 001",
        "income_level": "1000000",
        "jht": "1",
        "department_id": "",
        "reason": "Peserta memilih JHT dan pindah alamat.",
    }
    response = clerk.post(f"/admin/member/correction/?id={member.id}", values)
    assert response.status_code == 302, response.get_data(as_text=True)
    correction = session.scalar(
        select(MemberCorrection).where(MemberCorrection.member_id == member.id)
    )
    assert set(correction.changes) == {"address", "jht"}
    listed = clerk.get("/admin/correction/?flt0_0=submitted").get_data(as_text=True)
    assert member.name in listed

    head = login("kepala.serang")
    response = head.post(
        "/admin/correction/decide/",
        {"id": correction.id, "action": "approve", "version": correction.version},
    )
    assert response.status_code == 302
    page = head.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r"berlaku mulai \d\d/\d{4}", page)
    session.expire_all()
    member = session.get(Member, member.id)
    assert (member.address, member.programmes) == ("Kp. Kadu RT 001", "JKK,JKM,JHT")


def test_the_form_keeps_what_was_typed_and_names_the_problem(session, login, member):
    clerk = login("petugas.serang")
    response = clerk.post(
        f"/admin/member/correction/?id={member.id}",
        {
            "nik": "3604011705800000",
            "reason": "Salah NIK.",
            "document": (io.BytesIO(world.PDF), "ktp.pdf"),
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "0000" in html and 'value="3604011705800000"' in html
    assert waiting(session, member) == 0


def test_proposing_and_deciding_need_the_csrf_token(session, user, login, member, settings):
    clerk = login("petugas.serang")
    response = clerk.post(
        f"/admin/member/correction/?id={member.id}",
        {"address": "Jl. Tanpa Token", "reason": "Uji."},
        csrf=False,
    )
    assert response.status_code == 400 and CSRF_MESSAGE in response.get_data(as_text=True)
    assert waiting(session, member) == 0

    correction = propose(session, user("petugas.serang"), member, {"address": "Jl. A"}, settings)
    checker = login("petugas2.serang")
    response = checker.post(
        "/admin/correction/decide/",
        {"id": correction.id, "action": "approve", "version": correction.version},
        csrf=False,
    )
    assert response.status_code == 400
    session.expire_all()
    assert session.get(MemberCorrection, correction.id).state is CorrectionState.SUBMITTED


def test_the_supporting_document_downloads_for_the_office_only(
    session, user, login, member, settings
):
    correction = propose(
        session, user("petugas.serang"), member, {"name": "Asep S."}, settings, document=PDF
    )
    response = login("kepala.serang").get(f"/admin/correction/document/?id={correction.id}")
    assert response.status_code == 200 and response.data == world.PDF
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_the_member_page_and_a_payers_file_owe_this_month_the_old_amount(
    session, user, login, member, settings
):
    from backoffice.rules.contributions import Contribution, PastAmount
    from backoffice.services.payer_columns import PayerRow

    correction = propose(
        session, user("petugas.serang"), member, {"income_level": "2000000", "jht": "1"}, settings
    )
    decide(session, user("petugas2.serang"), correction, "approve")
    page = login("petugas.serang").get(f"/admin/member/details/?id={member.id}")
    [line] = re.findall(r'<p id="next-month">(.*?)</p>', page.get_data(as_text=True), re.S)
    assert "66.800" not in line and ("16.800" in line or "8.400" in line)

    this_month = month_start(today_in_jakarta())
    member = session.get(Member, member.id)
    row = PayerRow(1, [], member=member, period=this_month, months=3)
    row.past = [PastAmount(this_month, Contribution(10_000, 6_800, 0))]
    assert row.amount == 16_800 + 2 * 66_800


def test_the_demo_has_a_correction_of_kc_serang_waiting_for_another_user(session, login):
    from backoffice.seed.demo import DEMO_CORRECTION

    correction = session.scalar(select(MemberCorrection))
    assert correction.state is CorrectionState.SUBMITTED
    assert correction.proposed_by.username == "petugas.serang"
    assert correction.office.code == "B01"
    assert correction.member.name == DEMO_CORRECTION["member"]
    url = f"/admin/correction/details/?id={correction.id}"
    page = login("petugas.serang").get(url).get_data(as_text=True)
    assert 'id="action-approve"' not in page and 'id="correction-count"' not in page
    for username in ("petugas2.serang", "kepala.serang"):
        page = login(username).get(url).get_data(as_text=True)
        assert 'id="action-approve"' in page
        assert re.search(r'id="correction-count">1<', page)  # waiting for them, in the menu
    assert login("petugas.cilegon").get(url).status_code == 404


def test_two_deciders_at_once_apply_a_correction_once(
    app, session, user, member, settings, postgres_only
):
    import threading

    from backoffice.extensions import db
    from backoffice.transaction import unit_of_work
    from models import PastContribution, User

    correction = propose(
        session, user("petugas.serang"), member, {"income_level": "2000000"}, settings
    )
    correction_id = correction.id  # read here: the test's session is not the threads'
    barrier = threading.Barrier(2)
    results: list[str] = []

    def approve_as(username: str) -> None:
        with app.app_context():
            try:
                actor = db.session.scalar(select(User).where(User.username == username))
                barrier.wait()
                with unit_of_work(db.session):
                    service.decide(db.session, actor, correction_id, "approve")
                results.append("approved")
            except DomainError as error:
                results.append(str(error))
            except Exception as error:  # noqa: BLE001 - a thread reports what it met
                results.append(repr(error))
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=approve_as, args=(name,))
        for name in ("petugas2.serang", "kepala.serang")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("approved") == 1 and len(results) == 2, results
    # The other waited for the row lock, then found it decided.
    [refused] = [r for r in results if r != "approved"]
    assert "sudah disetujui" in refused
    session.expire_all()
    assert len(member_events(session, member, "correct")) == 1
    past = session.scalars(select(PastContribution).where(PastContribution.member_id == member.id))
    assert len(list(past)) == 1


def test_a_field_is_one_registry_entry_parsed_shown_and_applied(session, user):
    """How the lead adds ``sector`` or ``domicile_regency``: one helper call each."""
    from types import SimpleNamespace

    from backoffice.services.correction_fields import Context, enum_field, row_choice_field
    from models import Regency

    clerk = user("petugas.serang")
    regency = row_choice_field("regency_id", "Domisili", Regency, Regency.name)
    thing = SimpleNamespace(regency_id=None, channel=PaymentChannel.COUNTER, office_id=1)
    ctx = Context(session, thing, clerk, today_in_jakarta())
    serang = session.scalar(select(Regency).where(Regency.code == "3604"))
    assert (str(serang.id), serang.name) in regency.choices(ctx)
    assert regency.parse(ctx, str(serang.id)) == serang.id
    with pytest.raises(DomainError):
        regency.parse(ctx, "999999")
    regency.apply(ctx, serang.id)
    assert regency.read(thing) == serang.id and regency.show(session, serang.id) == serang.name

    channel = enum_field("channel", "Saluran", PaymentChannel)
    assert channel.read(thing) == "counter"
    with pytest.raises(DomainError):
        channel.parse(ctx, "cash")
    channel.apply(ctx, channel.parse(ctx, "bank"))
    assert thing.channel is PaymentChannel.BANK
    assert channel.show(session, "bank") == "bank atau mitra pembayaran"
