"""Notifications to whoever must act next: in the app (the bell, the inbox) and by email.

``notify`` is called by the service where the event happens (a batch submitted or decided, a
proposal submitted, a claim escalated or returned), inside that service's transaction: it
writes one ``Notification`` per recipient and, for recipients who want email, an
``OutboxMessage``. Once the transaction commits, the pending messages are queued for the task
queue (``deliver_task``); a rolled-back decision leaves nothing to send, a committed one never
loses its email (a message the queue lost is still ``pending`` in the table, and
``flask --app wsgi notify-resend`` queues it again).

Delivery retries ``MAIL_RETRIES`` times, ``NOTIFY_RETRY_DELAY`` seconds apart; the last failure
leaves the message ``dead``, listed for the administrator with a retry action. An email names
only the item's number and the office or department: never a member's name or NIK, only a link
to the notification (which opens the item for the signed-in recipient).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, g
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_mailman import EmailMessage
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import (
    Claim,
    EmailPreference,
    MemberBatch,
    Notification,
    OfficeProposal,
    OutboxMessage,
    OutboxState,
    Role,
    User,
)

from .. import tasks
from ..clock import JAKARTA, as_utc, utcnow
from ..errors import NotFound
from ..extensions import db
from ..labels import state_label
from ..transaction import after_commit
from . import users

log = logging.getLogger(__name__)

#: Where the inbox lives (views/notifications.py serves it): an email links to
#: ``INBOX_PATH + "open/?id=<id>"``, which marks the notification read and opens the item.
INBOX_PATH = "/admin/notifications/"
ERROR_MAX = 500


@dataclass(frozen=True)
class Kind:
    subject: Any  # lazy text, formatted with the notification's params
    body: Any


KINDS: dict[str, Kind] = {
    "batch_submitted": Kind(
        _l("Member batch no. %(id)s waits for your decision"),
        _l(
            "Member batch no. %(id)s of %(department)s (%(rows)s rows) was submitted to the "
            "registration queue of %(office)s."
        ),
    ),
    "batch_decided": Kind(
        _l("Your member batch no. %(id)s was decided"),
        _l(
            "Member batch no. %(id)s was decided by %(office)s: %(accepted)s rows accepted, "
            "%(rejected)s rejected (%(state)s)."
        ),
    ),
    "proposal_submitted": Kind(
        _l("Office proposal no. %(id)s waits for your decision"),
        _l("The proposal no. %(id)s of a new office %(name)s waits for your decision."),
    ),
    "claim_escalated": Kind(
        _l("Claim no. %(id)s waits for your approval"),
        _l(
            "Claim no. %(id)s of %(office)s is above the previous level's approval limit "
            "and waits for your decision."
        ),
    ),
    "claim_returned": Kind(
        _l("Claim no. %(id)s was returned for correction"),
        _l("Claim no. %(id)s was returned to you for correction. Open it to read the reason."),
    ),
}


def _text(template: Any, params: dict[str, Any], locale: str) -> str:
    with force_locale(locale or "id"):
        values = dict(params)
        if "state" in values:
            values["state"] = str(state_label(values["state"]))
        return str(template) % values


def subject_of(notification: Notification, locale: str) -> str:
    return _text(KINDS[notification.kind].subject, notification.params, locale)


def body_of(notification: Notification, locale: str) -> str:
    return _text(KINDS[notification.kind].body, notification.params, locale)


# --------------------------------------------------------------------------------------------
# Writing notifications (in the caller's transaction)
# --------------------------------------------------------------------------------------------


def _active(session: Session, *where: Any) -> list[User]:
    return list(session.scalars(select(User).where(User.active.is_(True), *where)))


def notify(
    session: Session,
    users: Iterable[User],
    kind: str,
    *,
    record_type: str,
    record_id: int,
    endpoint: str,
    params: dict[str, Any],
    exclude: User | None = None,
) -> list[Notification]:
    """Tell ``users`` (but not ``exclude``, who did it) that ``kind`` happened to the item.
    Flushed; the emails are queued once the caller commits."""
    assert kind in KINDS, kind
    made: list[Notification] = []
    messages: list[OutboxMessage] = []
    for user in {u.id: u for u in users}.values():
        if exclude is not None and user.id == exclude.id:
            continue
        notification = Notification(
            user_id=user.id,
            kind=kind,
            record_type=record_type,
            record_id=record_id,
            endpoint=endpoint,
            params={"id": record_id, **params},
        )
        session.add(notification)
        made.append(notification)
        preference = user.email_notifications or EmailPreference.IMMEDIATE
        if user.email and preference != EmailPreference.NONE:
            state = (
                OutboxState.HELD if preference == EmailPreference.DIGEST else OutboxState.PENDING
            )
            messages.append(
                OutboxMessage(user_id=user.id, notification=notification, state=state, attempts=0)
            )
    session.add_all(messages)
    session.flush()
    pending = [m.id for m in messages if m.state is OutboxState.PENDING]
    if pending:
        after_commit(session, lambda: queue(pending))
    return made


def batch_submitted(session: Session, actor: User, batch: MemberBatch) -> None:
    """The office's clerks: a batch reached their registration queue."""
    clerks = _active(session, User.role == Role.BRANCH_CLERK, User.office_id == batch.office_id)
    notify(
        session,
        clerks,
        "batch_submitted",
        record_type="member_batch",
        record_id=batch.id,
        endpoint="registration_queue",
        params={
            "department": batch.department.name,
            "office": batch.office.name,
            "rows": batch.valid_count,
        },
        exclude=actor,
    )


def batch_decided(session: Session, actor: User, batch: MemberBatch) -> None:
    """The liaison who submitted the batch: every row of it is decided."""
    liaison = session.get(User, batch.submitted_by_id) if batch.submitted_by_id else None
    if liaison is None or not liaison.active:
        return
    notify(
        session,
        [liaison],
        "batch_decided",
        record_type="member_batch",
        record_id=batch.id,
        endpoint="batch",
        params={
            "office": batch.office.name,
            "accepted": batch.accepted_count,
            "rejected": batch.rejected_count,
            "state": batch.state.value,
        },
        exclude=actor,
    )


def proposal_submitted(session: Session, actor: User, proposal: OfficeProposal) -> None:
    """The region's heads: a proposal reached their approval queue."""
    heads = _active(session, User.role == Role.REGIONAL_HEAD, User.region_id == proposal.region_id)
    notify(
        session,
        heads,
        "proposal_submitted",
        record_type="office_proposal",
        record_id=proposal.id,
        endpoint="proposal_queue",
        params={"name": proposal.name},
        exclude=actor,
    )


def claim_escalated(session: Session, actor: User, claim: Claim) -> None:
    """The next level's approvers (the branch head, then the regional head): a claim above
    the previous level's limit reached their queue."""
    level = claim.approval_level
    if level is Role.BRANCH_HEAD:
        where = (User.role == level, User.office_id == claim.office_id)
    elif level is Role.REGIONAL_HEAD:
        where = (User.role == level, User.region_id == claim.region_id)
    else:
        return
    notify(
        session,
        _active(session, *where),
        "claim_escalated",
        record_type="claim",
        record_id=claim.id,
        endpoint="claim_queue",
        params={"office": claim.office.name},
        exclude=actor,
    )


def claim_returned(session: Session, actor: User, claim: Claim) -> None:
    """The clerk who registered the claim: it came back for correction."""
    clerk = session.get(User, claim.registered_by_id)
    if clerk is None or not clerk.active:
        return
    notify(
        session,
        [clerk],
        "claim_returned",
        record_type="claim",
        record_id=claim.id,
        endpoint="claim",
        params={},
        exclude=actor,
    )


# --------------------------------------------------------------------------------------------
# The inbox (scoped to the recipient)
# --------------------------------------------------------------------------------------------


def unread_count(session: Session, user: User) -> int:
    """The bell: one count on ``ix_notification_user_read``."""
    return session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def inbox(session: Session, user: User, *, limit: int = 50, offset: int = 0) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def own(session: Session, user: User, notification_id: int) -> Notification:
    """The user's own notification; another user's is not found (never told it exists)."""
    found = session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user.id
        )
    )
    if found is None:
        raise NotFound(_l("The notification was not found."))
    return found


def mark_read(session: Session, user: User, notification_id: int) -> Notification:
    notification = own(session, user, notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification


def mark_all_read(session: Session, user: User) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def set_preference(
    session: Session, user: User, preference: str, actor: User, *, ip: str | None = None
) -> None:
    """A user's own choice (or the administrator's for them), audited."""
    value = EmailPreference(preference).value
    before = user.email_notifications or EmailPreference.IMMEDIATE.value
    if before == value:
        return
    user.email_notifications = value
    session.flush()
    users.audit_user_event(
        session,
        "email_preference",
        user,
        actor=actor,
        ip=ip,
        details={"from": before, "to": value},
    )


# --------------------------------------------------------------------------------------------
# Delivery (the task queue)
# --------------------------------------------------------------------------------------------


def link_of(notification: Notification) -> str:
    base = current_app.config.get("BACKOFFICE_URL", "").rstrip("/")
    return f"{base}{INBOX_PATH}open/?id={notification.id}"


def _email(user: User, subject: str, body: str) -> EmailMessage:
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=current_app.config.get("MAIL_DEFAULT_SENDER"),
        to=[user.email],
    )


def compose(message: OutboxMessage) -> EmailMessage:
    """The email of one notification, in the recipient's language: what happened and a link."""
    user, notification = message.user, message.notification
    locale = user.locale or "id"
    with force_locale(locale):
        body = "\n\n".join(
            [
                gettext("Hello %(name)s,", name=user.full_name),
                body_of(notification, locale),
                gettext("Open it in the back-office: %(link)s", link=link_of(notification)),
                gettext("You can choose how you are notified on your account page."),
            ]
        )
        return _email(user, subject_of(notification, locale), body)


def queue(message_ids: Iterable[int]) -> None:
    """Queue each message for delivery (after the commit that wrote it)."""
    config = current_app.config
    for message_id in message_ids:
        deliver_task(
            message_id,
            retries=config["MAIL_RETRIES"],
            retry_delay=config["NOTIFY_RETRY_DELAY"],
        )


def deliver(session: Session, message_id: int) -> bool:
    """Send one pending message (flushed); True when sent. A failure raises (the task retries)."""
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.state is not OutboxState.PENDING:
        return False
    try:
        compose(message).send()
    except Exception as exc:
        g.outbox_error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
        raise
    message.attempts += 1
    message.state = OutboxState.SENT
    message.last_attempt_at = message.sent_at = utcnow()
    session.flush()
    return True


def _delivery_failed(message_id: int, **kwargs: Any) -> None:
    """After a failed attempt (rolled back): count it; the last one leaves the message dead."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.state is not OutboxState.PENDING:
        return
    message.attempts += 1
    message.last_attempt_at = utcnow()
    message.last_error = g.pop("outbox_error", None) or "delivery failed"
    if message.attempts > current_app.config["MAIL_RETRIES"]:
        message.state = OutboxState.DEAD
        log.warning("email %s dead after %d attempts", message_id, message.attempts)


@tasks.task(on_failure=_delivery_failed, name="notification_email")
def deliver_task(message_id: int) -> None:
    deliver(db.session, message_id)


def retry(session: Session, message_ids: Iterable[int]) -> int:
    """The administrator's retry of dead messages: pending again, queued after the commit."""
    ids = list(
        session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.id.in_(list(message_ids)), OutboxMessage.state == OutboxState.DEAD
            )
        )
    )
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(state=OutboxState.PENDING, attempts=0)
            .execution_options(synchronize_session=False)
        )
        after_commit(session, lambda: queue(ids))
    return len(ids)


def resend_pending(session: Session) -> int:
    """Queue every pending message again (one lost by a queue); after the commit."""
    ids = list(
        session.scalars(select(OutboxMessage.id).where(OutboxMessage.state == OutboxState.PENDING))
    )
    if ids:
        after_commit(session, lambda: queue(ids))
    return len(ids)


# --------------------------------------------------------------------------------------------
# The daily digest
# --------------------------------------------------------------------------------------------


def send_digests(session: Session) -> int:
    """One email per user with held messages, listing them; those messages become sent.
    A user whose email fails keeps them held for the next day. Returns the emails sent."""
    user_ids = list(
        session.scalars(
            select(OutboxMessage.user_id)
            .where(OutboxMessage.state == OutboxState.HELD)
            .group_by(OutboxMessage.user_id)
        )
    )
    sent = 0
    for user_id in user_ids:
        user = session.get(User, user_id)
        held = list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.user_id == user_id, OutboxMessage.state == OutboxState.HELD)
                .order_by(OutboxMessage.id)
            )
        )
        locale = user.locale or "id"
        with force_locale(locale):
            lines = [gettext("Hello %(name)s,", name=user.full_name), ""]
            lines += [
                f"- {subject_of(m.notification, locale)}: {link_of(m.notification)}" for m in held
            ]
            email = _email(
                user,
                gettext("Your back-office notifications of the day (%(count)s)", count=len(held)),
                "\n".join(lines),
            )
        now = utcnow()
        try:
            email.send()
        except Exception:
            log.exception("daily digest of user %s not sent", user_id)
            for m in held:
                m.attempts += 1
                m.last_attempt_at = now
            continue
        for m in held:
            m.state, m.sent_at, m.last_attempt_at = OutboxState.SENT, now, now
            m.attempts += 1
        sent += 1
    session.flush()
    return sent


DIGEST_AT = (7, 0)  # 07:00 in Jakarta


def digest_at(moment: datetime) -> bool:
    local = as_utc(moment).astimezone(JAKARTA)
    return (local.hour, local.minute) == DIGEST_AT


@tasks.periodic_task(digest_at, name="notification_digest")
def digest_task() -> None:
    count = send_digests(db.session)
    log.info("daily digests: %d sent", count)
