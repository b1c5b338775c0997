"""Large figures as the dashboards write them (issue #19)."""

from __future__ import annotations

import pytest

from backoffice.rules.figures import compact_number, compact_rupiah, percent

#: The unit stays with its number (a no-break space, "~" below): "2,62 jt" never wraps.
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "indonesian", "english"),
    [
        (0, "0", "0"),
        (950, "950", "950"),
        (12_500, "12,5~rb", "12.5K"),
        (2_620_000, "2,62~jt", "2.62M"),
        (2_600_000, "2,6~jt", "2.6M"),
        (1_000_000, "1~jt", "1M"),
        (10_000_000, "10~jt", "10M"),
        (1_200_000_000, "1,2~M", "1.2B"),
        (3_400_000_000_000, "3,4~T", "3.4T"),
    ],
)
def test_compact_numbers(value, indonesian, english):
    assert compact_number(value) == indonesian.replace("~", NBSP)
    assert compact_number(value, "en") == english


@pytest.mark.parametrize(
    ("value", "indonesian", "english"),
    [
        (1_200_000_000, "Rp1,2~M", "Rp1.2B"),
        (16_800, "Rp16,8~rb", "Rp16.8K"),
        (45_000_000, "Rp45~jt", "Rp45M"),
        (-2_500_000, "-Rp2,5~jt", "-Rp2.5M"),
        (0, "Rp0", "Rp0"),
    ],
)
def test_compact_rupiah(value, indonesian, english):
    assert compact_rupiah(value) == indonesian.replace("~", NBSP)
    assert compact_rupiah(value, "en") == english


def test_none_is_written_as_nothing():
    assert compact_number(None) == compact_rupiah(None) == percent(None) == ""


@pytest.mark.parametrize(
    ("value", "indonesian", "english"),
    [
        (12.345, "12,3%", "12.3%"),
        (0.0017, "0,0%", "0.0%"),
        (0.05, "0,05%", "0.05%"),
        (100, "100,0%", "100.0%"),
    ],
)
def test_percent(value, indonesian, english):
    assert percent(value) == indonesian
    assert percent(value, "en") == english
