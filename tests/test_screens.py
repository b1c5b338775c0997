"""The screen registry (views.SCREENS): one declaration per screen, registered in menu order."""

from __future__ import annotations

from flask_babel import force_locale

from views import SCREENS

REFERENCE_DATA = [
    ("Income levels", "income_level"),
    ("Contribution rates", "contribution_rate"),
    ("Benefit parameters", "benefit_parameter"),
    ("JHT returns", "jht_return_rate"),
    ("Holidays and cuti bersama", "holiday_correction"),
    ("Coverage targets", "coverage_target"),
]
#: The menu, top to bottom: (label, endpoint), or (category, its entries).
MENU = [
    ("Home", "admin"),
    ("Coverage", "coverage"),
    ("Registration queue", "registration_queue"),
    ("Claims to handle", "claim_queue"),
    ("Claims", "claim"),
    ("Member batches", "batch"),
    ("Members", "member"),
    ("Member data corrections", "correction"),
    ("Import contributions", "contribution_import"),
    ("Offices", "office"),
    ("Departments", "department"),
    ("Regions", "region"),
    ("Regencies/cities", "regency"),
    ("Users", "user"),
    ("Approval queue", "proposal_queue"),
    ("Office proposals", "proposal"),
    ("Reference data", REFERENCE_DATA),
    ("API tokens", "api_token"),
    ("Audit trail", "audit"),
    ("Email outbox", "outbox"),
    # The inbox is in the menu's data but hidden (the navbar's bell opens it).
    ("Notifications", "notifications"),
]


def test_the_menu_lists_every_screen_in_order_with_its_label(app):
    admin = app.extensions["admin"][0]
    with app.test_request_context("/admin/"), force_locale("en"):
        menu = [
            (
                str(item.name),
                [(str(c.name), c._view.endpoint) for c in item._children]
                if item.is_category()
                else item._view.endpoint,
            )
            for item in admin._menu
        ]
    assert menu == MENU


def test_each_screen_is_registered_once_at_its_endpoints_url(app):
    admin = app.extensions["admin"][0]
    views = admin._views[1:]  # after the dashboard
    assert [type(v) for v in views] == [s.view for s in SCREENS]
    assert [v.endpoint for v in views] == [s.endpoint for s in SCREENS]
    for screen, view in zip(SCREENS, views, strict=True):
        assert getattr(view, "model", None) is screen.model
        assert view.url == f"/admin/{screen.endpoint}"
        index = {f"{screen.endpoint}.index_view", f"{screen.endpoint}.index"}
        rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint in index}
        assert rules == {f"/admin/{screen.endpoint}/"}, screen.endpoint
