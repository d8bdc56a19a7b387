"""Render report.html in headless Chromium: no console errors, every image decoded, no script.

Chromium must be installed (Debian's ``chromium``); without it these tests fail, they never skip.
"""

import time

from report_fixtures import HOSTILE_TASK
from headless_chromium import render_page


def test_report_renders_cleanly_in_chromium(hostile_report):
    started = time.monotonic()
    page = render_page(hostile_report.html)
    elapsed = time.monotonic() - started
    assert page.errors == []
    figures = sum(1 for p in hostile_report.plots if p.suffix == ".png")
    assert page.images == figures and page.images_loaded == page.images
    # The hostile task name is shown as text and never became an element or a dialog.
    assert page.scripts == 0 and page.dialogs == []
    assert HOSTILE_TASK in page.text
    assert "Answer" in page.text and "per doubling of the intermediate batch size" in page.text
    print(f"chromium render took {elapsed:.1f} s")


def test_the_probe_sees_broken_images_and_console_errors(tmp_path):
    """Guards the harness itself: a page with faults must be reported as faulty."""
    broken = tmp_path / "broken.html"
    broken.write_text('<!DOCTYPE html><html><body><img src="data:image/png;base64,AAAA">'
                      '<img src="missing.png"><script>console.error("boom")</script></body></html>')
    page = render_page(broken)
    assert page.images == 2 and page.images_loaded == 0
    assert any("boom" in error for error in page.errors)
    assert page.scripts == 1
