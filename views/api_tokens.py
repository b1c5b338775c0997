"""API tokens of department (and branch) systems: created (shown once), listed and revoked by
the administrator or the department's liaison."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from backoffice import authz
from backoffice.clock import utcnow
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.forms import AppForm
from backoffice.services import api_tokens as service
from backoffice.transaction import unit_of_work
from models import Department, Office, Role

from .base import deny_access
from .personal_data import no_store


class TokenForm(AppForm):
    name = StringField(
        _l("Name (the system that will use it)"), validators=[InputRequired(), Length(max=100)]
    )
    owner = SelectField(_l("For"), validators=[InputRequired()])
    days = IntegerField(
        _l("Valid for (days)"),
        default=365,
        validators=[InputRequired(), NumberRange(min=1, max=service.MAX_DAYS)],
    )


class RevokeForm(AppForm):
    pass


def _owners() -> list[tuple[str, str]]:
    if current_user.role is Role.LIAISON:
        department = current_user.department
        return [(f"d:{department.id}", str(department))]
    departments = db.session.scalars(
        authz.scope(current_user, select(Department), Department).order_by(Department.name)
    )
    offices = db.session.scalars(
        authz.scope(current_user, select(Office), Office).order_by(Office.code)
    )
    return [(f"d:{d.id}", str(d)) for d in departments] + [
        (f"o:{o.id}", gettext("Office %(office)s (branch system)", office=o.name)) for o in offices
    ]


class ApiTokenView(BaseView):
    def is_accessible(self) -> bool:
        return authz.may(current_user, "api_tokens")

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return deny_access()

    def _page(self, form: TokenForm, secret: str | None = None) -> Any:
        now = utcnow()
        tokens = service.tokens(db.session, current_user)
        page = self.render(
            "admin/api_tokens.html",
            form=form,
            revoke_form=RevokeForm(formdata=None),
            tokens=tokens,
            valid={t.id: service.is_valid(t, now) for t in tokens},
            secret=secret,
            may_create=authz.may(current_user, "api_tokens", "create"),
        )
        return no_store(page) if secret else page

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        form = TokenForm()
        form.owner.choices = _owners()
        if request.method == "POST" and form.validate_on_submit():
            kind, _, owner_id = form.owner.data.partition(":")
            try:
                with unit_of_work(db.session):
                    created = service.create_token(
                        db.session,
                        current_user,
                        name=form.name.data,
                        department_id=int(owner_id) if kind == "d" else None,
                        office_id=int(owner_id) if kind == "o" else None,
                        days=form.days.data,
                        ip=request.remote_addr,
                    )
            except DomainError as exc:
                form.name.errors = [str(exc.message)]
            else:
                # Shown on this page once: only its hash is kept.
                return self._page(TokenForm(formdata=None), created.secret)
        return self._page(form)

    @expose("/revoke/", methods=("POST",))
    def revoke(self) -> Any:
        token_id = request.args.get("id", type=int)
        if token_id is None:
            abort(404)
        form = RevokeForm()
        if not form.validate_on_submit():
            flash(
                gettext(
                    "The form expired or was sent twice. Please reload the page and try again."
                ),
                "error",
            )
            return redirect(url_for(".index"))
        try:
            with unit_of_work(db.session):
                token = service.revoke_token(
                    db.session, current_user, token_id, ip=request.remote_addr
                )
        except NotFound:
            abort(404)
        except DomainError as exc:
            flash(str(exc.message), "error")
        else:
            flash(gettext("The token %(prefix)s… was revoked.", prefix=token.prefix), "success")
        return redirect(url_for(".index"))
