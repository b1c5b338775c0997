"""The secured base view: every screen inherits its scoping, access checks and formats."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.model import typefmt
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError

from backoffice import authz
from backoffice.exports import neutralise_formula
from backoffice.extensions import db
from backoffice.i18n import format_date, format_number
from backoffice.labels import choices, label
from backoffice.services.errors import DomainError

log = logging.getLogger(__name__)


def _bool(view: Any, value: bool, name: str) -> str:
    return gettext("Yes") if value else gettext("No")


def _enum(view: Any, value: enum.Enum, name: str) -> str:
    return label(value)


def _date(view: Any, value: date, name: str) -> str:
    return format_date(value)


def _decimal(view: Any, value: Decimal, name: str) -> str:
    return format_number(value)


# Order matters: Flask-Admin takes the first isinstance match (bool before int, datetime before date).
LIST_FORMATTERS = {
    type(None): typefmt.empty_formatter,
    bool: _bool,
    datetime: _date,
    date: _date,
    enum.Enum: _enum,
    Decimal: _decimal,
    list: typefmt.list_formatter,
}
EXPORT_FORMATTERS = {
    type(None): typefmt.empty_formatter,
    bool: _bool,
    datetime: _date,
    date: _date,
    enum.Enum: _enum,
    list: typefmt.list_formatter,
}


def deny_access() -> Any:
    """Not signed in: to the login page, back here afterwards. Signed in: 403."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    abort(403)


def choice_query(model: type, *conditions: Any) -> Callable[[], Any]:
    """A ``query_factory`` offering only rows the current user may choose."""
    return lambda: db.session.query(model).filter(authz.choosable(current_user, model), *conditions)


class EnumFilter(FilterEqual):
    """Equality filter on an enum column offering translated labels; other values are ignored."""

    def __init__(self, column: Any, name: Any, enum_cls: type[enum.Enum]) -> None:
        super().__init__(column, name, options=lambda: choices(enum_cls))
        self.enum_cls = enum_cls

    def validate(self, value: Any) -> bool:
        return value in {m.value for m in self.enum_cls}


class SecuredModelView(ModelView):
    """A Flask-Admin model view whose every query, lookup and action is scoped by ``authz``.

    Subclasses declare ``screen`` (a key of ``authz.SCREENS``) and their columns.
    """

    screen: str = ""
    page_size = 20
    can_set_page_size = True
    can_view_details = True
    can_delete = False  # records are deactivated, never deleted: the audit trail refers to them
    list_template = "admin/model/list.html"
    column_type_formatters = LIST_FORMATTERS
    column_type_formatters_detail = LIST_FORMATTERS
    column_type_formatters_export = EXPORT_FORMATTERS
    export_types = ["csv"]

    def __init__(self, model: type, **kwargs: Any) -> None:
        super().__init__(model, db, **kwargs)

    # --- access ------------------------------------------------------------------------------
    def is_accessible(self) -> bool:
        return authz.may(current_user, self.screen, "view")

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return deny_access()

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return authz.may(current_user, self.screen, "create")

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return authz.may(current_user, self.screen, "edit")

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return authz.may(current_user, self.screen, "export")

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        # Flask-Admin checks can_* flags itself on most endpoints; enforce them for every
        # state-changing endpoint anyway so that a forged request cannot slip through.
        result = super()._handle_view(name, **kwargs)
        if result is not None:
            return result
        # A row out of scope answers 404 whatever the action, exactly like a missing row.
        row_id = request.args.get("id") if name in ("edit_view", "details_view") else None
        if name == "delete_view":
            row_id = request.form.get("id")
        if row_id is not None:
            self.get_one(row_id)
        needed = {
            "create_view": "create",
            "edit_view": "edit",
            "ajax_update": "edit",
            "delete_view": "delete",
            "export": "export",
        }.get(name)
        if needed == "delete" and not self.can_delete:
            abort(403)
        if needed and needed != "delete" and not authz.may(current_user, self.screen, needed):
            abort(403)
        return None

    def get_filters(self) -> Any:
        # A hand-written URL with a bad filter value must not end in a 500 (Flask-Admin's enum
        # filter raises KeyError): an invalid value is simply not applied.
        filters = super().get_filters() or []
        for flt in filters:
            if not getattr(flt, "_safe_validate", False):
                original = flt.validate

                def validate(value: Any, _original: Any = original) -> bool:
                    try:
                        return bool(_original(value))
                    except (LookupError, TypeError, ValueError):
                        return False

                flt.validate = validate
                flt._safe_validate = True
        return filters

    # --- scoped data access ------------------------------------------------------------------
    def get_query(self) -> Any:
        return authz.scope(current_user, super().get_query(), self.model)

    def get_count_query(self) -> Any:
        return authz.scope(current_user, super().get_count_query(), self.model)

    def get_one(self, id: Any) -> Any:
        pk = sa_inspect(self.model).primary_key[0]
        try:
            key = pk.type.python_type(id)
        except (TypeError, ValueError):
            abort(404)
        obj = self.get_query().filter(pk == key).one_or_none()
        if obj is None:
            # Out of scope and non-existent look the same: no information leaks.
            abort(404)
        return obj

    def _restrict_choices(self, form: Any) -> Any:
        """Relationship fields offer only rows the user may see."""
        relationships = sa_inspect(self.model).relationships
        for field in form:
            if isinstance(field, QuerySelectField | QuerySelectMultipleField):
                field.blank_text = gettext("(none)")
                rel = relationships.get(field.name)
                if rel is not None:
                    remote = rel.mapper.class_
                    field.query = db.session.query(remote).filter(
                        authz.choosable(current_user, remote)
                    )
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._restrict_choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._restrict_choices(super().edit_form(obj))

    def get_export_value(self, model: Any, name: Any) -> Any:
        return neutralise_formula(super().get_export_value(model, name))

    # --- saving through services, errors a user can act on -------------------------------
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
            flash(
                gettext(
                    "This record conflicts with an existing one (a code or name is already used)."
                ),
                "error",
            )
            return True
        if super(ModelView, self).handle_view_exception(exc):
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
