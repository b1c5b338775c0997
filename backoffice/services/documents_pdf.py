"""The printed documents of an office: a member's card (kartu peserta) and the payment letter
of a paid claim (surat pembayaran klaim), as PDF (fpdf2, its core Helvetica font).

They are official documents handed to the member: always in Bahasa Indonesia, whatever the
language of the clerk's screens (the msgids are English, rendered under ``force_locale("id")``
from the same catalogs as the screens; the stored breakdown of a claim renders the same way).
They hold personal data (UU 27/2022): the NIK printed masked (``rules.personal_data``), the
bank account with its last 4 digits only, and every download is an audit event, appended
before the document is produced (the caller commits, then sends it). Operations flush.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from fpdf import FPDF
from sqlalchemy.orm import Session

from models import Claim, ClaimState, Member, Office, Role, User

from .. import audit
from ..clock import jakarta_day, today_in_jakarta
from ..errors import DomainError
from ..i18n import format_rupiah
from ..labels import label
from ..rules.personal_data import mask_account, mask_nik
from .claim_documents import ChecklistItem, checklist
from .claims import shown_breakdown
from .lifecycle import status_label

PRINT_CARD = "print_member_card"
PRINT_LETTER = "print_payment_letter"
PRINT_RECEIPT = "print_document_receipt"
#: Who prints: the staff of the member's office, at the counter.
PRINTERS = frozenset({Role.BRANCH_CLERK, Role.BRANCH_HEAD})
#: The language of the documents (official: Bahasa Indonesia).
DOCUMENT_LOCALE = "id"
#: The programmes a member's ``programmes`` column may name, in the order printed.
PROGRAMMES = ("JKK", "JKM", "JHT")
ISSUER = "BPJS Ketenagakerjaan"


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    mimetype: str = "application/pdf"


def may_print(user: User | None) -> bool:
    """Whether the user's role prints documents at all (the item is read through the user's
    row scope first: out of scope is not found)."""
    return user is not None and user.active and user.role in PRINTERS


def member_card(
    session: Session, actor: User, member: Member, *, ip: str | None = None
) -> Document:
    """The member's card, its download audited."""
    audit.append_item_event(
        session,
        actor=actor,
        action=PRINT_CARD,
        record_type="member",
        item=member,
        ip=ip,
        details={"kpj": member.kpj},
    )
    printed = today_in_jakarta()
    with force_locale(DOCUMENT_LOCALE):
        content = _render_card(member, printed)
    return Document(f"kartu-peserta-{_safe(member.kpj)}.pdf", content)


def payment_letter(
    session: Session, actor: User, claim: Claim, *, ip: str | None = None
) -> Document:
    """The payment letter of a paid claim, its download audited (a claim not paid has none)."""
    if claim.state is not ClaimState.PAID or claim.paid_on is None:
        raise DomainError(_l("Only a paid claim has a payment letter."))
    audit.append_item_event(
        session,
        actor=actor,
        action=PRINT_LETTER,
        record_type="claim",
        item=claim,
        ip=ip,
        details={"claim": str(claim)},
    )
    printed = today_in_jakarta()
    with force_locale(DOCUMENT_LOCALE):
        content = _render_letter(claim, printed)
    return Document(f"surat-pembayaran-{_safe(str(claim))}.pdf", content)


def documents_receipt(
    session: Session, actor: User, claim: Claim, *, ip: str | None = None
) -> Document:
    """The receipt of the documents received for a claim (tanda terima dokumen): each
    document received with its date, those still missing named; its download audited. A claim
    with no document received has none."""
    items = checklist(session, claim)
    received = [i for i in items if i.document is not None]
    if not received:
        raise DomainError(_l("No document of this claim has been received yet."))
    audit.append_item_event(
        session,
        actor=actor,
        action=PRINT_RECEIPT,
        record_type="claim",
        item=claim,
        ip=ip,
        details={"claim": str(claim), "documents": len(received)},
    )
    printed = today_in_jakarta()
    with force_locale(DOCUMENT_LOCALE):
        content = _render_receipt(claim, items, actor, printed)
    return Document(f"tanda-terima-dokumen-{_safe(str(claim))}.pdf", content)


# --- rendering -------------------------------------------------------------------------------


class _Page(FPDF):
    """An A4 or card page in core Helvetica: every text is brought to Latin-1 first."""

    def text_line(self, text: Any, *, size: float = 10, style: str = "", align: str = "L") -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, size * 0.5, _latin1(text), align=align, new_x="LMARGIN", new_y="NEXT")

    def field(self, name: Any, value: Any, *, width: float = 38, size: float = 9) -> None:
        self.set_font("Helvetica", "", size)
        self.cell(width, size * 0.55, _latin1(name))
        self.set_font("Helvetica", "B", size)
        self.multi_cell(
            0, size * 0.55, _latin1(f": {value}"), align="L", new_x="LMARGIN", new_y="NEXT"
        )


def _document(title: str, *, bottom: float = 15, **page: Any) -> _Page:
    pdf = _Page(**page)
    pdf.set_title(_latin1(title))
    pdf.set_author(ISSUER)
    pdf.set_creator(ISSUER)
    pdf.set_auto_page_break(True, margin=bottom)
    pdf.add_page()
    return pdf


def _render_card(member: Member, printed: date) -> bytes:
    # ID-1 card size (85.6 x 54 mm), landscape.
    pdf = _document(_("Member card"), bottom=2, orientation="L", unit="mm", format=(54, 85.6))
    pdf.set_margins(4, 4, 4)
    pdf.set_draw_color(0, 90, 60)
    pdf.rect(1.5, 1.5, pdf.w - 3, pdf.h - 3, round_corners=True, corner_radius=2.5)
    pdf.set_xy(4, 4)
    pdf.text_line(ISSUER, size=9, style="B")
    pdf.text_line(_("MEMBER CARD"), size=7, style="B")
    pdf.ln(1)
    pdf.text_line(member.name, size=9, style="B")
    rows = (
        (_("KPJ"), member.kpj),
        (_("NIK"), mask_nik(member.nik)),
        (_("Date of birth"), _date(member.birth_date)),
        (_("Programmes"), _programmes(member.programmes)),
        (_("Member since"), _date(member.start_date)),
        (_("Membership status"), status_label(member.status)),
    )
    for name, value in rows:
        pdf.field(name, value, width=22, size=6.5)
    pdf.ln(0.5)
    office = member.office
    pdf.text_line(_issued_by(office), size=5.5)
    if office.address:
        pdf.text_line(office.address, size=5.5)
    pdf.text_line(_("Printed on %(date)s", date=_date(printed)), size=5.5)
    return bytes(pdf.output())


def _render_letter(claim: Claim, printed: date) -> bytes:
    pdf = _document(_("Claim payment letter"), unit="mm", format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_xy(20, 18)
    _letterhead(pdf, claim.office)
    pdf.text_line(_("CLAIM PAYMENT LETTER"), size=12, style="B", align="C")
    pdf.text_line(_("Number: %(number)s", number=str(claim)), size=10, align="C")
    pdf.ln(4)
    pdf.text_line(_date(printed), size=10, align="R")
    pdf.text_line(_("To:"), size=10)
    pdf.text_line(claim.claimant_name, size=10, style="B")
    pdf.text_line(
        _("as %(relationship)s", relationship=label(claim.claimant_relationship)), size=10
    )
    pdf.ln(3)
    member = claim.member
    pdf.text_line(
        _(
            "We inform you that the benefit of the claim below has been paid to the account "
            "named in the claim."
        ),
        size=10,
    )
    pdf.ln(2)
    for name, value in (
        (_("Member"), member.name),
        (_("KPJ"), member.kpj),
        (_("Claim type"), label(claim.claim_type)),
        (_("Event date"), _date(claim.event_date)),
    ):
        pdf.field(name, value, width=45, size=10)
    pdf.ln(3)
    _breakdown(pdf, claim)
    pdf.ln(3)
    for name, value in (
        (_("Bank"), claim.bank_name),
        (_("Account number"), mask_account(claim.bank_account)),
        (_("Account holder"), claim.account_holder),
        (_("Transfer reference"), claim.payment_reference or "-"),
        (_("Paid on"), _date(claim.paid_on)),
    ):
        pdf.field(name, value, width=45, size=10)
    pdf.ln(8)
    _signature(pdf, claim)
    return bytes(pdf.output())


def _letterhead(pdf: _Page, office: Office) -> None:
    pdf.text_line(ISSUER, size=14, style="B")
    pdf.text_line(_office_name(office), size=11, style="B")
    if office.address:
        pdf.text_line(office.address, size=9)
    pdf.ln(1)
    pdf.line(20, pdf.get_y(), 190, pdf.get_y())
    pdf.ln(4)


def _render_receipt(
    claim: Claim, items: list[ChecklistItem], receiver: User, printed: date
) -> bytes:
    pdf = _document(_("Receipt of documents"), unit="mm", format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_xy(20, 18)
    _letterhead(pdf, claim.office)
    pdf.text_line(_("RECEIPT OF DOCUMENTS"), size=12, style="B", align="C")
    pdf.text_line(_("Claim number: %(number)s", number=str(claim)), size=10, align="C")
    pdf.ln(4)
    member = claim.member
    for name, value in (
        (_("Member"), member.name),
        (_("KPJ"), member.kpj),
        (_("Claim type"), label(claim.claim_type)),
        (_("Claimant"), claim.claimant_name),
        (_("Registered on"), _date(claim.submitted_at)),
    ):
        pdf.field(name, value, width=45, size=10)
    pdf.ln(3)
    pdf.text_line(_("The following documents were received:"), size=10)
    pdf.ln(1)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    columns = ((10, _("No.")), (width - 50, _("Document")), (40, _("Received on")))
    pdf.set_font("Helvetica", "B", 10)
    for size, title in columns:
        pdf.cell(size, 7, _latin1(title), border="B")
    pdf.ln(7)
    received = [i for i in items if i.document is not None]
    pdf.set_font("Helvetica", "", 10)
    for number, item in enumerate(received, start=1):
        pdf.cell(10, 6, str(number))
        pdf.cell(width - 50, 6, _latin1(item.requirement.name))
        pdf.cell(40, 6, _latin1(_date(item.document.uploaded_at)), new_x="LMARGIN", new_y="NEXT")
    missing = [i for i in items if i.document is None and i.requirement.required]
    if missing:
        pdf.ln(3)
        pdf.text_line(_("Still to be handed in:"), size=10, style="B")
        for item in missing:
            pdf.text_line(f"- {item.requirement.name}", size=10)
    pdf.ln(3)
    pdf.text_line(
        _(
            "This receipt confirms that the documents were handed in; it is not a decision on "
            "the claim."
        ),
        size=8,
    )
    pdf.ln(8)
    x = pdf.w - pdf.r_margin - 80
    for text, style in (
        (_date(printed), ""),
        (_("Received by"), ""),
        ("", ""),
        ("", ""),
        (f"( {receiver.full_name} )", "B"),
        (label(receiver.role), ""),
    ):
        pdf.set_x(x)
        pdf.set_font("Helvetica", style, 10)
        pdf.cell(80, 5.5, _latin1(text), align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _breakdown(pdf: _Page, claim: Claim) -> None:
    lines, notes = shown_breakdown(claim)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    amount_width = 45
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(width - amount_width, 7, _latin1(_("Benefit")), border="B")
    pdf.cell(
        amount_width, 7, _latin1(_("Amount")), border="B", align="R", new_x="LMARGIN", new_y="NEXT"
    )
    for line in lines:
        text = str(line.label) + (f" ({line.detail})" if line.detail else "")
        top = pdf.get_y()
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(
            width - amount_width - 4, 5, _latin1(text), align="L", new_x="LMARGIN", new_y="NEXT"
        )
        bottom = pdf.get_y()
        pdf.set_xy(pdf.l_margin + width - amount_width, top)
        pdf.cell(amount_width, 5, _latin1(format_rupiah(line.amount)), align="R")
        pdf.set_xy(pdf.l_margin, bottom + 1)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(width - amount_width, 7, _latin1(_("Total paid")), border="T")
    pdf.cell(
        amount_width,
        7,
        _latin1(format_rupiah(claim.amount)),
        border="T",
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for note in notes:
        pdf.text_line(str(note), size=8)


def _signature(pdf: _Page, claim: Claim) -> None:
    """Signed for the head of the office that approved the claim: the regional head's office
    (the Kanwil) when a regional head approved it, the claim's branch office otherwise. The
    approver is named below; their name is the signatory's when they are that head."""
    approver = claim.approved_by
    if approver is not None and approver.role is Role.REGIONAL_HEAD:
        head, office_text = Role.REGIONAL_HEAD, claim.region.name
    else:
        head, office_text = Role.BRANCH_HEAD, _office_name(claim.office)
    signatory = approver.full_name if approver is not None and approver.role is head else ""
    x = pdf.w - pdf.r_margin - 80
    for text, style in (
        (label(head), ""),
        (office_text, ""),
        ("", ""),
        ("", ""),
        ("", ""),
        (f"( {signatory or '.' * 40} )", "B"),
    ):
        pdf.set_x(x)
        pdf.set_font("Helvetica", style, 10)
        pdf.cell(80, 5.5, _latin1(text), align="C", new_x="LMARGIN", new_y="NEXT")
    if approver is not None:
        pdf.ln(4)
        approved = _(
            "Approved by %(name)s (%(role)s)", name=approver.full_name, role=label(approver.role)
        )
        pdf.text_line(approved, size=8)


# --- texts -----------------------------------------------------------------------------------


def _office_name(office: Office) -> str:
    """``Kantor Cabang (KC) Serang``: the office's type and name."""
    return f"{label(office.office_type)} {office.name}"


def _issued_by(office: Office) -> str:
    return _("Issued by %(office)s", office=_office_name(office))


def _programmes(programmes: str) -> str:
    chosen = {p.strip().upper() for p in (programmes or "").split(",")}
    return ", ".join(p for p in PROGRAMMES if p in chosen)


def _date(value: date | datetime | None) -> str:
    """``3 Desember 2026``: the day, the month's name in the document's language, the year. An
    instant (stored in UTC) is printed as its day in Jakarta: a document handed in at 00:30 WIB
    was received that day, not the day before."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = jakarta_day(value)
    return format_date(value, "d MMMM y", locale=DOCUMENT_LOCALE)


#: Typographic characters the catalogs may hold, as Latin-1 has them.
_PLAIN = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u00a0": " ",
    }
)


def _latin1(text: Any) -> str:
    """The text in Latin-1, what the core fonts cover (Indonesian needs no more): typographic
    punctuation made plain, an accented letter outside Latin-1 without its accent, anything
    else a ``?``."""
    plain = str(text).translate(_PLAIN)
    out = []
    for ch in plain:
        if ord(ch) < 256:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


def _safe(text: str) -> str:
    """A file name part: ASCII letters, digits and ``-`` only."""
    return "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in text).strip("-") or "x"


__all__ = [
    "PRINT_CARD",
    "PRINT_LETTER",
    "PRINT_RECEIPT",
    "Document",
    "may_print",
    "member_card",
    "documents_receipt",
    "payment_letter",
]
