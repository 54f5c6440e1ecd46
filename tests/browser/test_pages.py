"""The summary page and a report, opened in headless Chromium at desktop and at phone width.

Each page must render with no console error or uncaught exception, load every image, keep
its text inside its boxes (a wide table may scroll inside its own box), have a viewport tag,
and give every image alt text. Screenshots are kept (see ``conftest.SCREENSHOTS``).
"""

from __future__ import annotations

import pagecheck
import pytest

PAGES = {"summary": "index.html", "window of need report": "window_of_need/window_of_need.html"}


@pytest.fixture(scope="module")
def pages(checker, published, screenshots):
    """Every page at every preset, checked once: {(page, preset): PageReport}."""
    out = {}
    for page, path in PAGES.items():
        for preset, size in pagecheck.PRESETS.items():
            shot = screenshots / f"{page.replace(' ', '_')}.{preset}.png"
            out[page, preset] = checker.check_page(published / path, root=published, **size,
                                                   screenshot_path=shot)
    return out


CASES = [pytest.param(page, preset, id=f"{page}, {preset}") for page in PAGES
         for preset in pagecheck.PRESETS]


@pytest.mark.parametrize(("page", "preset"), CASES)
class TestPageInABrowser:
    def test_it_renders_without_console_errors(self, pages, page, preset):
        report = pages[page, preset]
        assert (report.load_error, report.console_errors, report.page_errors) == (None, [], [])

    def test_every_image_and_file_loads(self, pages, page, preset):
        report = pages[page, preset]
        assert (report.image_count > 0, report.broken_images, report.failed_requests) == (
            True, [], [])

    def test_no_text_overflows_its_container(self, pages, page, preset):
        report = pages[page, preset]
        assert (report.overflows, report.page_overflow) == ([], None), report.summary()

    def test_it_has_a_viewport_tag(self, pages, page, preset):
        assert pages[page, preset].viewport_meta

    def test_every_image_has_alt_text(self, pages, page, preset):
        assert pages[page, preset].missing_alt == []

    def test_alt_text_is_not_a_placeholder(self, pages, page, preset):
        # Report figures carry alt text written from the data (report.show_figure), not
        # nbconvert's "No description has been provided for this image".
        assert pages[page, preset].placeholder_alt == []

    def test_the_screenshot_is_kept(self, pages, page, preset):
        assert pages[page, preset].screenshot_path
