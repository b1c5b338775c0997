"""Users: exactly one role, and exactly the scope that role needs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, TimestampMixin
from .enums import Role, str_enum
from .org import Department, Office, Region

# role -> which scope column must be set (all others must be empty)
ROLE_SCOPE_COLUMN: dict[Role, str | None] = {
    Role.ADMIN: None,
    Role.REGIONAL_HEAD: "region_id",
    Role.AUDITOR: "region_id",
    Role.BRANCH_HEAD: "office_id",
    Role.BRANCH_CLERK: "office_id",
    Role.LIAISON: "department_id",
}


def _role_scope_check() -> str:
    clauses = []
    for role, column in ROLE_SCOPE_COLUMN.items():
        parts = [f"role = '{role.value}'"]
        for col in ("region_id", "office_id", "department_id"):
            parts.append(f"{col} IS NOT NULL" if col == column else f"{col} IS NULL")
        clauses.append("(" + " AND ".join(parts) + ")")
    return " OR ".join(clauses)


class User(TimestampMixin, Base):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint(_role_scope_check(), name="role_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(160))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(5), default="id")
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped on logout and password change so that old sessions stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # Set by the administrator: the next sign-in leads to the password change page first.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Notifications by email: "immediate", "digest" (daily) or "none" (models.EmailPreference,
    # checked by services.notifications.set_preference).
    email_notifications: Mapped[str] = mapped_column(
        String(9), default="immediate", server_default="immediate"
    )

    region: Mapped[Region | None] = relationship()
    office: Mapped[Office | None] = relationship()
    department: Mapped[Department | None] = relationship()

    # Flask-Login protocol, written out so that models need no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})"
