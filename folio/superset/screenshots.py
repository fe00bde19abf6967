"""Render every dashboard in headless Chromium and save a screenshot of each.

    python -m folio.superset.screenshots URL USER OUT_DIR SLUG...   # password on stdin

Runs in Superset's environment (Selenium is there) with Debian's ``chromium`` and
``chromium-driver``. Logs in through the login form like a person, opens each dashboard
standalone, waits until every chart has finished loading, then records per dashboard: the
charts on it, the charts drawn (a canvas, an svg or a table inside the chart), the error
boxes and their text, and the screenshot's path. Prints the report as JSON.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = ("/usr/bin/chromedriver",)

# A chart slot on a dashboard, what counts as drawn inside it, and what counts as an error
SLOT = '[data-test="chart-grid-component"]'
DRAWN = "canvas, svg, table"
LOADING = '[data-test="loading-indicator"], .loading'
ERRORS = '[data-test="error-alert"], .alert-danger, [role="alert"]'


def _first(paths: tuple[str, ...]) -> str:
    for p in paths:
        if Path(p).exists():
            return p
    raise SystemExit(f"not installed: {paths[0]} (Debian packages chromium, chromium-driver)")


def driver(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = _first(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1600,2200",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(_first(DRIVER)), options=opts)


def login(browser, url: str, user: str, password: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{url}/login/")
    wait = WebDriverWait(browser, 60)
    name = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input#username")))
    name.send_keys(user)
    browser.find_element(By.CSS_SELECTOR, "input#password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "[type=submit], [data-test=login-button]").click()
    wait.until(lambda b: "/login" not in b.current_url)


def render(browser, url: str, slug: str, out: Path, timeout: float = 90) -> dict:
    from selenium.webdriver.common.by import By

    t0 = time.monotonic()
    browser.get(f"{url}/superset/dashboard/{slug}/?standalone=1")
    deadline = t0 + timeout
    slots: list = []
    while time.monotonic() < deadline:
        slots = browser.find_elements(By.CSS_SELECTOR, SLOT)
        loading = browser.find_elements(By.CSS_SELECTOR, LOADING)
        settled = [s for s in slots if s.find_elements(By.CSS_SELECTOR, f"{DRAWN}, {ERRORS}")]
        if slots and not loading and len(settled) == len(slots):
            break
        time.sleep(0.5)
    time.sleep(1.0)  # let animations finish before the picture
    drawn = sum(1 for s in slots if s.find_elements(By.CSS_SELECTOR, DRAWN))
    errors = [e.text.strip()[:300] for e in browser.find_elements(By.CSS_SELECTOR, ERRORS)]
    shot = out / f"{slug}.png"
    browser.save_screenshot(str(shot))
    return {
        "slug": slug,
        "title": browser.title,
        "charts": len(slots),
        "drawn": drawn,
        "errors": [e for e in errors if e],
        "seconds": round(time.monotonic() - t0, 1),
        "screenshot": str(shot),
    }


def main(argv: list[str]) -> int:
    url, user, out_dir, *slugs = argv
    password = sys.stdin.readline().rstrip("\n")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="folio-chromium-")
    browser = driver(profile)
    try:
        login(browser, url, user, password)
        report = [render(browser, url, slug, out) for slug in slugs]
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
