"""Login, logout and the language switch."""

from .routes import bp

__all__ = ["bp"]
