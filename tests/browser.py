"""Headless Chromium for the browser tests, driven by Selenium and chromedriver.

One browser serves the whole test run (the ``driver`` fixture in ``conftest.py``):
starting Chromium takes a second or two, and each test opens its own page anyway.

Needs ``selenium`` (in the ``test`` extra), Chromium and its chromedriver (Debian:
``apt-get install chromium chromium-driver``). Found on the PATH, or set
MICROGRADX_CHROMIUM and MICROGRADX_CHROMEDRIVER to their paths. Without them the
browser tests are skipped, except when the environment variable CI is set: then they
fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LAUNCH_FLAGS = (
    "--headless",
    "--no-sandbox",  # needed when running as root, as CI does
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def no_browser(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason}. CI is set, so the browser test must run: install it.")
    pytest.skip(f"{reason}: the browser tests are skipped")


def find_program(variable: str, names: tuple[str, ...]) -> str | None:
    if os.environ.get(variable):
        return os.environ[variable]
    return next((shutil.which(name) for name in names if shutil.which(name)), None)


def start_browser():
    """Start headless Chromium; yield its Selenium driver; quit it after."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        no_browser("selenium is not installed (pip install selenium)")
    chromium = find_program("MICROGRADX_CHROMIUM", BROWSER_NAMES)
    chromedriver = find_program("MICROGRADX_CHROMEDRIVER", ("chromedriver",))
    if chromium is None:
        no_browser("no Chromium found (apt-get install chromium, or set MICROGRADX_CHROMIUM)")
    if chromedriver is None:
        no_browser(
            "no chromedriver found (apt-get install chromium-driver, "
            "or set MICROGRADX_CHROMEDRIVER)"
        )
    profile = tempfile.mkdtemp(prefix="microgradx-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*LAUNCH_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(chromedriver))
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)
