"""Fixtures the browser tests share: Debian's Chromium, driven by Playwright."""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium, or a skip that says how to install it (never skipped in CI)."""
    if not Path(CHROMIUM).exists():
        message = ("Debian's Chromium is not installed, so the browser tests cannot run. "
                   "Install it with: sudo apt-get install chromium")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium):
    """Headless Chromium driven by Playwright; closed afterwards."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as playwright:
        chrome = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield chrome
        finally:
            chrome.close()


@pytest.fixture
def show_explorer():
    """Return a function that does what displaying an explorer in a notebook does first: draw it.

    ipywidgets 8 draws an explorer when it is built; ipywidgets 7 (Colab's) only once it is displayed.
    """
    import ipywidgets

    def show(explorer) -> None:
        if ipywidgets.__version__.startswith("7."):
            explorer.update()
    return show
