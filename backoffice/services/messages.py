"""Messages stored in the database stay translatable: a msgid and its parameters, translated
again when shown (row problems of member batches, a claim's benefit breakdown)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..importing import Message
from ..importing.messages import lazy_message


def message_record(message: Any) -> dict[str, Any]:
    """A lazy message as JSON: its msgid and parameters, translated again when shown."""
    args = getattr(message, "_args", None)
    if args:
        params = {
            k: (v if isinstance(v, int | float) else str(v))
            for k, v in getattr(message, "_kwargs", {}).items()
        }
        return {"msgid": args[0], "params": params}
    return {"msgid": str(message), "params": {}}


def stored_message(record: Mapping[str, Any]) -> Message:
    """The message of ``message_record`` in the current user's language, escaped in HTML."""
    return lazy_message(record["msgid"], **(record.get("params") or {}))


__all__ = ["message_record", "stored_message"]
