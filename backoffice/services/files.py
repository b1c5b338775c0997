"""What uploads of every kind share."""

from __future__ import annotations

from pathlib import Path


def clean_filename(filename: str, fallback: str = "upload") -> str:
    """The name of an uploaded file as shown and stored: no folders, nothing unprintable."""
    name = Path((filename or "").replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return (name or fallback)[:255]
