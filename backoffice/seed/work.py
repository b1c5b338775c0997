"""The demo's waiting work, made through the services the screens use (so every record has its
audit history): an office proposal for the regional head, member batches for the liaisons and
the clerk's registration queue, claims at every stage, and the history of the demo members.

Each piece is keyed by a natural key (the proposal's office name, a batch's department and file
name, a claim's member and type, a member's audit events): a second run finds it and does
nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import (
    AuditEvent,
    BatchRow,
    BatchState,
    Claim,
    ClaimState,
    ClaimType,
    JhtReason,
    Member,
    MemberBatch,
    MemberStatus,
    MemberStatusChange,
    Office,
    OfficeProposal,
    OfficeType,
    Regency,
    Relationship,
    User,
)

from .. import audit
from ..clock import as_utc
from ..importing import HEADERS
from ..rules.nik import make_nik
from ..services import batch_intake, batches, claim_decisions, claim_documents, lifecycle
from ..services import claims as claim_service
from ..services import proposals as proposal_service
from ..services.ledger import RECORD_TYPE as MEMBER_RECORD


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    return user


# --------------------------------------------------------------------------------------------
# The office proposal waiting for kanwil.banten
# --------------------------------------------------------------------------------------------

PROPOSAL = {
    "name": "Anyer",
    "proposer": "kepala.serang",
    "parent": "B01",
    "regency": "3604",
    "address": "Jl. Raya Anyer Km 12, Desa Anyar, Kec. Anyar, Kab. Serang",
    "staff_count": 6,
    "justification": "Nelayan dan pekerja wisata pesisir Anyer-Cinangka menempuh lebih dari "
    "satu jam ke KC Serang; sekitar 3.000 calon peserta BPU di kecamatan Anyar, Cinangka dan "
    "Mancak.",
}


def seed_proposal(session: Session, report: Any, today: date) -> None:
    known = session.scalar(
        select(OfficeProposal.id).where(
            OfficeProposal.office_type == OfficeType.KCP,
            OfficeProposal.name == PROPOSAL["name"],
        )
    )
    if known is not None:
        return
    proposer = _user(session, PROPOSAL["proposer"])
    data = proposal_service.ProposalData(
        name=PROPOSAL["name"],
        office_type=OfficeType.KCP,
        parent=session.scalar(select(Office).where(Office.code == PROPOSAL["parent"])),
        regency=session.scalar(select(Regency).where(Regency.code == PROPOSAL["regency"])),
        address=PROPOSAL["address"],
        planned_opening=today + timedelta(days=120),
        staff_count=PROPOSAL["staff_count"],
        justification=PROPOSAL["justification"],
    )
    proposal = proposal_service.propose_office(session, proposer, data, today=today)
    proposal_service.decide(session, proposer, proposal.id, "submit")
    report.add("office_proposal")


# --------------------------------------------------------------------------------------------
# Member batches: uploaded and checked as the liaison's screen does, decided by the clerk
# --------------------------------------------------------------------------------------------

DISTAN_LIAISON = "dinas.pertanian.serang"
DISKOP_LIAISON = "diskoumperindag.serang"
CLERK = "petugas.serang"
CHECKER = "petugas2.serang"

_COLUMNS = ("nik", "name", "birth_date", "sex", "address", "phone", "occupation", "income",
            "programmes")  # fmt: skip


@dataclass(frozen=True)
class BatchPerson:
    name: str
    sex: str
    born: date
    district: int
    serial: int
    village: str
    occupation: str
    income: int = 1_000_000
    programmes: str = "JKK, JKM"
    nik: str | None = None  # a NIK typed wrong (the row the checks refuse)

    def cells(self) -> list[str]:
        nik = self.nik or make_nik("3604", self.district, self.born, self.sex, self.serial)
        phone = f"0878{self.serial:04d}{self.district:02d}{self.born.day:02d}"
        return [nik, self.name, f"{self.born:%d/%m/%Y}", self.sex,
                f"Kp. {self.village} RT 001/RW 002, Desa {self.village}", phone,
                self.occupation, str(self.income), self.programmes]  # fmt: skip


@dataclass(frozen=True)
class DemoBatch:
    liaison: str
    filename: str
    people: tuple[BatchPerson, ...]
    #: draft (left by the liaison), submitted (waiting for the clerk), or decided: the clerk
    #: accepts every row but those listed in ``rejected`` (spreadsheet row -> reason)
    outcome: str
    rejected: tuple[tuple[int, str], ...] = ()


BP = BatchPerson
DEMO_BATCHES = (
    # Decided: two farmers accepted (members with their history), one row rejected.
    DemoBatch(
        DISTAN_LIAISON,
        "Petani Tanara tahap 1.csv",
        (
            BP("Karta Wijaya", "L", date(1975, 4, 2), 18, 11, "Tanara", "Petani padi"),
            BP("Onih Rohanah", "P", date(1983, 9, 15), 18, 12, "Tenjoayu", "Buruh tani"),
            BP("Sahroni", "L", date(1990, 1, 20), 18, 13, "Cerukcuk", "Petani"),
        ),
        "decided",
        (
            (
                4,
                "Penghasilan tidak sesuai surat keterangan desa; mohon dikirim ulang "
                "setelah diperbaiki.",
            ),
        ),
    ),  # fmt: skip
    # Waiting in petugas.serang's registration queue, every row valid.
    DemoBatch(
        DISTAN_LIAISON,
        "Petani Pontang tahap 2.csv",
        (
            BP("Aman Suparman", "L", date(1978, 6, 6), 19, 21, "Pontang", "Petani"),
            BP("Juhaeriyah", "P", date(1986, 11, 3), 19, 22, "Singarajan", "Buruh tani"),
            BP(
                "Marsudi",
                "L",
                date(1969, 2, 27),
                19,
                23,
                "Kalapian",
                "Petani penggarap",
                1_500_000,
                "JKK, JKM, JHT",
            ),
            BP("Tarsinah", "P", date(1994, 7, 19), 19, 24, "Linduk", "Buruh tani"),
        ),
        "submitted",
    ),  # fmt: skip
    # Waiting too, sent with a row the checks refused (a NIK one digit short): left out.
    DemoBatch(
        DISKOP_LIAISON,
        "Pedagang Pasar Ciruas.csv",
        (
            BP("Hj. Masitoh", "P", date(1972, 3, 9), 12, 31, "Ciruas", "Pedagang pasar", 1_500_000),
            BP("Ubaidillah", "L", date(1988, 12, 12), 12, 32, "Kaserangan", "Pedagang kelontong"),
            BP(
                "Nasrullah",
                "L",
                date(1991, 5, 5),
                12,
                33,
                "Pelawad",
                "Pedagang sayur",
                nik="360412050591003",
            ),
            BP("Eti Sumiati", "P", date(1996, 8, 28), 12, 34, "Ranjeng", "Pedagang kue"),
        ),
        "submitted",
    ),  # fmt: skip
    # Left in draft by the liaison: checked, never sent.
    DemoBatch(
        DISKOP_LIAISON,
        "Pedagang Pasar Baros.csv",
        (
            BP("Royani", "L", date(1984, 10, 1), 5, 41, "Baros", "Pedagang bakso"),
            BP("Sumarni", "P", date(1979, 4, 22), 5, 42, "Sukamanah", "Pedagang warung"),
        ),
        "draft",
    ),  # fmt: skip
)


def _csv(batch: DemoBatch) -> bytes:
    """The file as Excel with Indonesian settings saves it: ';', CRLF, UTF-8 with BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([HEADERS[c] for c in _COLUMNS])
    writer.writerows(p.cells() for p in batch.people)
    return buffer.getvalue().encode("utf-8-sig")


def batch_settings() -> batch_intake.Settings:
    return batch_intake.Settings.from_config(current_app.config, current_app.instance_path)


def seed_batches(session: Session, report: Any, today: date) -> None:
    settings = batch_settings()
    for demo in DEMO_BATCHES:
        liaison = _user(session, demo.liaison)
        known = session.scalar(
            select(MemberBatch.id).where(
                MemberBatch.department_id == liaison.department_id,
                MemberBatch.filename == demo.filename,
            )
        )
        if known is not None:
            continue
        up = batch_intake.upload_batch(
            session, liaison, _csv(demo), demo.filename, settings=settings, today=today
        )
        # The checks the task queue runs after the upload's commit, here in the same
        # transaction (they read the stored file, which is removed after the commit).
        batch = batch_intake.process_batch(session, up.batch.id, settings)
        assert batch is not None and batch.state is BatchState.DRAFT, batch and batch.refusal
        report.add("member_batch")
        if demo.outcome == "draft":
            continue
        batches.decide(session, liaison, batch.id, "submit")
        if demo.outcome == "submitted":
            continue
        clerk = _user(session, CLERK)
        rows = {
            r.number: r.id
            for r in session.scalars(select(BatchRow).where(BatchRow.batch_id == batch.id))
        }
        for number, reason in demo.rejected:
            batches.decide(
                session, clerk, batch.id, "reject_rows", row_ids=[rows[number]], reason=reason
            )
        batches.decide(session, clerk, batch.id, "accept_all")


# --------------------------------------------------------------------------------------------
# Claims at every stage, at KC Serang
# --------------------------------------------------------------------------------------------


#: The smallest valid PDF a scanner would not make, but every reader opens: the demo's
#: "scanned" documents.
def _pdf(title: str) -> bytes:
    text = title.encode("latin-1", "replace")
    stream = b"BT /F1 14 Tf 60 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref))  # fmt: skip
    return out.getvalue()


@dataclass(frozen=True)
class DemoClaim:
    member: str  # key in DEMO_MEMBERS
    claim_type: ClaimType
    #: new (no documents), missing (some documents), waiting (verified, the clerk's level),
    #: escalated (above the clerk's limit: the branch head's), returned, paid
    stage: str
    days_ago: int
    details: dict[str, Any]
    bank: tuple[str, str]
    jht_reason: JhtReason | None = None


def _jkk(place: str, cost: int, transport: int, stmb: int) -> dict[str, Any]:
    return {
        "accident_place": place,
        "on_commute": False,
        "treatment_cost": cost,
        "transport_mode": "land",
        "transport_cost": transport,
        "stmb_days": stmb,
        "disability_percent": "0",
        "death": False,
    }


DEMO_CLAIMS = (
    DemoClaim("serang_caught_up", ClaimType.JKK, "missing", 6,
              _jkk("Pasar Induk Rau, Kec. Serang", 3_250_000, 250_000, 7),
              ("BRI", "0021-01-045566-50-1")),
    DemoClaim("serang_age_56", ClaimType.JHT, "waiting", 9, {},
              ("Bank Banten", "5010-0088-1122"), JhtReason.AGE),
    DemoClaim("serang_transport", ClaimType.JKK, "escalated", 12,
              _jkk("Jl. Raya Serang-Pandeglang Km 8, Kec. Baros", 61_500_000, 1_200_000, 45),
              ("BNI", "0387-6612-90")),
    DemoClaim("serang_farmer", ClaimType.JKK, "returned", 15,
              _jkk("Sawah Desa Cisaat, Kec. Padarincang", 2_400_000, 300_000, 10),
              ("BRI", "0021-01-077812-50-9")),
    DemoClaim("serang_scattered", ClaimType.JKK, "paid", 25,
              _jkk("Pasar Kepandean, Kec. Serang", 1_850_000, 150_000, 5),
              ("Mandiri", "163-00-0712345-6")),
)  # fmt: skip

RETURN_REASON = (
    "Kuitansi rumah sakit tidak terbaca dan tanggal kecelakaan pada laporan berbeda; "
    "mohon dipindai ulang."
)


def document_settings() -> claim_documents.DocumentSettings:
    return claim_documents.DocumentSettings.from_config(
        current_app.config, current_app.instance_path
    )


def _upload_documents(
    session: Session, clerk: User, claim: Claim, settings: Any, *, all_of_them: bool
) -> None:
    required = [r for r in claim_documents.requirements_for(session, claim) if r.required]
    for requirement in required if all_of_them else required[:1]:
        document = claim_documents.upload_document(
            session,
            clerk,
            claim,
            requirement.id,
            _pdf(f"{claim.member.name} - {requirement.code}"),
            f"{requirement.code}.pdf",
            settings=settings,
        )
        if all_of_them:
            claim_documents.check_document(session, clerk, document)


def seed_claims(session: Session, report: Any, today: date, members: dict[str, str]) -> None:
    clerk, checker = _user(session, CLERK), _user(session, CHECKER)
    settings = document_settings()
    for demo in DEMO_CLAIMS:
        member = session.scalar(select(Member).where(Member.nik == members[demo.member]))
        if member is None or session.scalar(
            select(Claim.id).where(
                Claim.member_id == member.id, Claim.claim_type == demo.claim_type
            )
        ):
            continue
        data = claim_service.ClaimData(
            claim_type=demo.claim_type,
            member=member,
            event_date=today - timedelta(days=demo.days_ago),
            claimant_name=member.name,
            claimant_nik=member.nik,
            claimant_relationship=Relationship.SELF,
            bank_name=demo.bank[0],
            bank_account=demo.bank[1],
            account_holder=member.name,
            jht_reason=demo.jht_reason,
            details=demo.details,
        )
        claim = claim_service.register_claim(session, clerk, data, today=today)
        report.add("claim")
        if demo.stage == "new":
            continue
        _upload_documents(session, clerk, claim, settings, all_of_them=demo.stage != "missing")
        if demo.stage == "missing":
            continue
        claim_decisions.decide(session, clerk, claim.id, "verify")
        if demo.stage == "waiting":
            continue
        if demo.stage == "returned":
            claim_decisions.decide(session, checker, claim.id, "return", comment=RETURN_REASON)
            continue
        # Above the clerk's limit the approval moves it to the branch head's queue.
        claim_decisions.decide(session, checker, claim.id, "approve")
        if demo.stage == "escalated":
            assert claim.state is ClaimState.VERIFIED
            continue
        claim_decisions.decide(
            session,
            clerk,
            claim.id,
            "pay",
            payment_reference=f"TRF/B01/{today:%Y%m%d}/{claim.id:06d}",
            paid_on=today,
        )
    session.flush()


# --------------------------------------------------------------------------------------------
# The demo members' history: registered, then each change of status
# --------------------------------------------------------------------------------------------


def seed_member_history(session: Session, report: Any, niks: list[str]) -> None:
    """For each demo member without an audit event yet (loaded in bulk with their ledger): the
    registration by their clerk and each change of status the ledger made, as events."""
    has_event = exists().where(
        AuditEvent.record_type == MEMBER_RECORD,
        AuditEvent.record_id == Member.id.cast(AuditEvent.record_id.type),
    )
    members = list(
        session.scalars(select(Member).where(Member.nik.in_(niks), ~has_event).order_by(Member.id))
    )
    if not members:
        return
    changes: dict[int, list[MemberStatusChange]] = {}
    for change in session.scalars(
        select(MemberStatusChange)
        .where(MemberStatusChange.member_id.in_([m.id for m in members]))
        .order_by(MemberStatusChange.id)
    ):
        changes.setdefault(change.member_id, []).append(change)
    clerks = {u.id: u for u in session.scalars(select(User))}
    events = []
    for member in members:
        scope = {
            "record_type": MEMBER_RECORD,
            "record_id": member.id,
            "region_id": member.region_id,
            "office_id": member.office_id,
            "department_id": member.department_id,
        }
        events.append(
            audit.event_fields(
                actor=clerks.get(member.registered_by_id),
                action="create",
                to_state=MemberStatus.REGISTERED.value,
                details={"kpj": member.kpj, "start_date": member.start_date},
                occurred_at=as_utc(member.created_at),
                **scope,
            )
        )
        for change in changes.get(member.id, []):
            events.append(
                audit.event_fields(
                    actor=clerks.get(change.actor_id),
                    action=lifecycle.ACTION,
                    from_state=change.from_status.value,
                    to_state=change.to_status.value,
                    details={"reason": change.reason, "day": change.day},
                    occurred_at=as_utc(change.created_at),
                    **scope,
                )
            )
    audit.append_events(session, events)
    report.add("member_history", len(members))


def seed_work(session: Session, report: Any, today: date, members: dict[str, str]) -> None:
    """Everything waiting for someone (see the module docstring)."""
    seed_proposal(session, report, today)
    seed_batches(session, report, today)
    seed_claims(session, report, today, members)
    session.flush()
