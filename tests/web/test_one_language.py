"""Every page reads in one language at a time.

Each page of the back office and the portal is rendered in Simplified Chinese and in English. In
Chinese no text may be a catalogue message left in English (a string that escaped translation);
in English no text may be a catalogue translation (a Chinese label written into the code); in
either, no label may carry both languages ("Draft / 草稿"). Text means what a reader sees: text
nodes and the placeholder, title and aria-label attributes, outside scripts and styles. Data
(customer names, policy names, codes) is not from the catalogue and is left alone.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.web.test_translations import source_entries
from tests.web.test_url_matrix import PAGES, PORTAL, PORTAL_ACTIONS, url

pytestmark = pytest.mark.django_db

BILINGUAL = re.compile(r"[A-Za-z][A-Za-z ()'-]* / [\u4e00-\u9fff]")
SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label")


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append(" ".join(data.split()))


def texts(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def _catalogue() -> tuple[set[str], set[str]]:
    """(English messages that have a different Chinese translation, their Chinese translations),
    skipping messages that read the same in both (codes, "VIP", "¥")."""
    english, chinese = set(), set()
    for (_context, msgid), msgstr in source_entries().items():
        if msgstr and msgstr != msgid and "%" not in msgid and "{" not in msgid:
            english.add(msgid.replace('\\"', '"'))
            chinese.add(msgstr.replace('\\"', '"'))
    return english, chinese


def _pages(client: Client, world: dict, language: str) -> dict[str, str]:
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    rendered = {}
    client.force_login(world["users"]["administrator"])
    for name, (arguments, _) in PAGES.items():
        response = client.get(url(world, name, arguments))
        if response["Content-Type"].startswith("text/html"):
            rendered[name] = response.content.decode()
    client.force_login(world["users"]["portal"])
    for name, arguments in PORTAL.items():
        if name not in PORTAL_ACTIONS:
            response = client.get(url(world, name, arguments))
            if response["Content-Type"].startswith("text/html"):
                rendered[name] = response.content.decode()
    return rendered


@pytest.mark.usefixtures("issued")  # the customer sees only issued statements
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_reads_in_one_language(client, disputed, language):
    english, chinese = _catalogue()
    foreign = english if language == "zh-hans" else chinese
    found = {}
    for name, html in _pages(client, disputed, language).items():
        wrong = sorted({text for text in texts(html) if text in foreign or BILINGUAL.search(text)})
        if wrong:
            found[name] = wrong
    assert found == {}
