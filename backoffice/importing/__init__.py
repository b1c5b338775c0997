"""Bulk registration of informal workers (BPU): read an uploaded list, validate every row.

Pure and framework-independent: no database, no Flask app. Reference data
(regency codes, income levels) and the lookup of already-known NIKs are
passed in. Messages are flask_babel lazy strings: English outside a request,
the user's language inside one.

Typical use::

    table = read_table(data, filename)          # may raise FileRefused
    ctx = ValidationContext(registration_date=..., known_regencies=...,
                            income_levels=..., existing_niks=lookup)
    for row in validate_rows(table.rows(), ctx):  # rows() may raise FileRefused
        ...
"""

from .columns import FIELDS, HEADERS, REQUIRED_FIELDS
from .exports import error_report_xlsx, rows_csv, safe_cell, template_xlsx
from .messages import Message
from .nik import check_nik
from .parsers import (
    ParseError,
    parse_date,
    parse_income,
    parse_phone,
    parse_programmes,
    parse_sex,
)
from .reader import FileRefused, SourceRow, Table, read_table
from .validate import MEMBER, PENDING, Problem, ValidatedRow, ValidationContext, validate_rows

__all__ = [
    "FIELDS",
    "HEADERS",
    "MEMBER",
    "PENDING",
    "REQUIRED_FIELDS",
    "FileRefused",
    "Message",
    "ParseError",
    "Problem",
    "SourceRow",
    "Table",
    "ValidatedRow",
    "ValidationContext",
    "check_nik",
    "error_report_xlsx",
    "parse_date",
    "parse_income",
    "parse_phone",
    "parse_programmes",
    "parse_sex",
    "read_table",
    "rows_csv",
    "safe_cell",
    "template_xlsx",
    "validate_rows",
]
