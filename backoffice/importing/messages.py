"""Lazy, translatable messages that stay escaped in HTML.

Messages are flask_babel lazy strings (English msgid, ``%(name)s``
placeholders, translated when rendered). flask_babel's LazyString has an
``__html__`` returning its raw text, which Jinja and MarkupSafe take as
markup that is already safe (python-babel/flask-babel#121 and #224). These
messages quote what the uploader typed (a name like ``<script>...``), so
rendering ``{{ problem.message }}`` would inject it. ``Message`` escapes
instead; ``str()`` still gives the plain text for XLSX and CSV output.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel.speaklater import LazyString
from markupsafe import escape


class Message(LazyString):
    """A flask_babel LazyString whose HTML form is escaped text."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def lazy_message(string: str, **variables: Any) -> Message:
    """Like flask_babel.lazy_gettext; imported as ``_l`` so extraction finds it."""
    return Message(gettext, string, **variables)
