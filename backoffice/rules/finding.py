"""What a rule has to say to a user, before it is put in the user's words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple


class Finding(NamedTuple):
    """A stable ``code`` and the figures a message states (``params``): the caller (a service,
    the importer) turns it into a message in the user's language."""

    code: str
    params: Mapping[str, Any] = {}
