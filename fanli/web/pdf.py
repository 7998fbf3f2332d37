"""The statement as a PDF a customer can file (对账单): A4, generated on the server with the fonts
embedded, in the reader's language; the same document in the back office and in the portal.

One font serves both scripts: a TrueType font with Chinese and Latin glyphs, embedded as the
subset the document uses. ``FANLI_PDF_FONT`` names it (a ``.ttf`` or ``.ttc``); by default the
first of the usual Debian fonts found (``fonts-wqy-zenhei``, ``fonts-noto-cjk``). The company on
the letterhead is ``FANLI_COMPANY_NAME``.
"""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from fanli.common.exceptions import StateError
from fanli.common.money import format_minor
from fanli.rebates.explain import explanation_text
from fanli.rebates.models import Statement
from fanli.rebates.selectors import statement_lines

from .messages import ui_message

FONT_NAME = "FanliText"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
LINES_SHOWN = 60


def _font_path() -> Path:
    configured = os.environ.get("FANLI_PDF_FONT") or getattr(settings, "FANLI_PDF_FONT", "")
    for candidate in ([configured] if configured else list(FONT_CANDIDATES)):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise StateError("no font with Chinese characters for PDF statements: install fonts-wqy-zenhei (or "
                     "fonts-noto-cjk), or name a .ttf/.ttc file in FANLI_PDF_FONT", code="pdf_font_missing")


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return
    path = _font_path()
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0) if path.suffix.lower() == ".ttc"
                            else TTFont(FONT_NAME, str(path)))


def statement_pdf(statement: Statement) -> bytes:
    """The statement as an A4 PDF in the active language: letterhead, the parties and figures,
    why this amount (the explanation), the sales lines counted (the first ``LINES_SHOWN``)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Preformatted, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font()
    body = ParagraphStyle("body", fontName=FONT_NAME, fontSize=9.5, leading=13, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=colors.HexColor("#555555"))
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=20, spaceAfter=2 * mm)
    heading = ParagraphStyle("heading", parent=body, fontSize=11.5, leading=15, spaceBefore=4 * mm, spaceAfter=1.5 * mm)
    mono = ParagraphStyle("mono", parent=body, fontSize=8, leading=10.5)

    def text(value: Any, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(str(value)), style)

    money = lambda minor: format_minor(minor, statement.currency)  # noqa: E731
    company = getattr(settings, "FANLI_COMPANY_NAME", "") or "返利 Fanli"
    story: list[Any] = [
        text(company, small),
        text(_("Rebate statement") + f" #{statement.pk}", title),
    ]
    parties = [
        (_("Customer"), f"{statement.customer.code} {statement.customer.name}"),
        (_("Policy"), f"{statement.policy.name} ({statement.policy.code} v{statement.policy_version.number})"),
        (_("Period"), f"{statement.period_key}: {statement.period_start} – {statement.period_end}"),
        (_("Kind"), f"{statement.get_kind_display()} #{statement.sequence}"),
        (_("State"), statement.get_state_display()),
        (_("Due"), str(statement.due_date)),
    ]
    figures = [
        (_("Basis"), money(statement.basis_minor)),
        (_("Earned for the period"), money(statement.earned_minor)),
        (_("Settled before"), money(statement.previously_settled_minor)),
        (_("This statement"), money(statement.amount_minor)),
    ]
    grid = TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT_NAME), ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                       ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#555555")),
                       ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)])
    story.append(Table([[text(label, small), text(value)] for label, value in parties],
                       colWidths=[32 * mm, 140 * mm], style=grid))
    story.append(Spacer(0, 4 * mm))
    totals = TableStyle([*grid.getCommands(), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                         ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black)])
    story.append(Table([[text(label), Paragraph(escape(value), ParagraphStyle("num", parent=body, alignment=2))]
                        for label, value in figures], colWidths=[60 * mm, 50 * mm], style=totals, hAlign="LEFT"))
    story.append(text(_("Why this amount"), heading))
    story.append(Preformatted(explanation_text(statement.explanation, currency=statement.currency, words=ui_message), mono,
                              maxLineLength=110))
    lines = statement_lines(statement, limit=LINES_SHOWN)
    story.append(text(_("Sales lines (%(total)s)") % {"total": lines["total_lines"]}, heading))
    for reason, total in lines["by_reason"].items():
        label = _("counted") if reason == "counted" else ui_message(reason)
        story.append(text(f"{label}: {total['lines']} · {money(total['amount_minor'])}", small))
    rows = [[text(cell, small) for cell in (_("Document"), _("Date"), "SKU", _("Quantity"), _("Net amount"),
                                            _("Counted"))]]
    for line in lines["lines"]:
        rows.append([text(line["document"], small), text(line["date"], small), text(line["sku"], small),
                     text(line["quantity"], small), text(money(line["net_amount_minor"]), small),
                     text("✓" if line["counted"] else ui_message(line["reason"]), small)])
    if len(rows) > 1:
        story.append(Table(rows, repeatRows=1, colWidths=[36 * mm, 22 * mm, 24 * mm, 18 * mm, 28 * mm, 46 * mm],
                           style=TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
                                             ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black)])))
    if lines["truncated"]:
        story.append(text(_("The first %(shown)s lines are shown.") % {"shown": len(lines["lines"])}, small))
    story.append(Spacer(0, 6 * mm))
    story.append(text(_("Printed on %(day)s. Amounts are exact to the fen; the rebate is rounded once, half-up.")
                      % {"day": timezone.localdate()}, small))

    buffer = BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                 bottomMargin=16 * mm, title=_("Rebate statement") + f" #{statement.pk}",
                                 author=company, subject=f"{statement.customer.code} {statement.period_key}")
    document.build(story)
    return buffer.getvalue()
