"""End to end in a real browser: `streamlit run app.py` on 127.0.0.1, driven by Playwright in the system's headless
Chromium. A two-scenario comparison runs, its numbers and charts appear, a bad upload is explained, and the
briefing pack downloads and opens.

Needs Chromium (Debian/Ubuntu: `apt-get install chromium`; `.ci/run` installs it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from pypdf import PdfReader

from drugsim.webapp.serve import CHROMIUM_ARGS, chromium, serve

# Full-scale runs, ensembles or the app: the whole suite runs these; the quick tier (-m 'not slow') does not.
pytestmark = pytest.mark.slow

TIMEOUT_MS = 180_000
expect.set_options(timeout=TIMEOUT_MS)  # the first comparison starts worker processes and runs the model


@pytest.fixture(scope="module")
def browser_page():
    with serve() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        yield url, page
        browser.close()


def _listening(port: int) -> list[str]:
    """Local addresses listening on `port` (Linux /proc/net/tcp and tcp6; hex, as the kernel writes them)."""
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hexport = local.split(":")
            if state == "0A" and int(hexport, 16) == port:
                out.append(address)
    return out


def test_the_app_listens_on_this_machine_only(browser_page):
    url, _ = browser_page
    addresses = _listening(int(url.rsplit(":", 1)[1]))
    assert addresses, "the app's port is not listening"
    loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1
    assert set(addresses) <= loopback, addresses


def test_two_scenario_comparison_then_briefing_pack(browser_page, tmp_path):
    url, page = browser_page
    assert url.startswith("http://127.0.0.1:")
    # The first screen says what the tool is for; the comparison is one click away.
    expect(page.get_by_role("heading", name="What would it change?")).to_be_visible()
    expect(page.get_by_text("Start with a question")).to_be_visible()
    page.get_by_role("link", name="Compare scenarios").click()
    expect(page.get_by_role("heading", name="Compare scenarios")).to_be_visible()
    runs = page.get_by_role("spinbutton", name="Runs per scenario")
    runs.fill("2")
    runs.press("Enter")
    expect(runs).to_have_value("2")
    page.get_by_role("button", name="Run comparison").click()

    # Headline cards with numbers, and charts drawn.
    cards = page.get_by_test_id("stMetric")
    expect(cards).to_have_count(8)  # four outcomes, four money cards
    expect(cards.first).to_contain_text("Drug deaths")
    assert re.search(r"[+-]?[\d,]+", cards.first.get_by_test_id("stMetricValue").inner_text())
    expect(page.get_by_text("90% prediction interval").first).to_be_visible()
    assert re.search(r"[\d.,]+ to [+-]?[£\d.,]+", cards.first.get_by_test_id("stMetricDelta").inner_text())
    images = page.get_by_test_id("stImage")
    expect(images.first).to_be_visible()
    assert images.count() >= 1
    box = images.first.locator("img").bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100

    # The briefing pack downloads and opens.
    page.get_by_role("link", name="Export").click()
    button = page.get_by_role("button", name="Download the briefing pack (PDF)")
    expect(button).to_be_visible()
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        button.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".pdf"
    pdf = PdfReader(path)
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert len(pdf.pages) >= 10
    assert "combined_package" in text and "baseline" in text and "Reproducibility" in text


def test_an_example_question_from_the_start_page_answers_with_the_settings_kept(browser_page):
    """A first visit's journey: the start page's first question opens the Compare page and runs it at once, with
    the runs per scenario chosen earlier on the Compare page (settings survive other pages)."""
    url, page = browser_page
    page.get_by_role("link", name="Compare scenarios").click()
    runs = page.get_by_role("spinbutton", name="Runs per scenario")
    runs.fill("2")
    runs.press("Enter")
    expect(runs).to_have_value("2")
    page.get_by_role("link", name="Start here").click()
    expect(page.get_by_text("Should take-home naloxone go force-wide?")).to_be_visible()
    page.get_by_role("button", name="Show the answer").first.click()
    expect(page.get_by_role("heading", name="Compare scenarios")).to_be_visible()
    expect(page.get_by_role("spinbutton", name="Runs per scenario")).to_have_value("2")
    cards = page.get_by_test_id("stMetric")
    expect(cards).to_have_count(8)
    expect(page.get_by_text("naloxone_take_home").first).to_be_visible()
    # Lives and health are valued apart from cash (the card that mixed them is gone).
    expect(cards.filter(has_text="Lives and health")).to_have_count(1)
    expect(cards.filter(has_text="Cash for public budgets")).to_have_count(1)


def test_bad_upload_is_explained_in_the_browser(browser_page, tmp_path):
    url, page = browser_page
    page.get_by_role("link", name="Build a scenario").click()
    expect(page.get_by_role("heading", name="Build a scenario")).to_be_visible()
    bad = tmp_path / "broken.toml"
    bad.write_text('[scenario]\nname = "broken"\nextends = "baseline"\n[interventions.hat]\nplaces = { narnia = 5 }\n')
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(bad))
    alert = page.get_by_text("This file cannot be used")
    expect(alert).to_be_visible()
    # The refusal quotes the file as plain text (a code block), never as Markdown.
    expect(page.get_by_test_id("stCode").last).to_contain_text("narnia")
