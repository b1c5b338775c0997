"""Uploaded spreadsheets made to cost gigabytes or minutes are refused as a whole, early.

The adversarial review found a 205 KB XLSX with one 200 MB cell that took 1.5 GB to read, and
a 917 KB one with 8 million cells in one row that took 202 s in one request. Each test below
reproduces one of them (smaller where the size makes no difference to the rule) and checks the
refusal: one message, a stable code, and nothing handed out as rows.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask_babel import Babel

from backoffice.importing import FileRefused, read_table
from backoffice.importing.reader import DEFAULT_LIMITS, ReadLimits
from bench import hostile_files as hostile

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "backoffice" / "translations"  # compiled by `make translations`


def refusal(data: bytes, **kwargs) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        with read_table(data, "upload.xlsx", **kwargs) as table:
            list(table.rows())
    return caught.value


def test_a_cell_longer_than_a_spreadsheet_cell_is_refused_without_reading_it_whole():
    # 64 MB of text in one inline cell: the scan stops after Excel's 32,767 characters.
    refused = refusal(hostile.one_huge_cell(64 * 1024 * 1024))
    assert refused.code == "cell_too_long"
    assert "32.767" in str(refused.message)
    assert "Row 2" in str(refused.message)


def test_a_long_shared_string_is_refused_before_openpyxl_loads_the_strings():
    refused = refusal(hostile.one_huge_shared_string(40_000))
    assert refused.code == "cell_too_long"


def test_eight_million_cells_in_one_row_are_refused_at_the_column_limit():
    data = hostile.one_wide_row(8_000_000)
    assert len(data) < 1024 * 1024  # under 1 MB on disk, as found
    refused = refusal(data)
    assert refused.code == "too_many_columns"
    assert "Row 2" in str(refused.message)
    assert str(DEFAULT_LIMITS.max_columns) in str(refused.message)


def test_a_sheet_with_more_cells_than_the_limit_is_refused():
    refused = refusal(hostile.many_rows(50, 10), limits=ReadLimits(max_cells=200))
    assert refused.code == "too_many_cells"


def test_a_file_within_the_limits_still_reads():
    data = hostile.many_rows(30, 6)
    with read_table(data, "ok.xlsx") as table:
        rows = list(table.rows())
    assert len(rows) == 30
    assert rows[0].number == 2


def test_reading_past_the_time_budget_is_refused():
    # The checks of the file pass within the budget; then the reading of its rows runs past it.
    now = [0.0]
    limits = ReadLimits(max_seconds=10, clock=lambda: now[0])
    with read_table(hostile.many_rows(5_000, 6), "slow.xlsx", limits=limits) as table:
        rows = table.rows()
        next(rows)
        now[0] = 11.0
        with pytest.raises(FileRefused) as caught:
            list(rows)
    assert caught.value.code == "too_slow"


def test_the_checks_of_a_file_are_within_the_time_budget_too():
    ticks = iter(range(10**6))  # one second each time the clock is read
    limits = ReadLimits(max_seconds=2, clock=lambda: float(next(ticks)))
    assert refusal(hostile.many_rows(20_000, 6), limits=limits).code == "too_slow"


def test_a_csv_row_with_too_many_columns_is_refused():
    refused = refusal(hostile.wide_csv(5_000))
    assert refused.code == "too_many_columns"


@pytest.mark.parametrize("chars", [40_000, 130_000])
def test_a_csv_cell_longer_than_a_spreadsheet_cell_is_refused(chars):
    # Past the csv module's own field limit (128 KiB) the file reads as damaged, as before.
    refused = refusal(hostile.long_cell_csv(chars))
    assert refused.code == "cell_too_long"


def test_the_refusals_read_in_indonesian():
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=lambda: "id")
    with app.test_request_context():
        message = str(refusal(hostile.one_wide_row(1_000)).message)
    assert "kolom" in message.lower()
    assert "Row" not in message


def test_an_ordinary_workbook_saved_by_openpyxl_is_not_refused():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(hostile.HEADER))
    sheet.append(["3604014101900001", "Siti Aminah " * 100, "01/01/1990", "P", 1000000, "JKK,JKM"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with read_table(buffer.getvalue(), "x.xlsx") as table:
        (row,) = list(table.rows())
    assert row.raw["name"].startswith("Siti Aminah")
