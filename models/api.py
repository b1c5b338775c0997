"""API tokens of department (and branch office) systems, and the idempotency keys of their calls.

A token is shown once when it is created: only its SHA-256 is stored, with its first characters
(``prefix``) to recognise it in lists. It belongs to exactly one department (a liaison's scope)
or one office (a branch system: a clerk's scope).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin
from .members import MemberBatch
from .org import Department, Office
from .users import User


class ApiToken(TimestampMixin, Base):
    __tablename__ = "api_token"
    __table_args__ = (
        CheckConstraint("(department_id IS NULL) <> (office_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: hex SHA-256 of the whole token
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the token's first characters, shown in lists
    prefix: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Denormalised for the audit trail's and the lists' scope.
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)

    department: Mapped[Department | None] = relationship()
    office: Mapped[Office | None] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def owner_office_id(self) -> int | None:
        if self.office_id is not None:
            return self.office_id
        return self.department.office_id if self.department is not None else None

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ApiIdempotencyKey(Base):
    """What a call with an ``Idempotency-Key`` made, per token: a retry returns it again."""

    __tablename__ = "api_idempotency_key"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id"))
    key: Mapped[str] = mapped_column(String(200))
    #: the request it answered ("POST /batches"): the same key on another call is refused
    operation: Mapped[str] = mapped_column(String(40))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("member_batch.id"))
    #: the answer of a call whose result is not a stored record (a payer file)
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    batch: Mapped[MemberBatch | None] = relationship()
