"""Coverage dashboards (issue #19): how far a region, regency, office, department or sector is
from its target, in the user's scope, read from the summary tables (``services.coverage``).

The regional head and the auditor start with their region's regencies, a branch with its
offices, a liaison with their department's sectors; each row drills down one level. Every figure
links to the member list filtered the same way; ``export`` writes the same figures as XLSX."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from flask import Response, abort, current_app, request, url_for
from flask_admin import BaseView, expose
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from openpyxl import Workbook
from sqlalchemy import select

from backoffice import authz
from backoffice.clock import today_in_jakarta
from backoffice.exports import neutralise_formula
from backoffice.extensions import db
from backoffice.i18n import format_date, format_number, format_rupiah
from backoffice.labels import label
from backoffice.rules.figures import compact_number, compact_rupiah, percent
from backoffice.services import coverage
from models import (
    Department,
    KemendagriRegency,
    MemberStatus,
    Office,
    Regency,
    Role,
    Sector,
)

from .base import deny_access

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

LEVEL_LABELS = {
    "region": _l("Region"),
    "regency": _l("Regency/city"),
    "office": _l("Office"),
    "department": _l("Department"),
    "sector": _l("Sector"),
}
#: The member list's filters the figures use, by the column they filter.
MEMBER_FILTER_COLUMNS = {
    "office_id": "office",
    "status": "status",
    "sector": "sector",
    "domicile_regency_code": "regency",
    "department_id": "department",
    "start_date": "month",
}
#: The claims list's filters the claim figures use, by the column they filter.
CLAIM_FILTER_COLUMNS = {
    "office_id": "office",
    "submitted_at": "received",
    "paid_on": "paid",
    "due_date": "overdue",
}


def _locale() -> str:
    return str(get_locale() or "id")


class Names:
    """The names of the places a dashboard shows, read once per page (offices and departments
    in the user's scope: a place outside it answers 404)."""

    def __init__(self, session: Any, user: Any) -> None:
        self.locale = _locale()
        self.offices = {
            o.id: f"{o.code} {o.name}" for o in session.scalars(authz.scoped_select(user, Office))
        }
        self.departments: dict[int, str] = {}
        #: Each department's regency (its Kemendagri code): the crumb above a department.
        self.department_regency: dict[int, str] = {}
        departments = authz.scope(
            user,
            select(Department.id, Department.name, Regency.code).join(
                Regency, Regency.id == Department.regency_id
            ),
            Department,
        )
        for department_id, name, code in session.execute(departments):
            self.departments[department_id] = name
            self.department_regency[department_id] = code
        self.sectors = {s.code: s.label(self.locale) for s in session.scalars(select(Sector))}
        self._session = session
        self._regencies: dict[str, str] = {}

    def load_regencies(self, codes: Any) -> None:
        """Read the names of these regencies at once (one statement for a breakdown)."""
        wanted = {c for c in codes if c and c not in self._regencies}
        if not wanted:
            return
        found = dict(
            self._session.execute(
                select(KemendagriRegency.code, KemendagriRegency.name).where(
                    KemendagriRegency.code.in_(wanted)
                )
            ).all()
        )
        for code in wanted:
            self._regencies[code] = found.get(code, code)

    def regency(self, code: str | None) -> str:
        if not code:
            return gettext("(no domicile)")
        self.load_regencies([code])
        return self._regencies[code]

    def of(self, level: str, key: Any) -> str:
        if level == "regency":
            return self.regency(key)
        if level == "office":
            return self.offices.get(key, str(key))
        if level == "department":
            return self.departments.get(key) or gettext("(no department)")
        if level == "sector":
            return self.sectors.get(key, str(key))
        return str(key)


def place_from_request(user: Any, names: Names) -> coverage.Place:
    """The place the request asks for, within what the role may see (404 beyond it)."""
    args = request.args
    region = user.region_id if user.role in (Role.REGIONAL_HEAD, Role.AUDITOR) else None
    department = user.department_id if user.role is Role.LIAISON else None
    place = coverage.Place(region_id=region, department_id=department)
    regency = args.get("regency")
    if regency is not None:
        if not (regency == "" or (len(regency) == 4 and regency.isdigit())):
            abort(404)
        place = place.narrowed("regency", regency)
    office = args.get("office", type=int)
    if office is not None:
        if office not in names.offices:
            abort(404)
        place = place.narrowed("office", office)
    if department is None and args.get("department", type=int) is not None:
        chosen = args.get("department", type=int)
        if chosen != 0 and chosen not in names.departments:
            abort(404)
        place = place.narrowed("department", chosen)
    sector = args.get("sector")
    if sector is not None:
        if sector not in names.sectors:
            abort(404)
        place = place.narrowed("sector", sector)
    return place


def place_args(place: coverage.Place, user: Any) -> dict[str, Any]:
    """The query arguments of a place (what the role fixes itself is left out)."""
    args: dict[str, Any] = {}
    if place.regency_code is not None:
        args["regency"] = place.regency_code
    if place.office_id is not None:
        args["office"] = place.office_id
    if place.department_id is not None and user.role is not Role.LIAISON:
        args["department"] = place.department_id
    if place.sector is not None:
        args["sector"] = place.sector
    return args


def member_list_url(
    place: coverage.Place, *, status: str | None = None, month: date | None = None
) -> str | None:
    """The member list filtered like the figure (None when the list cannot say it: members
    without a department or a domicile)."""
    if place.department_id == 0 or place.regency_code == "":
        return None
    view = _view("member")
    if view is None or not authz.may(current_user, "members"):
        return None
    wanted = {
        "office": place.office_id,
        "status": status,
        "sector": place.sector,
        "regency": place.regency_code,
        "department": place.department_id,
        "month": f"{month:%Y-%m}" if month else None,
    }
    return _filtered_url(view, MEMBER_FILTER_COLUMNS, wanted)


def claim_list_url(
    place: coverage.Place,
    *,
    received: date | None = None,
    paid: date | None = None,
    overdue: bool = False,
) -> str | None:
    """The claims list filtered like a claim figure: the place's office, received or paid in
    a month, or open past its service target (claims are counted by office)."""
    view = _view("claim")
    if view is None or not authz.may(current_user, "claims"):
        return None
    wanted = {
        "office": place.office_id,
        "received": f"{received:%Y-%m}" if received else None,
        "paid": f"{paid:%Y-%m}" if paid else None,
        "overdue": "yes" if overdue else None,
    }
    return _filtered_url(view, CLAIM_FILTER_COLUMNS, wanted)


def _filtered_url(view: Any, columns: dict[str, str], wanted: dict[str, Any]) -> str:
    """The list of ``view`` with each of its filters named in ``wanted`` set (Flask-Admin's
    ``flt<position>_<filter>`` arguments)."""
    args: dict[str, Any] = {}
    position = 0
    for index, flt in enumerate(view._filters or ()):
        name = columns.get(getattr(flt.column, "key", None))
        value = wanted.get(name) if name else None
        if value is not None and value != "":
            args[f"flt{position}_{view.get_filter_arg(index, flt)}"] = value
            position += 1
    return url_for(f"{view.endpoint}.index_view", **args)


def _view(endpoint: str) -> Any:
    for admin in current_app.extensions.get("admin", []):
        for view in admin._views:
            if getattr(view, "endpoint", None) == endpoint:
                return view
    return None


class CoverageView(BaseView):
    """The coverage dashboard of the signed-in user's scope, and its XLSX export."""

    def is_accessible(self) -> bool:
        return authz.may(current_user, "coverage")

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return deny_access()

    @expose("/")
    def index(self) -> Any:
        context = panel_context(current_user)
        return self.render("admin/coverage.html", **context)

    @expose("/export.xlsx")
    def export(self) -> Any:
        if not authz.may(current_user, "coverage", "export"):
            abort(403)
        context = panel_context(current_user)
        data = workbook(context)
        db.session.rollback()
        return Response(
            data,
            mimetype=XLSX,
            headers={
                "Content-Disposition": "attachment; filename=cakupan-kepesertaan.xlsx",
                "Cache-Control": "no-store",
            },
        )


def panel_context(user: Any) -> dict[str, Any]:
    """What ``admin/_coverage_panel.html`` needs (the home page includes it too)."""
    names = Names(db.session, user)
    place = place_from_request(user, names)
    today = today_in_jakarta()
    figures = coverage.figures(db.session, user, place, today)
    locale = names.locale
    level = figures.breakdown_level
    if level == "regency":
        names.load_regencies(row["key"] for row in figures.breakdown)
    names.load_regencies([place.regency_code])
    rows = [_row(row, names.of(level, row["key"]), user, figures) for row in figures.breakdown]
    offices = [
        _row(row, names.of("office", row["key"]), user, figures)
        for row in figures.offices
        if row["key"] in names.offices
    ]
    crumbs = _crumbs(user, place, names)
    chart = {
        "locale": locale,
        "labels": {
            "registered": gettext("Registered"),
            "collected": gettext("Contributions collected"),
            "claims": gettext("Claims received"),
            "active": gettext("Active members"),
            "target": gettext("Target"),
            "members": gettext("Members"),
        },
        "trend": [
            {
                "month": f"{t['month']:%m/%Y}",
                "registered": t["registered"],
                "collected": t["collected"],
                "claims": t["claims"],
                "active": t["active"],
            }
            for t in figures.trend
        ],
        "target": figures.target.workers if figures.target else None,
        "breakdown": [
            {"name": r["name"], "active": r["active"], "target": r["target"]} for r in rows
        ],
    }
    return {
        "figures": figures,
        "place": place,
        "crumbs": crumbs,
        "level_label": LEVEL_LABELS.get(level) if level else None,
        "rows": rows,
        "offices": offices,
        "chart": chart,
        "member_list_url": member_list_url,
        "links": {
            "members": member_list_url(place),
            "active": member_list_url(place, status="active"),
            "new": member_list_url(place, month=figures.month),
            "lapsed": member_list_url(place, status="lapsed"),
            "ended": member_list_url(place, status="ended"),
            "registered": member_list_url(place, status="registered"),
            "claims": url_for("claim.index_view") if authz.may(user, "claims") else None,
            "claims_received": claim_list_url(place, received=figures.month),
            "claims_paid": claim_list_url(place, paid=figures.month),
            "claims_overdue": claim_list_url(place, overdue=True),
            "claim_queue": url_for("claim_queue.index_view")
            if authz.may(user, "claim_queue")
            else None,
            "waiting": url_for("registration_queue.index_view")
            if authz.may(user, "registration_queue")
            else (url_for("batch.index_view") if authz.may(user, "batches") else None),
            "export": url_for("coverage.export", **place_args(place, user)),
        },
        "fmt": {
            "number": format_number,
            "rupiah": format_rupiah,
            "compact": lambda v: compact_number(v, locale),
            "compact_rupiah": lambda v: compact_rupiah(v, locale),
            "percent": lambda v: percent(v, locale),
            "date": format_date,
            "status": lambda s: label(MemberStatus(s)),
        },
    }


def _row(row: dict[str, Any], name: str, user: Any, figures: coverage.Figures) -> dict[str, Any]:
    """A breakdown row with its links: the name opens the child's dashboard, each figure the
    member list of the members it counts."""
    counted, opened = row["place"], row["opens"]
    return {
        **row,
        "name": name,
        "url": url_for("coverage.index", **place_args(opened, user))
        if coverage.next_level(user, opened)
        else None,
        "members_url": member_list_url(counted),
        "active_url": member_list_url(counted, status="active"),
        "lapsed_url": member_list_url(counted, status="lapsed"),
        "new_url": member_list_url(counted, month=figures.month),
    }


def _crumbs(user: Any, place: coverage.Place, names: Names) -> list[dict[str, Any]]:
    """The way back up: the role's own scope, then each level narrowed, each a link."""
    top = {
        Role.LIAISON: names.departments.get(user.department_id, ""),
        Role.BRANCH_HEAD: str(user.office or ""),
        Role.BRANCH_CLERK: str(user.office or ""),
    }.get(user.role) or (user.region.name if user.region else gettext("All regions"))
    crumbs = [{"name": top, "url": url_for("coverage.index")}]
    step = coverage.Place(region_id=place.region_id)
    if user.role is Role.LIAISON:
        step = coverage.Place(department_id=place.department_id)
    levels: list[tuple[str, Any]] = []
    if place.regency_code is not None:
        levels.append(("regency", place.regency_code))
    if place.office_id is not None:
        levels.append(("office", place.office_id))
    if place.department_id is not None and user.role is not Role.LIAISON:
        regency = names.department_regency.get(place.department_id)
        if (
            place.regency_code is None
            and place.office_id is None
            and regency
            and user.role not in (Role.BRANCH_HEAD, Role.BRANCH_CLERK)
        ):
            # A department is a regency's: its crumb leads back to the regency's page.
            crumbs.append(
                _crumb("regency", regency, step.narrowed("regency", regency), user, names)
            )
        levels.append(("department", place.department_id))
    if place.sector is not None:
        levels.append(("sector", place.sector))
    for level, value in levels:
        step = step.narrowed(level, value)
        crumbs.append(_crumb(level, value, step, user, names))
    return crumbs


def _crumb(level: str, value: Any, step: coverage.Place, user: Any, names: Names) -> dict[str, Any]:
    return {
        "level": LEVEL_LABELS[level],
        "name": names.of(level, value),
        "url": url_for("coverage.index", **place_args(step, user)),
    }


def _sheet_title(text: str) -> str:
    """A worksheet may not be named with []:*?/\\ nor be longer than 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", "-", text)[:31]


def _places_sheet(
    book: Any, title: str, column: str, rows: list[dict[str, Any]], *, with_target: bool
) -> None:
    """A sheet of places (a breakdown, the offices serving a regency): name, member figures
    and, for a breakdown, the target and the percentage."""
    sheet = book.create_sheet(_sheet_title(title))
    header = [
        column,
        gettext("Active members"),
        gettext("Registered this month"),
        gettext("Lapsed"),
        gettext("All members"),
    ]
    if with_target:
        header += [gettext("Target"), gettext("Percent of target")]
    sheet.append(header)
    for row in rows:
        values = [
            neutralise_formula(row["name"]),
            row["active"],
            row["registered_this_month"],
            row["lapsed"],
            row["members"],
        ]
        if with_target:
            percent = row["percent"]
            values += [row["target"], round(percent, 4) if percent is not None else None]
        sheet.append(values)


def workbook(context: dict[str, Any]) -> bytes:
    """The dashboard as XLSX: the figures with the target, the breakdown, the trend."""
    figures: coverage.Figures = context["figures"]
    book = Workbook()
    sheet = book.active
    sheet.title = gettext("Figures")[:31]
    place = " / ".join(c["name"] for c in context["crumbs"])
    sheet.append([gettext("Coverage"), neutralise_formula(place)])
    sheet.append([gettext("Day"), format_date(figures.today)])
    target = figures.target
    rows = [
        (gettext("Active members"), figures.active),
        (gettext("Registered this month"), figures.registered_this_month),
        (gettext("Not yet paying (registered)"), figures.by_status.get("registered", 0)),
        (gettext("Lapsed"), figures.by_status.get("lapsed", 0)),
        (gettext("Ended"), figures.by_status.get("ended", 0)),
        (gettext("All members"), figures.members),
        (gettext("Target"), target.workers if target else None),
        (gettext("Source of the target"), neutralise_formula(target.source) if target else None),
        (gettext("Percent of target"), round(figures.percent_of_target, 4) if target else None),
        (gettext("Contributions collected this month (Rp)"), figures.collected_this_month),
        (gettext("Monthly contributions of lapsed members (Rp)"), figures.lapsed_contributions),
        (gettext("Registrations waiting (rows)"), figures.waiting["rows"]),
        (gettext("Oldest registration waiting (days)"), figures.waiting["oldest_days"]),
    ]
    if figures.claims is not None:
        rows += [
            (gettext("Claims received this month"), figures.claims["received"]),
            (gettext("Claims paid this month"), figures.claims["paid"]),
            (gettext("Claims paid this month (Rp)"), figures.claims["paid_amount"]),
            (gettext("Claims open"), figures.claims["open"]),
            (gettext("Claims overdue"), figures.claims["overdue"]),
        ]
    for row in rows:
        sheet.append(list(row))
    if context["rows"]:
        level = str(context["level_label"])
        _places_sheet(book, level, level, context["rows"], with_target=True)
    if context["offices"]:
        _places_sheet(
            book,
            gettext("Offices (domicile)"),
            gettext("Office"),
            context["offices"],
            with_target=False,
        )
    trend = book.create_sheet(gettext("Trend")[:31])
    trend.append(
        [
            gettext("Month"),
            gettext("Registered"),
            gettext("Contributions collected"),
            gettext("Claims received"),
            gettext("Active at the end of the month"),
        ]
    )
    for t in figures.trend:
        trend.append(
            [f"{t['month']:%m/%Y}", t["registered"], t["collected"], t["claims"], t["active"]]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
