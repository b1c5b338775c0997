"""A decision screen shows exactly the actions its service accepts (SQLite and PostgreSQL).

For every workflow (claims, member batches, office proposals), every demo login and items in
each state, the buttons on the item's details page (and on its queue's details page) are
compared with what the service does when asked for each action of the workflow: taken in the
test's own session, then rolled back. The service may take another action than the one asked
for (``approve`` above the user's limit sends the claim on: ``escalate``); what it takes is
read from the audit event it wrote. A page the user may not open (403) or an item out of their
scope (404) shows nothing, and the service accepts nothing either.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from backoffice import workflow
from backoffice.clock import today_in_jakarta
from backoffice.errors import DomainError
from backoffice.services import batch_intake, batches, claim_decisions, claim_documents, proposals
from backoffice.services import claims as claim_service
from backoffice.transaction import unit_of_work
from models import (
    AuditEvent,
    BatchRow,
    BatchState,
    ClaimState,
    Office,
    OfficeType,
    ProposalState,
    Regency,
    RowState,
)
from tests import factories
from tests.fixtures import claim_world as world
from tests.html_page import Page
from tests.steps import done

#: The demo logins (README).
USERS = (
    "admin",
    "kanwil.banten",
    "kanwil.jakarta",
    "kepala.serang",
    "petugas.serang",
    "petugas2.serang",
    "petugas.cilegon",
    "petugas.salemba",
    "dinas.pertanian.serang",
    "diskoumperindag.serang",
    "auditor.banten",
)
CLERK, SECOND_CLERK, HEAD = "petugas.serang", "petugas2.serang", "kepala.serang"
LIAISON, REGIONAL_HEAD = "dinas.pertanian.serang", "kanwil.banten"
_SERIALS = itertools.count(9101)
_REFERENCES = itertools.count(1)


@dataclass(frozen=True)
class Screen:
    workflow: workflow.Workflow
    #: the details pages showing the item's decisions: the screen's list and its queue
    endpoints: tuple[str, ...]


CLAIMS = Screen(claim_decisions.WORKFLOW, ("claim", "claim_queue"))
BATCHES = Screen(batches.WORKFLOW, ("batch", "registration_queue"))
PROPOSALS = Screen(proposals.WORKFLOW, ("proposal", "proposal_queue"))


# --- items in every state ----------------------------------------------------------------------


def _claim(
    app: Any, session: Any, user: Any, data: Any, by: str = CLERK, *, documents: bool = True
) -> Any:
    claim = done(session, claim_service.register_claim, user(by), data)
    if documents:
        settings = claim_documents.DocumentSettings.from_config(app.config, app.instance_path)
        for index, requirement in enumerate(claim_documents.requirements_for(session, claim)):
            content, filename = world.document_bytes(index)
            document = done(
                session,
                claim_documents.upload_document,
                user(by),
                claim,
                requirement.id,
                content,
                filename,
                settings=settings,
            )
            done(session, claim_documents.check_document, user(by), document)
    return claim


def _decided(session: Any, user: Any, item: Any, screen: Screen, *steps: tuple) -> Any:
    for step in steps:
        action, by, *extra = step
        kwargs = extra[0] if extra else {}
        done(session, _decide_for(screen), user(by), item.id, action, **kwargs)
    session.expire_all()
    return session.get(screen.workflow.model, item.id)


def claims_in_every_state(app: Any, session: Any, user: Any) -> dict[str, Any]:
    def jkm() -> Any:  # Rp45.500.000: within a clerk's limit
        return world.jkm_data(world.paid_member(session))

    def above_clerk() -> Any:  # Rp118.000.000: a branch head's
        return world.jkk_data(world.paid_member(session, income=2_000_000), death=True)

    def above_head() -> Any:  # Rp262.000.000: the regional head's
        return world.jkk_data(world.paid_member(session, income=5_000_000), death=True)

    pay = {
        "payment_reference": "TRF-AUTHZ-0",
        "paid_on": today_in_jakarta(),
    }
    items = {
        "documents missing": _claim(app, session, user, jkm(), documents=False),
        "submitted": _claim(app, session, user, jkm()),
        "verified": _decided(
            session, user, _claim(app, session, user, jkm()), CLAIMS, ("verify", CLERK)
        ),
        "verified above the clerk limit": _decided(
            session, user, _claim(app, session, user, above_clerk()), CLAIMS, ("verify", CLERK)
        ),
        "at the branch head": _decided(
            session,
            user,
            _claim(app, session, user, above_clerk()),
            CLAIMS,
            ("verify", CLERK),
            ("approve", SECOND_CLERK),
        ),
        "at the regional head": _decided(
            session,
            user,
            _claim(app, session, user, above_head()),
            CLAIMS,
            ("verify", CLERK),
            ("approve", SECOND_CLERK),
            ("approve", HEAD),
        ),
        "verified by the branch head": _decided(
            session,
            user,
            _claim(app, session, user, jkm(), by=SECOND_CLERK),
            CLAIMS,
            ("verify", HEAD),
        ),
        "approved": _decided(
            session,
            user,
            _claim(app, session, user, jkm()),
            CLAIMS,
            ("verify", CLERK),
            ("approve", SECOND_CLERK),
        ),
        "paid": _decided(
            session,
            user,
            _claim(app, session, user, jkm()),
            CLAIMS,
            ("verify", CLERK),
            ("approve", SECOND_CLERK),
            ("pay", CLERK, pay),
        ),
        "returned": _decided(
            session,
            user,
            _claim(app, session, user, jkm()),
            CLAIMS,
            ("verify", CLERK),
            ("return", SECOND_CLERK, {"comment": "KTP buram"}),
        ),
        "rejected": _decided(
            session,
            user,
            _claim(app, session, user, jkm()),
            CLAIMS,
            ("reject", SECOND_CLERK, {"comment": "Bukan ahli waris"}),
        ),
        # KCP Lebak, under KC Serang: the branch head's, not the KC's clerks'.
        "of a KCP": _claim(
            app,
            session,
            user,
            world.jkm_data(world.paid_member(session, office_code="B0101")),
            by=HEAD,
        ),
    }
    assert items["at the branch head"].approval_level.value == "branch_head"
    assert items["at the regional head"].approval_level.value == "regional_head"
    assert items["paid"].state is ClaimState.PAID
    return items


def _csv(rows: int, valid: bool = True) -> bytes:
    lines = ["NIK;Nama Lengkap;Tanggal Lahir;Jenis Kelamin;Penghasilan;Program"]
    for _ in range(rows):
        nik = (
            factories.nik(date(1990, 8, 17), "L", district=88, serial=next(_SERIALS))
            if valid
            else "12345"
        )
        lines.append(f"{nik};Peserta Uji;17/08/1990;L;1000000;JKK, JKM")
    return ("\r\n".join(lines) + "\r\n").encode()


def batches_in_every_state(app: Any, session: Any, user: Any) -> dict[str, Any]:
    settings = batch_intake.Settings.from_config(app.config, app.instance_path)
    liaison = user(LIAISON)

    def uploaded(data: bytes) -> Any:
        return done(
            session,
            batch_intake.upload_batch,
            liaison,
            data,
            "peserta.csv",
            settings=settings,
            today=today_in_jakarta(),
        ).batch

    def checked(data: bytes, checks: Any = settings) -> Any:
        batch = uploaded(data)
        with unit_of_work(session, on_failure=lambda: batch_intake.mark_failed(session, batch.id)):
            return batch_intake.process_batch(session, batch.id, checks)

    def failed(data: bytes) -> Any:
        batch = uploaded(data)
        with pytest.raises(RuntimeError):  # the checks stopped on an error
            with unit_of_work(
                session, on_failure=lambda: batch_intake.mark_failed(session, batch.id)
            ):
                raise RuntimeError("disk full")
        return session.get(type(batch), batch.id)

    def submitted(rows: int) -> Any:
        batch = checked(_csv(rows))
        return done(session, batches.decide, liaison, batch.id, "submit")

    in_review = submitted(2)
    first_row = session.scalar(
        select(BatchRow.id).where(BatchRow.batch_id == in_review.id).order_by(BatchRow.number)
    )
    done(session, batches.decide, user(CLERK), in_review.id, "accept_rows", row_ids=[first_row])
    completed = submitted(1)
    done(session, batches.decide, user(CLERK), completed.id, "accept_all")
    discarded = checked(_csv(1))
    done(session, batches.decide, liaison, discarded.id, "discard")
    items = {
        "being checked": uploaded(_csv(1)),
        "draft": checked(_csv(2)),
        "draft without a valid row": checked(_csv(1, valid=False)),
        "checks failed": failed(_csv(1)),
        "refused": checked(_csv(3), replace(settings, max_rows=2)),
        "submitted": submitted(2),
        "in review": in_review,
        "completed": completed,
        "discarded": discarded,
    }
    session.expire_all()
    items = {name: session.get(type(b), b.id) for name, b in items.items()}
    expected = {
        "being checked": BatchState.PROCESSING,
        "draft": BatchState.DRAFT,
        "draft without a valid row": BatchState.DRAFT,
        "checks failed": BatchState.FAILED,
        "refused": BatchState.REFUSED,
        "submitted": BatchState.SUBMITTED,
        "in review": BatchState.IN_REVIEW,
        "completed": BatchState.COMPLETED,
        "discarded": BatchState.DISCARDED,
    }
    assert {name: b.state for name, b in items.items()} == expected
    return items


def proposals_in_every_state(session: Any, user: Any) -> dict[str, Any]:
    names = itertools.count(1)
    serang = session.scalar(select(Office).where(Office.code == "B01"))
    regency = session.scalar(select(Regency).where(Regency.code == "3604"))

    def proposed(by: str = HEAD) -> Any:
        data = proposals.ProposalData(
            name=f"Uji Wewenang {next(names)}",
            office_type=OfficeType.KCP,
            parent=serang,
            regency=regency,
            address="Jl. Raya Serang 1",
            planned_opening=today_in_jakarta(),
            staff_count=3,
            justification="Banyak pekerja informal.",
        )
        return done(session, proposals.propose_office, user(by), data, today=today_in_jakarta())

    def decided(*steps: tuple, by: str = HEAD) -> Any:
        return _decided(session, user, proposed(by), PROPOSALS, *steps)

    submit = ("submit", HEAD)
    items = {
        "draft": proposed(),
        "draft of the administrator": proposed("admin"),
        "submitted": decided(submit),
        "submitted by the administrator": decided(("submit", "admin"), by="admin"),
        "returned": decided(submit, ("return", REGIONAL_HEAD, {"comment": "Tambah staf"})),
        "approved": decided(submit, ("approve", REGIONAL_HEAD)),
        "rejected": decided(submit, ("reject", REGIONAL_HEAD, {"comment": "Tidak perlu"})),
        "withdrawn": decided(("withdraw", HEAD)),
    }
    assert items["approved"].state is ProposalState.APPROVED
    return items


# --- what the service accepts ------------------------------------------------------------------


def _decide_for(screen: Screen) -> Any:
    return {
        CLAIMS: claim_decisions.decide,
        BATCHES: batches.decide,
        PROPOSALS: proposals.decide,
    }[screen]


def _arguments(app: Any, session: Any, screen: Screen, item: Any, action: str) -> dict[str, Any]:
    """What the form sends with ``action`` (a reason, a transfer, the ticked rows)."""
    kwargs: dict[str, Any] = {"expected_version": item.version}
    if screen is CLAIMS:
        kwargs["comment"] = "Alasan uji"
        if action == "pay":
            kwargs["payment_reference"] = f"TRF-AUTHZ-{next(_REFERENCES)}"
            kwargs["paid_on"] = today_in_jakarta()
    elif screen is BATCHES:
        kwargs["reason"] = "Alasan uji"
        kwargs["settings"] = batch_intake.Settings.from_config(app.config, app.instance_path)
        kwargs["row_ids"] = list(
            session.scalars(
                select(BatchRow.id).where(
                    BatchRow.batch_id == item.id, BatchRow.state == RowState.PENDING
                )
            )
        )
    else:
        kwargs["comment"] = "Alasan uji"
    return kwargs


def accepted(app: Any, session: Any, actor: Any, screen: Screen, item: Any) -> set[str]:
    """The actions the service takes for ``actor`` on ``item``, each asked for and undone."""
    wf = screen.workflow
    taken = set()
    for action in wf.transitions:
        session.expire_all()
        current = session.get(wf.model, item.id)
        try:
            _decide_for(screen)(
                session, actor, item.id, action, **_arguments(app, session, screen, current, action)
            )
            taken.add(
                session.scalar(
                    select(AuditEvent.action)
                    .where(
                        AuditEvent.record_type == wf.name,
                        AuditEvent.record_id == str(item.id),
                    )
                    .order_by(AuditEvent.id.desc())
                    .limit(1)
                )
            )
        except DomainError:
            pass
        finally:
            session.rollback()
    return taken


def shown(client: Any, endpoint: str, item: Any) -> set[str] | None:
    """The actions offered on the item's details page of ``endpoint`` (None: 403 or 404)."""
    response = client.get(f"/admin/{endpoint}/details/?id={item.id}")
    if endpoint == "registration_queue" and response.status_code == 302:
        # A batch no longer in the queue opens on its own page (the batch screen, also checked).
        assert response.headers["Location"].endswith(f"/admin/batch/details/?id={item.id}")
        return None
    page = Page(response)
    if page.status in (403, 404):
        return None
    assert page.status == 200, (endpoint, item.id, page.status)
    return page.actions()


@pytest.fixture
def items(app: Any, session: Any, user: Any) -> dict[Screen, dict[str, Any]]:
    return {
        CLAIMS: claims_in_every_state(app, session, user),
        BATCHES: batches_in_every_state(app, session, user),
        PROPOSALS: proposals_in_every_state(session, user),
    }


def test_every_decision_screen_shows_exactly_the_actions_the_service_accepts(
    app, items, login, session, user
):
    mismatches = []
    seen: dict[str, set[str]] = {}
    for username in USERS:
        client = login(username)
        actor = user(username)
        for screen, by_state in items.items():
            for state, item in by_state.items():
                allowed = accepted(app, session, actor, screen, item)
                pages = {endpoint: shown(client, endpoint, item) for endpoint in screen.endpoints}
                if all(offered is None for offered in pages.values()):
                    # Neither page opens for the user: the service takes nothing either.
                    if allowed:
                        mismatches.append(f"{username}, {state}: no page but {sorted(allowed)}")
                    continue
                for endpoint, offered in pages.items():
                    if offered is not None and offered != allowed:
                        mismatches.append(
                            f"{username} on /{endpoint}/, {screen.workflow.name} {state}: "
                            f"shown {sorted(offered)}, accepted {sorted(allowed)}"
                        )
                for action in allowed:
                    seen.setdefault(screen.workflow.name, set()).add(action)
    assert mismatches == [], "\n".join(mismatches)
    # Every action of every workflow was offered (and taken) somewhere.
    assert seen == {screen.workflow.name: set(screen.workflow.transitions) for screen in items}, (
        seen
    )


def test_what_the_user_may_not_do_is_explained_instead_of_offered(items, login, session):
    claims = items[CLAIMS]
    second = login(SECOND_CLERK)
    above = Page(
        second.get(f"/admin/claim/details/?id={claims['verified above the clerk limit'].id}")
    )
    assert "approve" not in above.actions() and "escalate" in above.actions()
    assert above.text("refusals") == (
        "\u24d8 Di atas batas persetujuan Anda: diteruskan ke Kepala Kantor Cabang."
    )
    # the one who registered and verified it: their own item
    own = Page(login(CLERK).get(f"/admin/claim/details/?id={claims['verified'].id}"))
    assert "approve" not in own.actions() and "reject" not in own.actions()
    assert "orang lain yang harus memutuskannya" in own.text("refusals")
    # the documents are not there yet
    missing = Page(login(CLERK).get(f"/admin/claim/details/?id={claims['documents missing'].id}"))
    assert "verify" not in missing.actions()
    assert missing.text("refusals").startswith("\u24d8 Dokumen belum lengkap: ")
    # a paid claim: no correction offered, and the form does not open
    paid = Page(login(CLERK).get(f"/admin/claim/details/?id={claims['paid'].id}"))
    assert not paid.has_id("edit-link") and not paid.has_id("decision")
    form = Page(login(CLERK).get(f"/admin/claim/edit/?id={claims['paid'].id}"))
    assert not form.has_id("claim-form")
    assert form.alerts("danger") == [
        "Klaim hanya dapat diubah sebelum diverifikasi atau setelah dikembalikan."
    ]
    listed = login(CLERK).get("/admin/claim/").get_data(as_text=True)
    assert f"/admin/claim/edit/?id={claims['paid'].id}&" not in listed
    assert f"/admin/claim/edit/?id={claims['submitted'].id}&" in listed


def test_the_proposal_queue_offers_bulk_decisions_to_the_regional_head_only(login):
    for username in USERS:
        page = login(username).get("/admin/proposal_queue/")
        if username == REGIONAL_HEAD or username == "kanwil.jakarta":
            html = page.get_data(as_text=True)
            assert page.status_code == 200
            for action in ("approve", "return", "reject"):
                assert f"modelActions.execute('{action}')" in html, (username, action)
        else:
            assert page.status_code == 403, username
