"""Check that the Indonesian (``id``) catalogs cover the installed libraries.

Flask-Admin and WTForms ship no Indonesian catalog, so the back-office keeps
its own in ``backoffice/translations/id/LC_MESSAGES``:

* ``admin.po``              -- domain ``admin`` (Flask-Admin templates and code)
* ``wtforms.po``            -- domain ``wtforms`` (validator messages; also the
  messages Flask-Admin and Flask-WTF look up through ``field.gettext()``,
  which go to the WTForms domain)
* ``messages-flaskwtf.po``  -- Flask-WTF CSRF errors (plain strings in
  ``flask_wtf/csrf.py``), merged by the build into the app's ``messages``
  catalog

The msgids are extracted from the *installed* packages with Babel, so after a
Flask-Admin / WTForms / Flask-WTF upgrade this script lists what is new.

Usage::

    python backoffice/translations/check_catalogs.py

Exit status is 1 when a msgid is missing, untranslated (empty), fuzzy, or has
the wrong singular/plural shape in a catalog.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.extract import extract, extract_from_dir
from babel.messages.pofile import read_po
from flask_admin.contrib.fileadmin import BaseFileAdmin
from flask_admin.model import BaseModelView

#: A msgid as returned by extraction: a string, or ``(singular, plural)``.
MsgId = str | tuple[str, ...]

HERE = Path(__file__).resolve().parent
LOCALE = "id"
PO_DIR = HERE / LOCALE / "LC_MESSAGES"
ADMIN_PO = PO_DIR / "admin.po"
WTFORMS_PO = PO_DIR / "wtforms.po"
FLASKWTF_PO = PO_DIR / "messages-flaskwtf.po"

#: Translation functions used by Flask-Admin (Python code and templates).
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_gettext": None,
    "_ngettext": (1, 2),
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_": None,
    "_lazy": None,
}
METHOD_MAP = [
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
]
OPTIONS_MAP = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}

#: Directories of the installed packages that are not part of the product.
SKIP_DIRS = frozenset({"tests", "testing"})


def package_dir(package: str) -> Path:
    """Directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _keep_dir(dirpath: str) -> bool:
    name = os.path.basename(dirpath)
    return not (name.startswith((".", "_")) or name in SKIP_DIRS)


def _add(found: dict[str, MsgId], msgid: MsgId | None) -> None:
    """Record a msgid, keyed by its singular; a plural use wins."""
    if not msgid:
        return
    if isinstance(msgid, (tuple, list)):
        msgid = tuple(msgid)
        if not msgid[0]:
            return
        found[msgid[0]] = msgid
    else:
        found.setdefault(msgid, msgid)


def extract_package(package: str) -> dict[str, MsgId]:
    """Msgids used by an installed package (``.py`` files and templates).

    Returns ``{singular: msgid}`` in source order, where ``msgid`` is a string
    or a ``(singular, plural)`` tuple.
    """
    found: dict[str, MsgId] = {}
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        package_dir(package),
        METHOD_MAP,
        OPTIONS_MAP,
        keywords=KEYWORDS,
        directory_filter=_keep_dir,
    ):
        _add(found, message)
    return found


def _literal(arg: ast.expr, literals: dict[str, str]) -> str | None:
    """The string an argument stands for: a literal, or a name bound to one."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.Name):
        return literals.get(arg.id)
    return None


def _attribute_gettext_calls(path: Path) -> Iterable[MsgId]:
    """Msgids passed to ``<obj>.gettext()`` / ``<obj>.ngettext()`` in a file.

    In WTForms fields and validators ``field.gettext`` / ``self.gettext`` use
    the form's translations, i.e. the ``wtforms`` domain. A plain name argument
    is resolved when it is assigned a literal string in the same function.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for scope in scopes:
        literals: dict[str, str] = {}
        for node in ast.walk(scope):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        literals[target.id] = node.value.value

        for node in ast.walk(scope):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr == "gettext" and node.args:
                msgid = _literal(node.args[0], literals)
                if msgid:
                    yield msgid
            elif node.func.attr == "ngettext" and len(node.args) >= 2:
                singular = _literal(node.args[0], literals)
                plural = _literal(node.args[1], literals)
                if singular and plural:
                    yield (singular, plural)


def admin_source_msgids() -> list[MsgId]:
    """Every msgid Flask-Admin looks up in the ``admin`` domain."""
    found = extract_package("flask_admin")
    for msgid in admin_runtime_msgids():
        _add(found, msgid)
    return list(found.values())


def admin_runtime_msgids() -> list[MsgId]:
    """Msgids Flask-Admin builds at runtime, which extraction cannot see.

    * the page-size menu (``model/layout.html``) calls
      ``_ngettext('{} item'.format(option), '{} items'.format(option), option)``
      for every ``page_size_options`` value;
    * the file admin list (``file/list.html``) calls
      ``_gettext(admin_view.column_label(column))``.
    """
    msgids: list[MsgId] = [
        (f"{size} item", f"{size} items") for size in BaseModelView.page_size_options
    ]
    msgids.extend(str(label) for label in BaseFileAdmin.column_labels.values())
    return msgids


def wtforms_source_msgids() -> list[MsgId]:
    """Every msgid looked up in the ``wtforms`` domain.

    That is WTForms itself, plus Flask-Admin's ``field.gettext()`` calls and
    Flask-WTF's file validators (both use the form's WTForms translations).
    """
    found = extract_package("wtforms")
    admin_dir = package_dir("flask_admin")
    for dirpath, dirnames, filenames in os.walk(admin_dir):
        dirnames[:] = sorted(d for d in dirnames if _keep_dir(d))
        for filename in sorted(filenames):
            if filename.endswith(".py"):
                for msgid in _attribute_gettext_calls(Path(dirpath) / filename):
                    _add(found, msgid)
    for msgid in extract_package("flask_wtf").values():
        _add(found, msgid)
    return list(found.values())


def flaskwtf_source_msgids() -> list[MsgId]:
    """User-visible CSRF error strings of Flask-WTF (not wrapped in gettext).

    They are the literal arguments of ``ValidationError(...)`` and
    ``self._error_response(...)`` in ``flask_wtf/csrf.py``; they end up in
    form errors and in the ``CSRFError`` (HTTP 400) description.
    """
    keywords = {"ValidationError": None, "_error_response": None}
    found: dict[str, MsgId] = {}
    with open(package_dir("flask_wtf") / "csrf.py", "rb") as fileobj:
        for _lineno, message, _comments, _context in extract("python", fileobj, keywords):
            _add(found, message)
    return list(found.values())


def _translated(string: str | tuple[str, ...] | None, num_plurals: int) -> bool:
    if isinstance(string, (tuple, list)):
        return len(string) == num_plurals and all(s and s.strip() for s in string)
    return bool(string and string.strip())


def missing_translations(
    domain_po_path: str | os.PathLike[str], source_msgids: Iterable[MsgId]
) -> list[str]:
    """Msgids of ``source_msgids`` without a usable translation in a ``.po`` file.

    A msgid counts as missing when it is absent, fuzzy (not compiled), has an
    empty translation (or an empty plural form), or when the source passes a
    ``(singular, plural)`` tuple and the catalog entry is not a plural entry
    (or the reverse) -- gettext would then fall back to English.

    Returns the singular msgids, in the order given, without duplicates.
    """
    with open(domain_po_path, "rb") as fileobj:
        catalog = read_po(fileobj)

    missing: list[str] = []
    seen: set[str] = set()
    for msgid in source_msgids:
        is_plural = isinstance(msgid, (tuple, list))
        key = msgid[0] if is_plural else msgid
        if not key or key in seen:
            continue
        seen.add(key)
        message = catalog.get(key)
        if (
            message is None
            or message.fuzzy
            or not _translated(message.string, catalog.num_plurals)
            or is_plural != message.pluralizable
        ):
            missing.append(key)
    return missing


def catalogs_to_check() -> list[tuple[Path, list[MsgId]]]:
    return [
        (ADMIN_PO, admin_source_msgids()),
        (WTFORMS_PO, wtforms_source_msgids()),
        (FLASKWTF_PO, flaskwtf_source_msgids()),
    ]


def main(argv: list[str] | None = None) -> int:
    status = 0
    for po_path, msgids in catalogs_to_check():
        name = po_path.relative_to(HERE)
        if not po_path.exists():
            print(f"{name}: file not found")
            status = 1
            continue
        missing = missing_translations(po_path, msgids)
        print(f"{name}: {len(msgids)} msgids checked, {len(missing)} missing")
        for msgid in missing:
            print(f"  missing: {msgid!r}")
        if missing:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
