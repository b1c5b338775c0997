"""Add Indonesian translations to a catalog: ``python tools/po_add.py FILE.po < pairs.tsv``.

Each input line is ``English<TAB>Indonesian``. Existing entries are updated, the file stays sorted
by first appearance. Used by developers when they add messages; the app reads the .po files.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def main() -> None:
    path = Path(sys.argv[1])
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale="id")
    else:
        catalog = Catalog(locale="id", project="bpjs-backoffice", charset="utf-8")
        catalog.language_team = "BPJS back-office"
    for line in sys.stdin.read().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, indonesian = line.split("\t", 1)
        if english in catalog:
            catalog[english].string = indonesian
        else:
            catalog.add(english, indonesian)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=False)


if __name__ == "__main__":
    main()
