"""The inbox of every signed-in user (the bell opens it) and the administrator's outbox of
emails that could not be sent, with a retry."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.forms import AppForm
from backoffice.services import notifications as service
from backoffice.transaction import unit_of_work
from models import OutboxMessage, OutboxState, Role

from .base import deny_access

PAGE = 50
STATE_NAMES = {
    OutboxState.DEAD.value: _l("Failed (dead)"),
    OutboxState.PENDING.value: _l("Waiting to be sent"),
    OutboxState.HELD.value: _l("Held for the daily digest"),
    OutboxState.SENT.value: _l("Sent"),
}


class PostForm(AppForm):
    """A form of one button: its CSRF token."""


class InboxView(BaseView):
    """Each user's own notifications; another user's is 404."""

    def is_visible(self) -> bool:
        return False  # the bell in the navbar opens it

    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return deny_access()

    @expose("/")
    def index(self) -> Any:
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        items = service.inbox(db.session, current_user, limit=PAGE + 1, offset=(page - 1) * PAGE)
        return self.render(
            "admin/notifications.html",
            items=items[:PAGE],
            more=len(items) > PAGE,
            page=page,
            form=PostForm(),
            subject_of=service.subject_of,
            body_of=service.body_of,
            locale=current_user.locale or "id",
        )

    @expose("/open/")
    def open(self) -> Any:
        """Mark read and go to the item (the link of every email: ``open/?id=N``)."""
        notification_id = request.args.get("id", type=int)
        if notification_id is None:
            abort(404)
        try:
            with unit_of_work(db.session):
                notification = service.mark_read(db.session, current_user, notification_id)
        except NotFound:
            abort(404)
        return redirect(url_for(f"{notification.endpoint}.details_view", id=notification.record_id))

    @expose("/read/", methods=("POST",))
    def read(self) -> Any:
        if not PostForm().validate_on_submit():
            abort(400)
        notification_id = request.form.get("id", type=int)
        if notification_id is None:
            abort(404)
        try:
            with unit_of_work(db.session):
                service.mark_read(db.session, current_user, notification_id)
        except NotFound:
            abort(404)
        return redirect(url_for(".index"))

    @expose("/read-all", methods=("POST",))
    def read_all(self) -> Any:
        if not PostForm().validate_on_submit():
            abort(400)
        with unit_of_work(db.session):
            count = service.mark_all_read(db.session, current_user)
        flash(gettext("Notifications marked read: %(num)s.", num=count), "success")
        return redirect(url_for(".index"))


class OutboxView(BaseView):
    """The administrator's list of emails not sent (dead after every retry, or still
    waiting), with a retry of the dead ones."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.role is Role.ADMIN

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return deny_access()

    @expose("/")
    def index(self) -> Any:
        state = request.args.get("state", OutboxState.DEAD.value)
        if state not in {s.value for s in OutboxState}:
            abort(400)
        messages = list(
            db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.state == OutboxState(state))
                .order_by(OutboxMessage.id.desc())
                .limit(200)
            )
        )
        return self.render(
            "admin/outbox.html",
            messages=messages,
            state=state,
            states=STATE_NAMES,
            form=PostForm(),
            subject_of=service.subject_of,
        )

    @expose("/retry", methods=("POST",))
    def retry(self) -> Any:
        if not PostForm().validate_on_submit():
            abort(400)
        ids = [int(v) for v in request.form.getlist("id") if v.isdigit()]
        with unit_of_work(db.session):
            count = service.retry(db.session, ids)
        flash(gettext("Emails queued again: %(num)s.", num=count), "success")
        return redirect(url_for(".index"))
