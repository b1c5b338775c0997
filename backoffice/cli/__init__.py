"""Command-line operations (``flask --app wsgi ...``), one module per group of commands.

Each module declares its commands beside the code they run and adds them to the app in its
``init_app``; ``init_app`` here calls them all. A command is thin: it reads its arguments, calls
the same services as the screens, commits once and prints the outcome.
"""

from __future__ import annotations

from flask import Flask

from . import audit, batches, coverage, membership, notifications, seed, users

GROUPS = (audit, batches, coverage, membership, notifications, seed, users)


def init_app(app: Flask) -> None:
    for group in GROUPS:
        group.init_app(app)
