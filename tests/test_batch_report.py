"""The class report of a real batch with the MNIST gate, read as data and rendered in headless Chromium.

The browser test drives Debian's Chromium (``/usr/bin/chromium``, installed by .ci/run) with
playwright's client; it keeps a full-page screenshot in ``test-artifacts/`` (gitignored) and
prints its path.
"""
import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from autograder.batch.run import grade_class
from autograder.grading import GradeOptions

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CLASS = {"alice": "correct/book_style", "bob": "buggy/softmax_axis0", "carol": "correct/modern_python",
         "dave": "hostile/syntax_error"}


@pytest.mark.browser
@pytest.mark.mnist
@pytest.mark.slow
def test_class_report_with_the_gate_read_and_rendered(make_class, mnist_dir, tmp_path):
    # One test for one (costly) graded class: under pytest-xdist a module fixture may run twice.
    root = make_class(tmp_path / "class", CLASS)
    (root / "erin.zip").write_bytes(b"not a zip file")
    out = tmp_path / "out"
    summary = grade_class(root, out, GradeOptions(), jobs=2)
    check_report_content(out, summary)
    check_report_in_chromium(out)


def check_report_content(out, summary):
    status = {r.student: r.status for r in summary.records}
    assert status == {"alice": "graded", "bob": "graded", "carol": "graded", "dave": "graded", "erin": "refused"}
    book = {row["student"]: row for row in csv.DictReader((out / "gradebook.csv").open())}
    assert book["alice"]["mnist"] == book["carol"]["mnist"] != "0"
    assert book["alice"]["score"] == book["alice"]["max_score"]
    gate = [t for t in json.loads((out / "alice" / "results.json").read_text())["tests"] if t["tags"][0] == "mnist"]
    assert gate[0]["extra_data"]["test_accuracy"][-1] >= gate[0]["extra_data"]["threshold"]
    page = (out / "report.html").read_text()
    for section in ("scores", "exercises", "checks", "mistakes", "mnist", "time", "problems", "students"):
        assert f"id='{section}'" in page
    assert len(re.findall(r'<img class="plot"[^>]+src="data:image/png;base64,', page)) >= 7
    assert re.search(r"\d+ networks trained", page)
    assert "normalised the columns" in page, "bob's recognised mistake is listed"
    assert "erin" in page and "cannot read zip file" in page
    assert "MNIST gate&#x27;s share" in page or "MNIST gate's share" in page


def check_report_in_chromium(out):
    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium") or Path(CHROMIUM).exists(), "install Chromium: apt-get install -y chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "batch-report.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            problems = []
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.on("request", lambda r: problems.append(f"network request: {r.url}")
                    if not r.url.startswith(("file:", "data:")) else None)
            # The listeners catch what they should: a page with an error is noticed.
            page.set_content("<script>console.error('probe')</script>")
            assert problems == ["console error: probe"], problems
            problems.clear()

            page.goto((out / "report.html").as_uri())
            page.wait_for_load_state("load")
            images = page.evaluate("Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])")
            headings = page.evaluate("Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    print(f"report screenshot: {shot}")
    assert problems == [], problems
    assert len(images) >= 7 and all(complete and width > 100 for _, complete, width in images), images
    alts = " ".join(alt for alt, _, _ in images)
    for plot in ("histogram of scores", "failure rate per exercise", "checks sorted by failure rate",
                 "recognised mistake", "MNIST gate", "time per submission"):
        assert plot in alts, (plot, alts)
    assert "MNIST gate" in headings and "Timed out, crashed or refused" in headings
    assert shot.stat().st_size > 50_000
