"""Rupiah inputs group the digits as they are typed (static/rupiah.js, under the app's CSP).

A clerk types 45000000 in Biaya pengobatan and sees 45.000.000; with "Rp" first the prefix
stays; a comma (cents, which the server refuses with the reason) is left as typed. The hint under
the field says how to write it. A script refused by the CSP would be an uncaught error or leave
the digits ungrouped: both fail the test.
"""

from __future__ import annotations

import pytest

from tests.e2e import ui

expect = ui.expect
pytestmark = pytest.mark.e2e


def test_a_clerk_sees_the_thousands_grouped_while_typing(actors):
    clerk = actors.login("petugas.serang")
    clerk.goto("/admin/claim/new/")
    # The JKK fields are shown once the type is chosen (static/claim_form.js).
    clerk.locator("#claim_type").select_option("JKK")
    cost = clerk.get_by_label("Biaya pengobatan (Rp)")
    cost.press_sequentially("45000000")
    expect(cost).to_have_value("45.000.000")
    expect(clerk.locator("#treatment_cost-hint")).to_have_text(
        "Tulis dalam rupiah, mis. 45.000.000."
    )
    transport = clerk.get_by_label("Biaya transportasi (Rp)")
    transport.press_sequentially("Rp 1250000")
    expect(transport).to_have_value("Rp 1.250.000")
    # Deleting a digit regroups what is left.
    transport.press("Backspace")
    expect(transport).to_have_value("Rp 125.000")
    cost.fill("")
    cost.press_sequentially("45000,5")
    expect(cost).to_have_value("45.000,5")
