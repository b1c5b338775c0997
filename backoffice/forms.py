"""The base of the app's own forms (screens and sign-in alike)."""

from __future__ import annotations

from flask_wtf import FlaskForm

from .i18n import wtforms_translations


class AppForm(FlaskForm):
    """Base of the app's own forms: CSRF from Flask-WTF, messages in the user's language."""

    class Meta:
        def get_translations(self, form: FlaskForm) -> object:
            return wtforms_translations
