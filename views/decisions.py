"""The ``decide`` route of the workflow screens: one POST takes a decision through the screen's
service, and the user sees what happened."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from backoffice.errors import DomainError, Forbidden, NotFound
from backoffice.extensions import db
from backoffice.security import safe_next

from .saving import conflict_message


class DecisionRoute:
    """The ``decide`` route of a workflow screen (a POST of the item's id, the action, its
    version, a comment...). The screen takes the decision through its service; a refusal is
    flashed and the user sent back (403 when they may never take it, 404 out of scope), a
    decision is flashed and the user sent on."""

    workflow: Any
    #: The screen's work queue: a decision taken there that takes the item out of the queue
    #: sends the user back to the queue rather than to the item.
    queue_endpoint: str | None = None

    def still_in_queue(self, item: Any) -> bool:
        return True

    def take_decision(self, item_id: int | None, action: str) -> Any:
        """Decide through the service (committed); the item as it is now."""
        raise NotImplementedError

    def decision_message(self, item: Any, action: str) -> str:
        raise NotImplementedError

    def page_after_decision(self, item: Any, back: str) -> str:
        if self.queue_endpoint:
            queue = url_for(self.queue_endpoint)
            if back.startswith(queue) and not self.still_in_queue(item):
                return queue
        return back

    def page_after_refusal(self, back: str, item_id: int | None) -> str:
        return back

    @expose("/decide/", methods=("POST",))
    def decide(self) -> Any:
        if not any(current_user.role in t.roles for t in self.workflow.transitions.values()):
            abort(403)
        item_id = request.form.get("id", type=int)
        action = request.form.get("action", "")
        back = safe_next(request.form.get("next"), default=url_for(".details_view", id=item_id))
        try:
            item = self.take_decision(item_id, action)
        except NotFound:
            abort(404)
        except Forbidden as exc:
            flash(str(exc.message), "error")
            abort(403)
        except DomainError as exc:
            flash(str(exc.message), "error")
            return redirect(self.page_after_refusal(back, item_id))
        except IntegrityError:
            # A unique rule met at the very moment of saving (e.g. the same transfer reference
            # recorded for another claim at once): nothing was saved.
            db.session.rollback()
            flash(conflict_message(), "error")
            return redirect(self.page_after_refusal(back, item_id))
        flash(self.decision_message(item, action), "success")
        return redirect(self.page_after_decision(item, back))
