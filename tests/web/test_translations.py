"""Simplified Chinese is complete, and the compiled catalogue matches its source."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

LOCALE = Path(__file__).resolve().parents[2] / "fanli" / "locale" / "zh_Hans" / "LC_MESSAGES"


def source_entries() -> dict[tuple[str | None, str], str]:
    """(context or None, msgid) -> msgstr of every singular entry of the source catalogue."""
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    return {(m.group(1), m.group(2)): m.group(3) for m in re.finditer(
        r'^(?:msgctxt "(.+)"\n)?msgid "(.+)"\nmsgstr "(.*)"$', text, re.MULTILINE)}


def test_every_message_has_a_chinese_translation():
    untranslated = [msgid for msgid, msgstr in source_entries().items() if not msgstr]
    assert untranslated == []


def test_the_compiled_catalogue_holds_exactly_the_source_translations():
    with (LOCALE / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    for (context, msgid), msgstr in source_entries().items():
        text = msgid.replace('\\"', '"')
        found = catalog.pgettext(context, text) if context else catalog.gettext(text)
        assert found == msgstr.replace('\\"', '"')


@pytest.mark.django_db
def test_the_login_page_speaks_chinese_by_default_and_english_when_asked():
    client = Client()
    assert "登录" in client.get("/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    page = client.get("/login/").content.decode()
    assert "Log in" in page and "登录" not in page.split("<select")[0]


@pytest.mark.django_db
def test_each_language_is_offered_by_its_own_name_in_either_language():
    client = Client()
    for language in ("zh-hans", "en"):
        client.post("/i18n/setlang/", {"language": language, "next": "/login/"})
        menu = client.get("/login/").content.decode().split('name="language"')[1].split("</select>")[0]
        assert ">English</option>" in menu and ">简体中文</option>" in menu and "英语" not in menu


def test_every_translatable_text_in_the_code_has_a_chinese_translation(tmp_path):
    """The catalogue is complete: ``makemessages`` over a copy of the code finds no message without
    a Chinese translation and none it would have to guess (fuzzy). A string marked for
    translation but missing from ``django.po`` would otherwise show in English on a Chinese page."""
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext is missing: install gettext (sudo apt-get install gettext)")
    code = tmp_path / "fanli"
    shutil.copytree(LOCALE.parents[2], code, ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo"))
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "fanli.settings"}
    subprocess.run([sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-wrap"],
                   cwd=code, env=environment, check=True, capture_output=True)
    extracted = code / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    missing = []
    for flag in ("--untranslated", "--only-fuzzy"):
        listed = subprocess.run(["msgattrib", flag, "--no-wrap", "--no-location", str(extracted)],
                                capture_output=True, text=True, check=True).stdout
        missing += [m.group(1) for m in re.finditer(r'^msgid "(.+)"$', listed, re.MULTILINE)]
    assert missing == []
