"""User administration: one role, the scope it needs, hashed passwords never shown."""

from __future__ import annotations

from typing import Any

from flask import flash, request
from flask_admin.actions import action
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.form import BaseForm
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from backoffice import authz
from backoffice.extensions import db
from backoffice.labels import choices
from backoffice.services import notifications
from backoffice.services import users as user_service
from backoffice.transaction import unit_of_work
from models import Department, Office, Region, Role, User

from .base import SecuredModelView
from .filters import EnumFilter, choice_query
from .org import COMMON_LABELS

MUST_CHANGE_LABEL = _l("Must change the password at next sign-in")
MUST_CHANGE_HELP = _l(
    "The user reaches only the password change page until they have chosen their own password."
)


class _UserFormBase(BaseForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(
                r"^[A-Za-z0-9._-]+$", message=_l("Letters, digits, dot, dash and underscore only.")
            ),
        ],
    )
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=160)])
    role = SelectField(_l("Role"), choices=lambda: choices(Role), validators=[DataRequired()])
    region = QuerySelectField(_l("Region"), query_factory=choice_query(Region), allow_blank=True)
    office = QuerySelectField(_l("Office"), query_factory=choice_query(Office), allow_blank=True)
    department = QuerySelectField(
        _l("Department"), query_factory=choice_query(Department), allow_blank=True
    )
    locale = SelectField(
        _l("Language"), choices=[("id", "Bahasa Indonesia"), ("en", "English")], default="id"
    )
    active = BooleanField(_l("Active"), default=True)
    must_change_password = BooleanField(MUST_CHANGE_LABEL, description=MUST_CHANGE_HELP)
    email_notifications = SelectField(
        _l("Email notifications"),
        choices=[
            ("immediate", _l("Immediately")),
            ("digest", _l("Once a day (digest)")),
            ("none", _l("None (in the app only)")),
        ],
        default="immediate",
    )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        role = Role(self.role.data) if self.role.data in {r.value for r in Role} else None
        problems = user_service.scope_problems(
            role, self.region.data, self.office.data, self.department.data
        )
        for field, message in problems.items():
            self[field].errors = [*self[field].errors, str(message)]
        if self.password.data:
            problem = user_service.password_problem(self.password.data, self.username.data or "")
            if problem:
                self.password.errors = [*self.password.errors, str(problem)]
                ok = False
        return ok and not problems


class UserCreateForm(_UserFormBase):
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    password_confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    # The administrator knows the first password: by default the user replaces it.
    must_change_password = BooleanField(
        MUST_CHANGE_LABEL, default=True, description=MUST_CHANGE_HELP
    )


class UserEditForm(_UserFormBase):
    password = PasswordField(
        _l("New password"), validators=[Optional()], description=_l("Leave empty to keep it.")
    )
    password_confirm = PasswordField(
        _l("Repeat new password"),
        validators=[EqualTo("password", message=_l("The passwords differ."))],
    )


class UserView(SecuredModelView):
    screen = "users"
    column_list = ["username", "full_name", "role", "region", "office", "department", "active"]
    column_details_list = [
        "username",
        "full_name",
        "email",
        "role",
        "region",
        "office",
        "department",
        "locale",
        "active",
        "must_change_password",
        "email_notifications",
        "last_login_at",
        "created_at",
    ]
    column_export_list = column_details_list
    column_searchable_list = ["username", "full_name"]
    column_filters = [EnumFilter(User.role, _l("Role"), Role), "active"]
    column_default_sort = "username"
    column_labels = {
        **COMMON_LABELS,
        "username": _l("Username"),
        "full_name": _l("Full name"),
        "email": _l("E-mail"),
        "role": _l("Role"),
        "department": _l("Department"),
        "locale": _l("Language"),
        "last_login_at": _l("Last login"),
        "must_change_password": MUST_CHANGE_LABEL,
        "email_notifications": _l("Email notifications"),
    }

    def get_create_form(self) -> type:
        return UserCreateForm

    def get_edit_form(self) -> type:
        return UserEditForm

    def _data(self, form: Any) -> user_service.UserData:
        return user_service.UserData(
            username=form.username.data,
            full_name=form.full_name.data,
            email=form.email.data,
            role=Role(form.role.data),
            region=form.region.data,
            office=form.office.data,
            department=form.department.data,
            active=form.active.data,
            locale=form.locale.data,
            must_change_password=form.must_change_password.data,
        )

    def create_model(self, form: Any) -> Any:
        def create() -> Any:
            user = user_service.create_user(
                db.session,
                self._data(form),
                form.password.data,
                actor=current_user,
                ip=request.remote_addr,
            )
            notifications.set_preference(
                db.session, user, form.email_notifications.data, current_user
            )
            return user

        return self._save(form, create)

    def update_model(self, form: Any, model: User) -> Any:
        def update() -> Any:
            result = user_service.update_user(
                db.session,
                model,
                self._data(form),
                form.password.data or None,
                actor=current_user,
                ip=request.remote_addr,
            )
            notifications.set_preference(
                db.session,
                model,
                form.email_notifications.data,
                current_user,
                ip=request.remote_addr,
            )
            return result

        return self._save(form, update)

    def is_action_allowed(self, name: str) -> bool:
        return authz.may(current_user, self.screen, "edit") and super().is_action_allowed(name)

    @action(
        "require_password_change",
        _l("Require a password change"),
        _l("The selected users must choose a new password at their next sign-in. Continue?"),
    )
    def action_require_password_change(self, ids: list[str]) -> None:
        users = [self.get_one(pk) for pk in ids]  # out of scope: 404, like everywhere
        with unit_of_work(db.session):
            changed = user_service.require_password_change(
                db.session, users, actor=current_user, ip=request.remote_addr
            )
        flash(
            gettext(
                "Users who must now change their password at the next sign-in: %(num)s.",
                num=changed,
            ),
            "success",
        )
