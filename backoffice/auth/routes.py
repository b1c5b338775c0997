from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user

from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.security import Refusal, login_throttle, safe_next, wait_message
from backoffice.services import notifications
from backoffice.services import users as user_service
from models import User
from models.base import utcnow

from .forms import (
    ChangePasswordForm,
    LanguageForm,
    LoginForm,
    LogoutForm,
    NotificationSettingsForm,
)

bp = Blueprint("auth", __name__)


@bp.route("/")
def home():
    return redirect(url_for("admin.index"))


def _start_session(user: User, *, remember: bool) -> None:
    """A fresh session for this user: nothing from before survives (no session fixation)."""
    locale = session.get("locale")
    session.clear()
    if locale and not user.locale:
        user.locale = locale
    login_user(user, remember=remember)


def _throttled(refusal: Refusal) -> Any:
    """The 429 page; the first refusal of a period is audited."""
    if login_throttle().first_refusal(refusal):
        user = user_service.find_user(db.session, refusal.username)
        user_service.audit_user_event(
            db.session,
            "login_throttled",
            user,
            ip=refusal.ip,
            details={
                "username": refusal.username[:64],
                "by": list(refusal.by),
                "retry_after_seconds": refusal.seconds,
            },
        )
        db.session.commit()
    response = make_response(
        render_template("error.html", code=429, message=wait_message(refusal.seconds)), 429
    )
    response.headers["Retry-After"] = str(refusal.seconds)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data))
    if form.validate_on_submit():
        username, ip = form.username.data, request.remote_addr or ""
        throttle = login_throttle()
        # Refused while throttled, even with the right password: guessing stays pointless.
        refusal = throttle.check(username, ip)
        if refusal is not None:
            return _throttled(refusal)
        user = user_service.authenticate(db.session, username, form.password.data)
        if user is None:
            throttle.failed(username, ip)
            known = user_service.find_user(db.session, username)
            user_service.audit_user_event(
                db.session,
                "login_failed",
                known,
                ip=ip,
                details=None if known else {"username": username[:64]},
            )
            db.session.commit()
            refusal = throttle.check(username, ip)
            if refusal is not None:
                return _throttled(refusal)
            flash(gettext("Wrong username or password, or the account is inactive."), "error")
        else:
            throttle.succeeded(username)
            user.last_login_at = utcnow()
            _start_session(user, remember=form.remember.data)
            user_service.audit_user_event(db.session, "login", user, actor=user, ip=ip)
            db.session.commit()
            if user.must_change_password:  # the page says why
                return redirect(url_for("auth.change_password", next=form.next.data or None))
            return redirect(safe_next(form.next.data))
    return render_template("auth/login.html", form=form), (
        401 if form.errors or request.method == "POST" else 200
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Every signed-in user changes their own password here (current one, then the new twice)."""
    user = db.session.get(User, current_user.id)
    form = ChangePasswordForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        ip = request.remote_addr or ""
        throttle = login_throttle()
        # Wrong current passwords count like failed sign-ins: a stolen session cannot guess it.
        refusal = throttle.check(user.username, ip)
        if refusal is not None:
            return _throttled(refusal)
        try:
            user_service.change_own_password(
                db.session, user, form.current_password.data, form.new_password.data, ip=ip
            )
        except DomainError as exc:
            db.session.rollback()
            if exc.field == "current_password":
                throttle.failed(user.username, ip)
            field = form[exc.field] if exc.field in form else form.new_password
            field.errors = [*field.errors, str(exc.message)]
        else:
            remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            # The new session version ends every other session; this one starts afresh.
            _start_session(user, remember=remember in request.cookies)
            db.session.commit()
            flash(
                gettext("Your password was changed. Your other sessions were signed out."),
                "success",
            )
            return redirect(safe_next(form.next.data))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "auth/change_password.html",
        form=form,
        settings_form=NotificationSettingsForm(
            formdata=None, email_notifications=user.email_notifications
        ),
        forced=user.must_change_password,
        min_length=user_service.MIN_PASSWORD_LENGTH,
    ), status


@bp.route("/account/notifications", methods=["POST"])
@login_required
def notification_settings():
    """Each user chooses how they get their notifications by email (on the account page)."""
    form = NotificationSettingsForm()
    if not form.validate_on_submit():
        abort(400)
    user = db.session.get(User, current_user.id)
    notifications.set_preference(
        db.session, user, form.email_notifications.data, user, ip=request.remote_addr
    )
    db.session.commit()
    flash(gettext("Your notification settings were saved."), "success")
    return redirect(url_for("auth.change_password"))


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        user = db.session.get(User, current_user.id)
        user_service.end_sessions(user)
        user_service.audit_user_event(
            db.session, "logout", user, actor=user, ip=request.remote_addr
        )
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
