"""API tokens: created (shown once, stored hashed), listed, revoked, and checked on each call.

A token is ``bpjs_`` and 43 random URL-safe characters; only its SHA-256 is kept, with its first
characters to recognise it. Creating and revoking are audited in the token's region and
department. ``authenticate`` answers the ``ApiPrincipal`` of a valid token (not revoked, not
expired, its creator still active), else None.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ApiIdempotencyKey, ApiToken, Department, Office, User

from .. import audit, authz
from ..clock import as_utc, utcnow
from ..errors import DomainError, NotFound
from ..labels import ACTION_LABELS

RECORD_TYPE = "api_token"
TOKEN_START = "bpjs_"
PREFIX_LENGTH = 12
#: last_used_at is written at most this often (not at every call).
USE_RESOLUTION = timedelta(minutes=1)
MAX_DAYS = 730

ACTION_LABELS.update(
    {"api_token_create": _l("API token created"), "api_token_revoke": _l("API token revoked")}
)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Created:
    token: ApiToken
    #: the token itself: shown once, never stored
    secret: str


def _owner(
    session: Session, department_id: int | None, office_id: int | None
) -> Department | Office:
    if (department_id is None) == (office_id is None):
        raise DomainError(_l("Choose either a department or an office for the token."))
    owner = (
        session.get(Department, department_id)
        if department_id is not None
        else session.get(Office, office_id)
    )
    if owner is None:
        raise NotFound(_l("The page or record was not found."))
    return owner


def create_token(
    session: Session,
    actor: User,
    *,
    name: str,
    department_id: int | None = None,
    office_id: int | None = None,
    days: int | None = 365,
    ip: str | None = None,
) -> Created:
    """A new token for a department (or an office), valid ``days`` days (None: until revoked);
    flushed and audited, the caller commits."""
    owner = _owner(session, department_id, office_id)
    authz.API_TOKENS.check(actor, "create", owner).require()
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Give the token a name (the system that will use it)."), field="name")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise DomainError(_l("A token is valid for 1 to %(max)s days.", max=MAX_DAYS), field="days")
    secret = TOKEN_START + secrets.token_urlsafe(32)
    now = utcnow()
    if isinstance(owner, Department):
        region_id = owner.office.region_id
    else:
        region_id = owner.region_id
    token = ApiToken(
        name=name[:100],
        token_hash=hash_token(secret),
        prefix=secret[:PREFIX_LENGTH],
        department_id=department_id,
        office_id=office_id,
        created_by_id=actor.id,
        expires_at=now + timedelta(days=days) if days is not None else None,
        region_id=region_id,
        created_at=now,
    )
    session.add(token)
    session.flush()
    _audit(session, actor, "create", token, ip, {"name": token.name, "prefix": token.prefix})
    return Created(token, secret)


def revoke_token(
    session: Session, actor: User, token_id: int, *, ip: str | None = None
) -> ApiToken:
    token = session.scalar(
        authz.scope(actor, select(ApiToken).where(ApiToken.id == token_id), ApiToken)
    )
    if token is None:
        raise NotFound(_l("The page or record was not found."))
    authz.API_TOKENS.check(actor, "revoke", token).require()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = actor.id
        session.flush()
        _audit(session, actor, "revoke", token, ip, {"prefix": token.prefix})
    return token


def _audit(
    session: Session, actor: User, action: str, token: ApiToken, ip: str | None, details: Any
) -> None:
    audit.append_event(
        session,
        actor=actor,
        action=f"api_token_{action}",
        record_type=RECORD_TYPE,
        record_id=token.id,
        ip=ip,
        details=details,
        region_id=token.region_id,
        office_id=token.owner_office_id,
        department_id=token.department_id,
    )


def tokens(session: Session, actor: User) -> list[ApiToken]:
    stmt = authz.scope(actor, select(ApiToken), ApiToken).order_by(ApiToken.created_at.desc())
    return list(session.scalars(stmt))


def is_valid(token: ApiToken, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if token.revoked_at is not None:
        return False
    return token.expires_at is None or as_utc(token.expires_at) > now


def authenticate(session: Session, raw: str | None) -> authz.ApiPrincipal | None:
    """The identity of a call bearing ``raw`` (None: no such token, revoked or expired)."""
    if not raw or not raw.startswith(TOKEN_START) or len(raw) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    now = utcnow()
    if token is None or not is_valid(token, now):
        return None
    creator = session.get(User, token.created_by_id)
    if creator is None or not creator.active:
        return None
    if token.last_used_at is None or now - as_utc(token.last_used_at) >= USE_RESOLUTION:
        token.last_used_at = now
    return authz.ApiPrincipal(token, creator)


# --------------------------------------------------------------------------------------------
# Idempotency keys: what a call with a key made, per token
# --------------------------------------------------------------------------------------------


def remembered(session: Session, token_id: int, key: str) -> ApiIdempotencyKey | None:
    return session.scalar(
        select(ApiIdempotencyKey).where(
            ApiIdempotencyKey.token_id == token_id, ApiIdempotencyKey.key == key
        )
    )


def remember(
    session: Session,
    token_id: int,
    key: str,
    operation: str,
    *,
    batch_id: int | None = None,
    result: dict[str, Any] | None = None,
) -> ApiIdempotencyKey:
    """Keep what the call made under its key (flushed, in the call's transaction: a retry
    racing it meets the unique key and is answered with the first call's result)."""
    record = ApiIdempotencyKey(
        token_id=token_id,
        key=key,
        operation=operation,
        batch_id=batch_id,
        result=result,
        created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    return record


__all__ = [
    "Created",
    "authenticate",
    "create_token",
    "hash_token",
    "is_valid",
    "remember",
    "remembered",
    "revoke_token",
    "tokens",
]
