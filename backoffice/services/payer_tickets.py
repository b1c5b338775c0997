"""A payer file waiting for its recording: kept under ``UPLOAD_DIR/payer/`` behind a signed
token bound to the clerk, the department and the file's checksum."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from models import User

from ..errors import DomainError, NotFound
from ..importing.messages import lazy_message as _l
from .files import clean_filename

DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: How long an uploaded file waits for its recording (seconds): a working day.
DEFAULT_MAX_AGE = 8 * 3600


class Expired(DomainError):
    """The uploaded file is gone: too old, already recorded, or never there."""


def _expired() -> Expired:
    return Expired(
        _l("This upload has expired or was already recorded. Upload the file again to check it.")
    )


@dataclass
class Settings:
    storage_dir: Path
    max_bytes: int
    max_rows: int
    secret_key: str
    max_age: int = DEFAULT_MAX_AGE

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: str) -> Settings:
        storage = config.get("UPLOAD_DIR") or str(Path(instance_path) / "uploads")
        return cls(
            storage_dir=Path(storage) / "payer",
            max_bytes=int(config.get("PAYER_IMPORT_MAX_BYTES") or DEFAULT_MAX_BYTES),
            max_rows=int(config.get("PAYER_IMPORT_MAX_ROWS") or DEFAULT_MAX_ROWS),
            secret_key=str(config["SECRET_KEY"]),
            max_age=int(config.get("PAYER_IMPORT_MAX_AGE") or DEFAULT_MAX_AGE),
        )

    def serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt="payer-import")


_FILE_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Ticket:
    """What the signed token says: whose upload, for which payer, which stored file."""

    file_id: str
    user_id: int
    department_id: int
    filename: str
    checksum: str

    def path(self, settings: Settings) -> Path:
        return settings.storage_dir / self.file_id


def sweep(settings: Settings) -> None:
    """Remove files whose token has expired (nobody can record them any more)."""
    if not settings.storage_dir.is_dir():
        return
    limit = time.time() - settings.max_age - 60
    for path in settings.storage_dir.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def open_ticket(settings: Settings, actor: User, token: str | None) -> Ticket:
    """The ticket of a token issued to ``actor``; NotFound for anything else, Expired when
    too old."""
    if not token:
        raise NotFound(_l("This upload was not found."))
    try:
        data = settings.serializer().loads(token, max_age=settings.max_age)
    except SignatureExpired:
        raise _expired() from None
    except BadSignature:
        raise NotFound(_l("This upload was not found.")) from None
    try:
        ticket = Ticket(
            file_id=str(data["f"]),
            user_id=int(data["u"]),
            department_id=int(data["d"]),
            filename=str(data["n"]),
            checksum=str(data["c"]),
        )
    except (KeyError, TypeError, ValueError):
        raise NotFound(_l("This upload was not found.")) from None
    if ticket.user_id != actor.id or not _FILE_ID.fullmatch(ticket.file_id):
        raise NotFound(_l("This upload was not found."))
    return ticket


def load(settings: Settings, ticket: Ticket) -> bytes:
    try:
        data = ticket.path(settings).read_bytes()
    except FileNotFoundError:
        raise _expired() from None
    if hashlib.sha256(data).hexdigest() != ticket.checksum:
        raise _expired()
    return data


def discard(settings: Settings, ticket: Ticket) -> None:
    ticket.path(settings).unlink(missing_ok=True)


def keep(settings: Settings, actor: User, department_id: int, data: bytes, filename: str) -> str:
    """Store the file (expired ones are swept first) and return its signed token."""
    sweep(settings)
    file_id = uuid.uuid4().hex
    settings.storage_dir.mkdir(parents=True, exist_ok=True)
    path = settings.storage_dir / file_id
    path.write_bytes(data)
    return settings.serializer().dumps(
        {
            "f": file_id,
            "u": actor.id,
            "d": department_id,
            "n": clean_filename(filename),
            "c": hashlib.sha256(data).hexdigest(),
        }
    )


__all__ = ["Expired", "Settings", "Ticket", "discard", "keep", "load", "open_ticket", "sweep"]
