"""The keys of the audit chain: HMAC keys the database does not hold.

Anyone with write access to the database could rewrite a plain hash chain and recompute every
hash after it. Each event's hash is therefore an HMAC-SHA256 under a key kept outside the
database (``AUDIT_KEYS`` in the environment), and each event names the key it was signed with,
so that keys can be rotated: new events take the current key (``AUDIT_KEY_ID``), older ones
keep theirs, and every key that ever signed must stay listed for verification.

``AUDIT_KEYS`` is ``id=secret[,id=secret...]`` (an id of letters, digits, ``.``, ``_`` or ``-``,
a secret of at least 32 characters). Production refuses to start without it; elsewhere one key,
``local``, is derived from ``SECRET_KEY`` (kept under instance/), so a development database's
chain stays verifiable as long as that file is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MIN_SECRET_LENGTH = 32
LOCAL_KEY_ID = "local"
EXTENSION = "audit_keyring"


class AuditKeyError(ValueError):
    """The audit keys are missing or malformed: the message says what to set."""


@dataclass(frozen=True)
class AuditKey:
    id: str
    secret: bytes = field(repr=False)

    def sign(self, text: str) -> str:
        return hmac.new(self.secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


class Keyring:
    """The keys that may have signed events, and the one that signs new ones."""

    def __init__(self, keys: Mapping[str, AuditKey], current_id: str) -> None:
        if current_id not in keys:
            raise AuditKeyError(
                f"AUDIT_KEY_ID={current_id!r} is not among the keys of AUDIT_KEYS "
                f"({', '.join(keys)})."
            )
        self._keys = dict(keys)
        self.current = self._keys[current_id]

    def get(self, key_id: str | None) -> AuditKey | None:
        return self._keys.get(key_id) if key_id is not None else None

    @property
    def ids(self) -> list[str]:
        return list(self._keys)


def parse_keys(spec: str) -> dict[str, AuditKey]:
    keys: dict[str, AuditKey] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        key_id, sep, secret = item.partition("=")
        key_id = key_id.strip()
        if not sep or not KEY_ID_PATTERN.match(key_id):
            raise AuditKeyError(
                "AUDIT_KEYS must read id=secret[,id=secret...]; an id is 1 to 32 letters, "
                "digits, '.', '_' or '-'."
            )
        if len(secret) < MIN_SECRET_LENGTH:
            raise AuditKeyError(
                f"The audit key {key_id!r} is shorter than {MIN_SECRET_LENGTH} characters: use "
                "a long random value, e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`."
            )
        if key_id in keys:
            raise AuditKeyError(f"The audit key {key_id!r} is listed twice in AUDIT_KEYS.")
        keys[key_id] = AuditKey(key_id, secret.encode("utf-8"))
    return keys


def keyring_from_config(config: Mapping[str, Any]) -> Keyring:
    spec = (config.get("AUDIT_KEYS") or "").strip()
    if spec:
        keys = parse_keys(spec)
        if not keys:
            raise AuditKeyError("AUDIT_KEYS lists no key.")
        return Keyring(keys, (config.get("AUDIT_KEY_ID") or "").strip() or list(keys)[-1])
    if config.get("BACKOFFICE_ENV") == "production":
        raise AuditKeyError(
            "AUDIT_KEYS must be set in production (BACKOFFICE_ENV=production): the audit trail "
            "is signed with a key the database does not hold. Set AUDIT_KEYS=k1=<a long random "
            "value> (docs/deployment.md). The back-office did not start."
        )
    derived = hmac.new(
        str(config["SECRET_KEY"]).encode("utf-8"), b"backoffice audit chain", hashlib.sha256
    ).digest()
    return Keyring({LOCAL_KEY_ID: AuditKey(LOCAL_KEY_ID, derived)}, LOCAL_KEY_ID)


def init_app(app: Any) -> None:
    app.extensions[EXTENSION] = keyring_from_config(app.config)


def current_keyring() -> Keyring:
    return current_app.extensions[EXTENSION]
