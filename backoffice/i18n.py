"""Language: Bahasa Indonesia by default, English per user; Indonesian number and date formats."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_request_context, request, session
from flask_babel import Domain
from flask_login import current_user
from wtforms.i18n import messages_path

from .clock import JAKARTA, as_utc

TRANSLATIONS_DIR = Path(__file__).parent / "translations"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]  # CLI and background work speak Indonesian by default
    if request.path.startswith("/api/"):  # the API reads no cookie: its caller's header
        return request.accept_languages.best_match(languages) or languages[0]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def _group_thousands(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def format_rupiah(amount: int | Decimal | float | None) -> str:
    """``Rp16.800``; cents only when there are any (``Rp1.234,50``)."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    sign = "-" if amount < 0 else ""
    amount = abs(amount).quantize(Decimal("0.01"))
    whole = int(amount)
    cents = int((amount - whole) * 100)
    text = f"{sign}Rp{_group_thousands(whole)}"
    return f"{text},{cents:02d}" if cents else text


def format_number(value: int | None) -> str:
    return "" if value is None else _group_thousands(int(value))


def format_date(value: date | datetime | None) -> str:
    """``22/11/2026`` in both languages: it is how Indonesian offices write dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = as_utc(value).astimezone(JAKARTA)
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every locale's catalogs to .mo files.

    ``messages.po`` and every ``messages-<area>.po`` beside it are merged into one
    ``messages.mo`` (areas keep their own files so parallel work does not collide);
    other domains (``admin``, ``wtforms``) compile on their own.
    """
    written: list[Path] = []
    for lc_dir in sorted(directory.glob("*/LC_MESSAGES")):
        domains: dict[str, list[Path]] = {}
        for po in sorted(lc_dir.glob("*.po")):
            domain = po.stem.split("-", 1)[0]
            domains.setdefault(domain, []).append(po)
        for domain, sources in domains.items():
            merged = None
            for source in sources:
                with source.open("rb") as fh:
                    catalog = read_po(fh, locale=lc_dir.parent.name)
                if merged is None:
                    merged = catalog
                    continue
                for message in catalog:
                    if message.id and message.id not in merged:
                        merged[message.id] = message
            target = lc_dir / f"{domain}.mo"
            with target.open("wb") as fh:
                write_mo(fh, merged)
            written.append(target)
    return written


class _WtformsTranslations:
    """WTForms' validator messages in the user's language (WTForms ships no Indonesian)."""

    def __init__(self) -> None:
        # Ours last: merged catalogs keep the last one's plural rule and override earlier ones.
        self.domain = Domain([messages_path(), str(TRANSLATIONS_DIR)], domain="wtforms")

    def gettext(self, string: str) -> str:
        return self.domain.get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.domain.get_translations().ungettext(singular, plural, n)


wtforms_translations = _WtformsTranslations()
