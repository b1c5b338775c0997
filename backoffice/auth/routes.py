from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from backoffice.extensions import db
from backoffice.services import users as user_service
from models.base import utcnow

from .forms import LanguageForm, LoginForm, LogoutForm

bp = Blueprint("auth", __name__)


def safe_next(target: str | None, default: str | None = None) -> str:
    """Only local paths: ``/admin/...``, never ``//host`` or ``http://host``."""
    default = default or url_for("admin.index")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


@bp.route("/")
def home():
    return redirect(url_for("admin.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data))
    if form.validate_on_submit():
        user = user_service.authenticate(db.session, form.username.data, form.password.data)
        if user is None:
            flash(gettext("Wrong username or password, or the account is inactive."), "error")
        else:
            # A fresh session at login: nothing from before the login survives (no fixation).
            locale = session.get("locale")
            session.clear()
            if locale and not user.locale:
                user.locale = locale
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data))
    return render_template("auth/login.html", form=form), (
        401 if form.errors or request.method == "POST" else 200
    )


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        user = db.session.get(type(current_user._get_current_object()), current_user.id)
        user_service.end_sessions(user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def language():
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    locale = form.locale.data
    if locale not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    return redirect(
        safe_next(form.next.data or request.referrer and urlsplit(request.referrer).path)
    )
