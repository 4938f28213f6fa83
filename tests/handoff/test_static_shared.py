"""The staff pages (console, admin) share one copy of their common front-end code (handoff/static/shared/):
the sign-in view, the API helper, the DOM helpers and the canned-responses dialog. The browser tests
(tests/browser/test_console.py, test_admin.py) prove the pages work; these prove nothing is written twice."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "handoff" / "static"
STAFF_PAGES = ("console", "admin")


def _sources(page: str) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted((STATIC / page).glob("*")) if p.suffix in (".js", ".html")}


def test_the_admin_page_loads_nothing_from_the_console() -> None:
    for path, text in _sources("admin").items():
        assert "/static/console/" not in text and "../console/" not in text, path.name


def test_the_shared_modules_are_imported_by_both_staff_pages() -> None:
    for module in ("api.js", "dom.js", "signin.js", "canned.js"):
        assert (STATIC / "shared" / module).is_file()
        for page in STAFF_PAGES:
            assert any(f'"../shared/{module}"' in text for text in _sources(page).values()), (page, module)
    for page in STAFF_PAGES:
        assert '/static/shared/staff.css' in (STATIC / page / "index.html").read_text()


def test_sign_in_and_the_canned_dialog_are_written_once() -> None:
    for page in STAFF_PAGES:
        for path, text in _sources(page).items():
            assert "api.login(" not in text, path  # the sign-in request: shared/signin.js only
            assert 'id="canned-dialog"' not in text and "canned-edit-title" not in text, path
    assert "api.login(" in (STATIC / "shared" / "signin.js").read_text()
    assert "canned-edit-title" in (STATIC / "shared" / "canned.js").read_text()


def test_every_relative_import_of_the_staff_pages_resolves() -> None:
    for folder in (*STAFF_PAGES, "shared"):
        for path in (STATIC / folder).glob("*.js"):
            for target in re.findall(r'from "(\.{1,2}/[^"]+)"', path.read_text()):
                assert (path.parent / target).resolve().is_file(), (path.name, target)
