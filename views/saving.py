"""Saving a screen's form: through a service or Flask-Admin, audited, and with errors a user can
act on (never a database message, never a 500)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import flash, g, request
from flask_admin.contrib.sqla import ModelView
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError

from backoffice import audit
from backoffice.errors import DomainError
from backoffice.extensions import db

log = logging.getLogger(__name__)


def conflict_message() -> str:
    return gettext("This record conflicts with an existing one (a code or name is already used).")


class AuditedForm:
    """Creates and edits made in a screen's form, written to the audit trail (mixed into a
    ``ModelView``)."""

    #: Creates and edits made in this screen's form are written to the audit trail under this
    #: record type, with the fields they set or changed; None where a service audits the change.
    audit_record_type: str | None = None
    form_columns: Any

    def audited_fields(self) -> list[str]:
        return [str(name) for name in self.form_columns or ()]

    def audit_scope(self, model: Any) -> dict[str, int | None]:
        """The region, office and department an event about ``model`` belongs to."""
        return {}

    def update_model(self, form: Any, model: Any) -> Any:
        if self.audit_record_type:
            g.audit_before = audit.field_values(model, self.audited_fields())
        return super().update_model(form, model)  # type: ignore[misc]

    def _on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        super()._on_model_change(form, model, is_created)  # type: ignore[misc]
        if not self.audit_record_type:
            return
        before = None if is_created else g.pop("audit_before", None)
        changes = audit.field_changes(before, audit.field_values(model, self.audited_fields()))
        if not changes and not is_created:
            return  # saved without a change: nothing happened
        db.session.flush()
        audit.append_event(
            db.session,
            actor=current_user,
            action="create" if is_created else "edit",
            record_type=self.audit_record_type,
            record_id=sa_inspect(model).identity[0],
            ip=request.remote_addr,
            details={"changes": changes},
            **self.audit_scope(model),
        )


class SavingErrors:
    """Saving through services, and the errors of a save shown to the user (mixed into a
    ``ModelView``)."""

    model: type

    def _save(self, form: Any, operation: Callable[[], Any]) -> Any:
        """Run a service operation for a form and commit; a domain error goes back to the form."""
        try:
            result = operation()
            db.session.commit()
        except (DomainError, IntegrityError) as exc:
            db.session.rollback()
            if isinstance(exc, DomainError) and exc.field and exc.field in form:
                form[exc.field].errors = [*form[exc.field].errors, str(exc.message)]
            self.handle_view_exception(exc)
            return False
        return result

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, DomainError):
            flash(str(exc.message), "error")
            return True
        if isinstance(exc, IntegrityError):
            flash(conflict_message(), "error")
            return True
        # Flask-Admin's own handling, but not the SQLAlchemy view's (it shows the database's
        # message).
        if super(ModelView, self).handle_view_exception(exc):  # type: ignore[misc]
            return True
        # Never show a database message to the user; keep it in the log.
        log.exception("Could not save %s", self.model.__name__)
        flash(
            gettext(
                "The change could not be saved. Please try again or contact the administrator."
            ),
            "error",
        )
        return True
