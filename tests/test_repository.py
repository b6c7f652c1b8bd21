"""The files a school needs to reuse microgradx: licence, citation, changelog.

Building the wheel and the sdist needs an isolated build (``python -m build``), too slow
for the test suite; these tests check what the build reads: ``license_files`` in
setup.cfg names a LICENSE that exists, so setuptools ships it in both (checked by hand:
``microgradx-0.1.0.dist-info/licenses/LICENSE`` and ``microgradx-0.1.0/LICENSE``).
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import microgradx

ROOT = Path(__file__).resolve().parent.parent


def test_the_licence_is_the_mit_text_and_is_shipped():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 The microgradx developers" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg", encoding="utf-8")
    assert setup["metadata"]["license"] == "MIT"
    assert setup["metadata"]["license_files"].split() == ["LICENSE"]


def test_the_citation_file_names_the_version_and_the_licence():
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    fields = dict(re.findall(r"^([a-z-]+):[ ]*(.*)$", text, re.M))
    assert fields["cff-version"] == "1.2.0"
    assert fields["message"] and fields["title"]
    assert fields["version"] == microgradx.__version__
    assert fields["license"] == "MIT"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", fields["date-released"])
    assert '  - name: "The microgradx developers"' in text


def test_the_changelog_has_an_unreleased_section_and_the_current_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.M)
    assert headings[0] == "Unreleased"
    assert "0.1.0" in headings
    assert "keepachangelog.com" in text
