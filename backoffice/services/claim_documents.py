"""A claim's documents: the checklist of its claim type, the uploads (content-sniffed, stored
under ``UPLOAD_DIR``) and the clerk's check of each."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import (
    Claim,
    ClaimDocument,
    DocumentRequirement,
    User,
)

from .. import authz
from ..clock import jakarta_day
from ..errors import DomainError
from ..rules.working_days import add_working_days
from ..transaction import after_commit, after_rollback
from . import reference
from .claims import claim_event
from .files import clean_filename

# --------------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------------

ALLOWED_TYPES = {
    b"%PDF-": ("application/pdf", "pdf"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
}


def sniff(data: bytes) -> tuple[str, str] | None:
    """Content type and extension told by the bytes, never by the file name."""
    for signature, kind in ALLOWED_TYPES.items():
        if data.startswith(signature):
            return kind
    return None


def requirements_for(session: Session, claim: Claim) -> list[DocumentRequirement]:
    stmt = select(DocumentRequirement).where(
        DocumentRequirement.claim_type == claim.claim_type,
        DocumentRequirement.active.is_(True),
        or_(
            DocumentRequirement.jht_reason.is_(None),
            DocumentRequirement.jht_reason == claim.jht_reason,
        ),
    )
    return list(
        session.scalars(stmt.order_by(DocumentRequirement.sort_order, DocumentRequirement.id))
    )


@dataclass
class ChecklistItem:
    requirement: DocumentRequirement
    document: ClaimDocument | None

    @property
    def present(self) -> bool:
        return self.document is not None

    @property
    def checked(self) -> bool:
        return self.document is not None and self.document.checked_at is not None


def checklist(session: Session, claim: Claim) -> list[ChecklistItem]:
    documents = {
        d.requirement_id: d
        for d in session.scalars(select(ClaimDocument).where(ClaimDocument.claim_id == claim.id))
    }
    return [ChecklistItem(r, documents.get(r.id)) for r in requirements_for(session, claim)]


@dataclass(frozen=True)
class DocumentNames:
    """Documents named in a message in the language of whoever reads it (chosen when the
    message is shown, like the rest of it)."""

    names: tuple[tuple[str, str], ...]  # (Indonesian, English)

    @classmethod
    def of(cls, items: list[ChecklistItem]) -> DocumentNames:
        return cls(tuple((i.requirement.name, i.requirement.name_en) for i in items))

    def __str__(self) -> str:
        english = str(get_locale() or "id") == "en"
        return ", ".join(en if english else name for name, en in self.names)


def documents_problem(session: Session, claim: Claim) -> Any:
    items = [i for i in checklist(session, claim) if i.requirement.required]
    missing = [i for i in items if not i.present]
    if missing:
        return _l("Documents are missing: %(names)s.", names=DocumentNames.of(missing))
    unchecked = [i for i in items if not i.checked]
    if unchecked:
        return _l("Documents are not checked yet: %(names)s.", names=DocumentNames.of(unchecked))
    return None


@dataclass
class DocumentSettings:
    storage_dir: Path
    max_bytes: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: str) -> DocumentSettings:
        storage = config.get("UPLOAD_DIR") or str(Path(instance_path) / "uploads")
        return cls(Path(storage), int(config.get("CLAIM_DOCUMENT_MAX_BYTES") or 5 * 1024 * 1024))

    def path_of(self, document: ClaimDocument) -> Path:
        return self.storage_dir / "claims" / str(document.claim_id) / document.storage_name


def upload_document(
    session: Session,
    actor: User,
    claim: Claim,
    requirement_id: int,
    data: bytes,
    filename: str,
    *,
    settings: DocumentSettings,
    ip: str | None = None,
) -> ClaimDocument:
    """Store a document for one checklist item, replacing an earlier one (flushed and
    audited; the file is removed again if the caller's transaction is not committed, and the
    replaced file once it is)."""
    authz.CLAIMS.check(actor, "change_documents", claim).require()
    requirement = next(
        (r for r in requirements_for(session, claim) if r.id == requirement_id), None
    )
    if requirement is None:
        raise DomainError(_l("This document is not on the claim's checklist."))
    if not data:
        raise DomainError(_l("The file is empty."))
    if len(data) > settings.max_bytes:
        raise DomainError(
            _l(
                "The file is larger than %(limit)s MB.",
                limit=max(1, settings.max_bytes // (1024 * 1024)),
            )
        )
    kind = sniff(data)
    if kind is None:
        raise DomainError(
            _l("Only PDF, JPEG and PNG files are accepted (judged by their content).")
        )
    content_type, extension = kind
    old = session.scalar(
        select(ClaimDocument).where(
            ClaimDocument.claim_id == claim.id, ClaimDocument.requirement_id == requirement.id
        )
    )
    old_path = settings.path_of(old) if old is not None else None
    if old is not None:
        session.delete(old)
        session.flush()
    now = datetime.now(UTC)
    document = ClaimDocument(
        claim_id=claim.id,
        requirement_id=requirement.id,
        filename=clean_filename(filename, "dokumen"),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_name=f"{uuid.uuid4().hex}.{extension}",
        uploaded_by_id=actor.id,
        uploaded_at=now,
    )
    session.add(document)
    session.flush()
    path = settings.path_of(document)
    after_rollback(session, lambda: path.unlink(missing_ok=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    _mark_complete(session, claim, now)
    claim_event(
        session,
        actor,
        claim,
        "document_upload",
        claim.state,
        claim.state,
        ip,
        {"document": requirement.code, "sha256": document.sha256, "bytes": len(data)},
    )
    if old_path is not None:
        after_commit(session, lambda: old_path.unlink(missing_ok=True))
    return document


@dataclass(frozen=True)
class Upload:
    """One file of a multiple upload, for the checklist item it was matched to (None: not
    matched: the whole upload is refused, naming the file)."""

    requirement_id: int | None
    data: bytes
    filename: str


def upload_documents(
    session: Session,
    actor: User,
    claim: Claim,
    uploads: list[Upload],
    *,
    settings: DocumentSettings,
    ip: str | None = None,
) -> list[ClaimDocument]:
    """Several documents of the claim at once, each for its checklist item: all stored or
    none (a file refused refuses the upload, its name and checklist item in the message; the
    caller rolls back). Each is audited as ``upload_document`` audits it."""
    authz.CLAIMS.check(actor, "change_documents", claim).require()
    if not uploads:
        raise DomainError(_l("Choose the files to upload."))
    names = {r.id: r for r in requirements_for(session, claim)}
    seen: dict[int, str] = {}
    for upload in uploads:
        requirement = names.get(upload.requirement_id or -1)
        if requirement is None:
            raise DomainError(
                _l(
                    "%(file)s: choose the document of the checklist it is.",
                    file=clean_filename(upload.filename, "dokumen"),
                )
            )
        if requirement.id in seen:
            raise DomainError(
                _l(
                    "%(file)s and %(other)s are both for %(document)s: choose one.",
                    file=seen[requirement.id],
                    other=clean_filename(upload.filename, "dokumen"),
                    document=DocumentNames.of([ChecklistItem(requirement, None)]),
                )
            )
        seen[requirement.id] = clean_filename(upload.filename, "dokumen")
    documents = []
    for upload in uploads:
        try:
            documents.append(
                upload_document(
                    session,
                    actor,
                    claim,
                    upload.requirement_id or -1,
                    upload.data,
                    upload.filename,
                    settings=settings,
                    ip=ip,
                )
            )
        except DomainError as exc:
            raise DomainError(
                _l(
                    "%(file)s: %(problem)s",
                    file=clean_filename(upload.filename, "dokumen"),
                    problem=exc.message,
                )
            ) from exc
    return documents


def match_requirement(
    requirements: list[DocumentRequirement], filename: str
) -> DocumentRequirement | None:
    """The checklist item a file's name names (``surat-keterangan-kematian.pdf``,
    ``Kartu peserta.jpg``, ``death_certificate.png``), when exactly one does."""
    stem = _words(filename.rsplit(".", 1)[0])
    if not stem:
        return None
    found = [
        r for r in requirements if stem in {_words(r.name), _words(r.name_en or ""), _words(r.code)}
    ]
    return found[0] if len(found) == 1 else None


def _words(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _mark_complete(session: Session, claim: Claim, now: datetime) -> None:
    """The file is complete when every required document is there: the service clock starts."""
    items = [i for i in checklist(session, claim) if i.requirement.required]
    if claim.complete_at is None and all(i.present for i in items):
        claim.complete_at = now
        params = reference.parameters_on(session, jakarta_day(now))
        days = int(reference.parameter(params, f"sla.{claim.claim_type.value}.working_days"))
        # Working days skip public holidays and cuti bersama (two years: a target crosses New
        # Year at most once).
        day = jakarta_day(now)
        claim.due_date = add_working_days(day, days, reference.days_off(session, day))


def check_documents(
    session: Session,
    actor: User,
    claim: Claim,
    documents: list[ClaimDocument],
    *,
    ip: str | None = None,
) -> list[ClaimDocument]:
    """A clerk confirms several documents of one claim at once (each audited; those already
    checked are left as they were)."""
    if not documents:
        raise DomainError(_l("Tick the documents you checked."))
    if any(d.claim_id != claim.id for d in documents):
        raise DomainError(_l("This document is not on the claim's checklist."))
    return [check_document(session, actor, d, ip=ip) for d in documents if d.checked_at is None]


def check_document(
    session: Session, actor: User, document: ClaimDocument, *, ip: str | None = None
) -> ClaimDocument:
    """A clerk confirms a document matches the claim (flushed and audited)."""
    claim = document.claim
    authz.CLAIMS.check(actor, "change_documents", claim).require()
    document.checked_by_id = actor.id
    document.checked_at = datetime.now(UTC)
    claim_event(
        session,
        actor,
        claim,
        "document_check",
        claim.state,
        claim.state,
        ip,
        {"document": document.requirement.code},
    )
    session.flush()
    return document
