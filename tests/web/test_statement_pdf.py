"""The statement as a PDF a customer can file: A4, fonts embedded, the reader's language, the
same document for staff and for the customer (issued statements only)."""

from __future__ import annotations

import re
import zlib

from fanli.rebates.services import statement_approve


def _text_of(pdf: bytes) -> bytes:
    """Every stream of the PDF, inflated where it is compressed, and the rest as it is."""
    parts = [pdf]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_staff_get_an_a4_pdf_with_the_font_embedded_in_their_language(client, world):
    statement = world["acme_statement"]
    client.force_login(world["users"]["finance"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get(f"/office/statements/{statement.pk}/statement.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4
    assert b"/FontFile2" in pdf  # the TrueType font is in the file, not left to the reader's machine
    assert f"(Rebate statement #{statement.pk})".encode() in _text_of(pdf)  # the document's title, in English


def test_the_customer_gets_the_same_pdf_of_an_issued_statement_only(client, world):
    mine, theirs = world["acme_statement"], world["other_statement"]
    client.force_login(world["users"]["portal"])
    assert client.get(f"/portal/statements/{mine.pk}/statement.pdf").status_code == 404  # still a draft
    statement_approve(statement_id=mine.pk, actor=world["users"]["finance"])
    statement_approve(statement_id=theirs.pk, actor=world["users"]["finance"])
    response = client.get(f"/portal/statements/{mine.pk}/statement.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert client.get(f"/portal/statements/{theirs.pk}/statement.pdf").status_code == 404


def test_without_a_font_for_chinese_the_link_says_what_to_install(client, world, monkeypatch):
    from reportlab.pdfbase import pdfmetrics

    from fanli.web import pdf

    monkeypatch.setenv("FANLI_PDF_FONT", "/nowhere/font.ttc")
    monkeypatch.setattr(pdf, "FONT_NAME", "FanliTextMissing")  # not registered yet in this process
    assert "FanliTextMissing" not in pdfmetrics.getRegisteredFontNames()
    statement = world["acme_statement"]
    client.force_login(world["users"]["finance"])
    response = client.get(f"/office/statements/{statement.pk}/statement.pdf", follow=True)
    assert response.redirect_chain[-1][0] == f"/office/statements/{statement.pk}/"
    assert "没有可用于 PDF 对账单的中文字体：请安装 fonts-wqy-zenhei" in response.content.decode()
