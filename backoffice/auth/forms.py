from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from backoffice.forms import AppForm


class LoginForm(AppForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in"))
    next = HiddenField()


class LanguageForm(AppForm):
    locale = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class LogoutForm(AppForm):
    pass


class ChangePasswordForm(AppForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=1000)]
    )
    # The length rules are the password policy's (services/users.py), with its messages.
    new_password = PasswordField(_l("New password"), validators=[DataRequired()])
    new_password_confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The passwords differ.")),
        ],
    )
    next = HiddenField()


class NotificationSettingsForm(AppForm):
    """How the user wants their notifications by email (models.EmailPreference)."""

    email_notifications = SelectField(
        _l("Email notifications"),
        choices=[
            ("immediate", _l("Immediately")),
            ("digest", _l("Once a day (digest)")),
            ("none", _l("None (in the app only)")),
        ],
        validators=[DataRequired()],
    )
