"""Screenshots of each page of the app for the README: starts the app on 127.0.0.1, runs a comparison in headless
Chromium (baseline against the combined package and take-home naloxone, 10 runs each) and saves one PNG per page
in docs/screenshots/.

Usage: python docs/screenshots.py   (needs Chromium: apt-get install chromium)
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from drugsim.webapp.serve import CHROMIUM_ARGS, chromium, serve  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDTH, HEIGHT = 1366, 2300  # a laptop's width; tall enough to show each page's main content


def main() -> None:
    OUT.mkdir(exist_ok=True)
    expect.set_options(timeout=300_000)
    with serve() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.goto(url)
        expect(page.get_by_role("heading", name="What would it change?")).to_be_visible()
        page.wait_for_timeout(1500)
        page.screenshot(path=OUT / "start.png")
        page.get_by_role("link", name=re.compile(r"Compare scenarios$")).click()
        others = page.get_by_role("combobox", name="Scenarios to compare with it")
        others.click()
        page.get_by_role("option", name="naloxone_take_home").click()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Run comparison").click()
        expect(page.get_by_test_id("stMetric")).to_have_count(16)  # 8 cards for each of 2 scenarios
        page.wait_for_timeout(1500)
        page.screenshot(path=OUT / "compare.png")
        for link, name in (
            ("Build a scenario", "build"),
            ("Assumptions", "assumptions"),
            ("Calibration", "calibration"),
            ("Export", "export"),
            ("Assumptions that matter", "sensitivity"),
        ):
            ends_with = re.compile(rf"{re.escape(link)}$")  # the accessible name may start with an icon's name
            page.get_by_role("link", name=ends_with).click()
            expect(page.get_by_role("heading", name=ends_with).first).to_be_visible()
            if name == "build":
                page.get_by_text("hat (off in baseline)").click()
            if name == "sensitivity":  # the take-home naloxone difference, by the overdose assumptions
                page.get_by_role("combobox", name="Answer to explain").click()
                page.get_by_role("option", name="naloxone_take_home minus baseline").click()
                page.get_by_role("combobox", name="Parameter groups to vary").click()
                page.keyboard.press("Backspace")  # keep "overdose", drop "naloxone"
                page.keyboard.press("Escape")
                page.get_by_role("button", name="Find the assumptions that matter").click()
                expect(page.get_by_test_id("stVegaLiteChart")).to_be_visible()
            page.wait_for_timeout(1500)
            page.screenshot(path=OUT / f"{name}.png")
        browser.close()
    print(f"wrote {', '.join(p.name for p in sorted(OUT.glob('*.png')))} to {OUT}")


if __name__ == "__main__":
    main()
