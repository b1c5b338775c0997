"""The Indonesian Flask-Admin / WTForms catalogs are complete and compile.

No database and no Flask app are needed: the msgids are extracted from the
installed packages and compared with the .po files.
"""

from __future__ import annotations

import io
import re

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from backoffice.translations import check_catalogs

PO_FILES = {
    "admin": check_catalogs.ADMIN_PO,
    "wtforms": check_catalogs.WTFORMS_PO,
    "messages-flaskwtf": check_catalogs.FLASKWTF_PO,
}

# printf-style placeholders (%s, %(name)s, %d, %05.2f ...) and str.format
# fields ({}, {name}); "%%" is a literal percent sign, not a placeholder.
_PRINTF = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)
_BRACE = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")


def placeholders(text: str) -> tuple[list[str], list[str]]:
    printf = sorted(
        f"%({m['name']}){m['conv']}" if m["name"] is not None else f"%{m['conv']}"
        for m in _PRINTF.finditer(text)
        if m["conv"] != "%"
    )
    brace = sorted(_BRACE.findall(text))
    return printf, brace


def _read(domain: str):
    with open(PO_FILES[domain], "rb") as fileobj:
        return read_po(fileobj, locale="id", domain=domain)


def test_admin_catalog_is_complete():
    missing = check_catalogs.missing_translations(
        check_catalogs.ADMIN_PO, check_catalogs.admin_source_msgids()
    )
    assert missing == []


def test_wtforms_catalog_is_complete():
    msgids = check_catalogs.wtforms_source_msgids()
    missing = check_catalogs.missing_translations(check_catalogs.WTFORMS_PO, msgids)
    assert missing == []


def test_wtforms_catalog_covers_the_shipped_template():
    """Every msgid of wtforms/locale/wtforms.pot is translated."""
    pot_path = check_catalogs.package_dir("wtforms") / "locale" / "wtforms.pot"
    with open(pot_path, "rb") as fileobj:
        template = read_po(fileobj)
    msgids = [message.id for message in template if message.id]
    assert msgids
    assert check_catalogs.missing_translations(check_catalogs.WTFORMS_PO, msgids) == []


def test_flaskwtf_csrf_messages_are_translated():
    msgids = check_catalogs.flaskwtf_source_msgids()
    assert "The CSRF token is missing." in msgids
    assert check_catalogs.missing_translations(check_catalogs.FLASKWTF_PO, msgids) == []


def test_filter_operations_are_extracted():
    """Guard against an extraction that silently finds nothing."""
    msgids = {m if isinstance(m, str) else m[0] for m in check_catalogs.admin_source_msgids()}
    for msgid in (
        "equals",
        "not equal",
        "contains",
        "greater than",
        "between",
        "in list",
        "Save and Add Another",
        "There are no items in the table.",
    ):
        assert msgid in msgids


def test_missing_translations_reports_gaps(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        'msgid "Yes"\nmsgstr "Ya"\n\n'
        'msgid "No"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Maybe"\nmsgstr "Mungkin"\n\n'
        'msgid "Save"\nmsgstr "Simpan"\n',
        encoding="utf-8",
    )
    result = check_catalogs.missing_translations(
        po, ["Yes", "No", "Maybe", "Absent", ("Save", "Saves")]
    )
    assert result == ["No", "Maybe", "Absent", "Save"]


@pytest.mark.parametrize("domain", sorted(PO_FILES))
def test_catalog_compiles(domain):
    catalog = _read(domain)
    assert catalog.num_plurals == 1
    assert catalog.plural_expr == "0"
    # the checks "pybabel compile" runs (python-format, number of plural forms)
    problems = [
        (message.id, [str(error) for error in errors]) for message, errors in catalog.check()
    ]
    assert problems == []
    assert not [message.id for message in catalog if message.id and message.fuzzy]
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    assert buffer.getvalue()


@pytest.mark.parametrize("domain", sorted(PO_FILES))
def test_translations_keep_placeholders(domain):
    catalog = _read(domain)
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if len(ids) > 1:
            # one plural form: it is used for n == 1 too, so it must carry the
            # placeholders of the plural msgid (a superset of the singular's).
            expected = placeholders(ids[1])
            assert set(placeholders(ids[0])[0]) <= set(expected[0]), ids
        else:
            expected = placeholders(ids[0])
        for string in strings:
            if placeholders(string) != expected:
                wrong.append((ids[0], string))
    assert wrong == []
