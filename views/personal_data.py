"""Personal data on a record's page: masked, with a "Show" button for those who need the full
value (``authz.may_reveal``), each reveal a POST (CSRF) that is audited before the value is
shown (``services.personal_data.reveal``). Lists and exports only ever show masked values
(``formats.masked``)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from backoffice import authz
from backoffice.authz.personal_data import reveals_any
from backoffice.errors import DomainError, Forbidden
from backoffice.extensions import db
from backoffice.rules.personal_data import mask
from backoffice.services import personal_data as service
from backoffice.transaction import unit_of_work

from .formats import personal_value

#: ``flask.g``: the values revealed for this response, by field.
REVEALED = "revealed_personal_data"


def revealed() -> dict[Any, Any]:
    return g.get(REVEALED) or {}


def reveal_button(action: str, hidden: dict[str, Any], element_id: str, text: str) -> Markup:
    """A POST form of one button (CSRF token included) that reveals personal data."""
    inputs = Markup("").join(
        Markup('<input type="hidden" name="{}" value="{}">').format(name, value)
        for name, value in {"csrf_token": generate_csrf(), **hidden}.items()
    )
    return Markup(
        '<form method="post" action="{}" class="d-inline reveal-form">{}'
        '<button type="submit" class="btn btn-link btn-sm py-0" id="{}">{}</button></form>'
    ).format(action, inputs, element_id, text)


def revealable(view: Any, context: Any, model: Any, name: str) -> Any:
    """A details page's NIK, phone or address: the full value once revealed in this response,
    otherwise masked, with the "Show" button exactly when ``authz.may_reveal`` allows it."""
    field, value = personal_value(model, name)
    if value is None:
        return ""
    if field in revealed():
        return Markup('<span class="personal-data revealed" id="pd-{}">{}</span>').format(
            field, value
        )
    shown = Markup('<span class="personal-data masked" id="pd-{}">{}</span>').format(
        field, mask(field, value)
    )
    if not authz.may_reveal(current_user, model):
        return shown
    button = reveal_button(
        view.get_url(".reveal_personal_data", id=model.id),
        {"field": field},
        f"reveal-{field}",
        gettext("Show"),
    )
    return shown + button


class RevealRoute:
    """The ``reveal_personal_data`` route of a screen whose details page shows personal data:
    one POST of a field, answered by the details page with that field in full (never cached),
    after the audit event is committed. 404 out of scope, 403 without the need."""

    # Mixed into a SecuredModelView: ``get_one`` (404 out of scope) and ``details_view`` are
    # the screen's own.
    @expose("/reveal/", methods=("POST",))
    def reveal_personal_data(self: Any) -> Any:
        if not reveals_any(current_user):
            abort(403)
        item = self.get_one(request.args.get("id", ""))
        try:
            with unit_of_work(db.session):
                values = service.reveal(
                    db.session,
                    current_user,
                    item,
                    [request.form.get("field", "")],
                    ip=request.remote_addr,
                )
        except Forbidden:
            abort(403)
        except DomainError as exc:
            flash(str(exc.message), "error")
            return redirect(url_for(".details_view", id=item.id))
        g.setdefault(REVEALED, {}).update(values)
        return no_store(self.details_view())


def no_store(view_result: Any) -> Any:
    """A page with personal data in full: neither the browser nor a proxy keeps a copy."""
    response = make_response(view_result)
    response.headers["Cache-Control"] = "no-store"
    return response
