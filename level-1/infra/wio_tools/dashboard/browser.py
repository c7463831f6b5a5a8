"""Headless Debian Chromium through selenium, for the browser test and the benchmark.

selenium is a dev dependency; ``apt-get install chromium chromium-driver`` provides the
browser and its driver (``/usr/bin/chromium``, ``/usr/bin/chromedriver``). Nothing is
downloaded: selenium is pointed at those two files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from typing import Any, Iterator

CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def find_chromium() -> tuple[str, str] | None:
    """``(chromium, chromedriver)`` paths, or None when either is not installed."""
    browser = os.environ.get("WIO_CHROMIUM") or shutil.which("chromium")
    driver = os.environ.get("WIO_CHROMEDRIVER") or shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@contextmanager
def headless_chrome(*, width: int = 1280, height: int = 900, lang: str = "en-US") -> Iterator[Any]:
    """A selenium Chrome driver on Debian's chromium with a fresh profile; quit on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_chromium()
    if found is None:
        raise RuntimeError(
            "chromium/chromedriver not found: apt-get install chromium chromium-driver"
        )
    browser, driver_path = found
    with tempfile.TemporaryDirectory(prefix="wio-chrome-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in CHROME_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.add_argument(f"--window-size={width},{height}")
        options.add_argument(f"--lang={lang}")
        options.add_experimental_option("prefs", {"intl.accept_languages": lang})
        driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
        try:
            yield driver
        finally:
            driver.quit()
