"""Rupiah inputs typed the Indonesian way (issue #18), through the real screens.

A clerk writes 45.000.000 (or Rp 45.000.000) for the treatment costs of a work-accident claim;
the claim is saved with 45000000. Cents, negative and absurd amounts are refused on the field
with the reason, never a 500; the page then shows the amount grouped again. The administrator's
income levels and flat contribution rates read the same text (SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from wtforms.fields.core import UnboundField

from backoffice.forms import RupiahField
from models import Claim, ContributionRate, IncomeLevel, Programme
from tests.fixtures import claim_world as world
from tests.html_page import Page, get
from tests.test_claim_screens import CLERK, claim_form, registered
from views.claims import ClaimForm

NEW = "/admin/claim/new/"


def rupiah_fields(form_class: type) -> list[str]:
    return [
        name
        for name, value in vars(form_class).items()
        if isinstance(value, UnboundField) and value.field_class is RupiahField
    ]


def jkk(member: Any, **fields: str) -> dict[str, Any]:
    return claim_form(
        member,
        claim_type="JKK",
        accident_place="Jl. Raya Serang",
        event_date=world.recent_event(days=10).isoformat(),
        **fields,
    )


def refused(client: Any, data: dict[str, Any]) -> Page:
    page = Page(client.post(NEW, data=data))
    assert page.status == 200 and page.has_id("claim-form")
    return page


@pytest.mark.parametrize("typed", ["45.000.000", "Rp 45.000.000", "Rp45.000.000", "45000000"])
def test_a_jkk_claims_treatment_costs_typed_the_indonesian_way_are_saved_whole(
    login, session, typed
):
    member = world.paid_member(session)
    claim_id = registered(login(CLERK), member, **jkk(member, treatment_cost=typed))
    assert session.get(Claim, claim_id).details["treatment_cost"] == 45_000_000


def test_every_rupiah_field_of_the_claim_form_accepts_dotted_input(login, session):
    """The sweep: each money input of the claim form is a RupiahField (its label says Rp) and
    reads 1.234.567 as 1234567."""
    names = rupiah_fields(ClaimForm)
    labelled_rp = [
        name
        for name, value in vars(ClaimForm).items()
        if isinstance(value, UnboundField) and "(Rp)" in str(value.args[0] if value.args else "")
    ]
    assert names and sorted(names) == sorted(labelled_rp)
    member = world.paid_member(session)
    typed = {name: f"{n + 1}.234.567" for n, name in enumerate(names)}
    claim = session.get(
        Claim, registered(login(CLERK), member, **jkk(member, transport_mode="land", **typed))
    )
    for n, name in enumerate(names):
        assert claim.details[name] == (n + 1) * 1_000_000 + 234_567, name


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "45.000.000,50",
            "45.000.000,50 memakai sen, padahal rupiah selalu bulat: tulis tanpa sen, "
            "mis. 45.000.000.",
        ),
        ("45,5", "45,5 memakai sen, padahal rupiah selalu bulat"),
        ("-45.000", "-45.000: jumlah tidak boleh negatif."),
        ("99.999.999.999", "99.999.999.999 terlalu besar: paling banyak Rp10.000.000.000."),
        ("9" * 60, "bukan jumlah rupiah"),
        ("empat puluh lima juta", "bukan jumlah rupiah; tulis seperti 1000000 atau 1.000.000."),
    ],
)
def test_cents_negative_and_absurd_amounts_are_refused_on_the_field(login, session, typed, message):
    member = world.paid_member(session)
    page = refused(login(CLERK), jkk(member, treatment_cost=typed))
    field = page.by_id("treatment_cost")
    assert "is-invalid" in field.classes()
    assert message in page.text("claim-form")
    assert field.attrs["value"] == typed  # as typed, to be corrected
    assert session.scalar(select(Claim).where(Claim.member_id == member.id)) is None


def test_on_another_fields_error_the_amount_comes_back_grouped(login, session):
    member = world.paid_member(session)
    page = refused(login(CLERK), jkk(member, treatment_cost="45000000", claimant_name=""))
    assert page.by_id("treatment_cost").attrs["value"] == "45.000.000"
    assert "is-invalid" not in page.by_id("treatment_cost").classes()


def test_the_field_says_how_to_write_it_and_the_grouping_script_is_served(login):
    clerk = login(CLERK)
    page = get(clerk, NEW)
    field = page.by_id("treatment_cost")
    assert field.attrs["inputmode"] == "numeric" and "data-rupiah" in field.attrs
    assert page.text("treatment_cost-hint") == "Tulis dalam rupiah, mis. 45.000.000."
    [script] = [s for s in page.dom.all("script") if s.attrs.get("src", "").endswith("rupiah.js")]
    assert script.attrs.get("nonce")
    served = clerk.get(script.attrs["src"])
    assert served.status_code == 200 and "javascript" in served.content_type
    assert "data-rupiah" in served.get_data(as_text=True)


# --- reference data (the administrator's Flask-Admin forms) -----------------------------------

FROM = date(2031, 1, 1)


def test_an_income_level_is_typed_in_rupiah_and_its_integer_range_is_guarded(login, session):
    admin = login("admin")
    page = get(admin, "/admin/income_level/new/")
    assert "data-rupiah" in page.by_id("amount").attrs
    response = admin.post(
        "/admin/income_level/new/", data={"amount": "Rp 7.654.321", "valid_from": FROM.isoformat()}
    )
    assert response.status_code == 302
    level = session.scalar(select(IncomeLevel).where(IncomeLevel.amount == 7_654_321))
    edit = get(admin, f"/admin/income_level/edit/?id={level.id}")
    assert edit.by_id("amount").attrs["value"] == "7.654.321"
    assert "Tulis dalam rupiah, mis. 45.000.000." in edit.dom.text
    for typed, message in (
        ("3.000.000.000", "terlalu besar: paling banyak Rp2.147.483.647."),
        ("7.654.321,50", "memakai sen"),
        ("", "wajib"),
    ):
        page = Page(
            admin.post(
                "/admin/income_level/new/", data={"amount": typed, "valid_from": FROM.isoformat()}
            )
        )
        assert page.status == 200, typed
        assert message in page.dom.text, typed


def test_a_flat_contribution_rate_is_typed_in_rupiah(login, session):
    for old in session.scalars(
        select(ContributionRate).where(
            ContributionRate.programme == Programme.JKM, ContributionRate.valid_to.is_(None)
        )
    ):
        old.valid_to = date(2030, 12, 31)
    session.commit()
    admin = login("admin")
    response = admin.post(
        "/admin/contribution_rate/new/",
        data={"programme": "JKM", "flat_amount": "Rp 16.800", "valid_from": FROM.isoformat()},
    )
    assert response.status_code == 302, Page(response).alerts("danger")
    rate = session.scalar(
        select(ContributionRate).where(
            ContributionRate.programme == Programme.JKM, ContributionRate.valid_from == FROM
        )
    )
    assert rate.flat_amount == 16_800 and rate.percent is None
