"""Outside checkers on the built site: the Nu Html Checker (vnu) on every page, and a link
check of the site served from a subfolder, as a reader's browser fetches it.

The checker needs a Java runtime (Debian's default-jre-headless) and vnu-jar from npm; both
are installed on a machine that lacks them, as the browser tests install Chromium.
Run these alone with:  python -m pytest -m validators
"""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from generator import build

from .conftest import BASE_URL, copy_project
from .deps import VNU, apt_install, ensure_npm_packages

pytestmark = pytest.mark.validators

# Headings a writer may type that once gave invalid or duplicate ids.
AWKWARD_HEADINGS = "\n## ???\n\n## Cite 1\n\n## Ref 1\n\n## Timeline heading\n\n## Cite 1\n"


def java() -> str:
    """The java command, installing a headless runtime when there is none."""
    if not shutil.which("java"):
        apt_install("default-jre-headless")
    found = shutil.which("java")
    assert found, "java is still missing after installing default-jre-headless"
    return found


@pytest.fixture(scope="module")
def awkward_site(tmp_path_factory: pytest.TempPathFactory, project_copy: Path) -> Path:
    """The repository's site, with headings that collide with the generator's own ids."""
    topic = project_copy / "content" / "topics" / "ukraine-support.md"
    topic.write_text(topic.read_text(encoding="utf-8") + AWKWARD_HEADINGS, encoding="utf-8")
    out = tmp_path_factory.mktemp("awkward") / "output"
    build(project_copy, out, base_url=BASE_URL, use_cache=False)
    return out


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A module-wide copy of the project's inputs (the project fixture is per test)."""
    return copy_project(tmp_path_factory.mktemp("project"))


def vnu_errors(files: list[Path]) -> list[str]:
    """The Nu Html Checker's errors for these files, one run for all, as file:line: message."""
    ensure_npm_packages()
    result = subprocess.run(
        [java(), "-jar", str(VNU), "--errors-only", "--format", "json"] + [str(f) for f in files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr)["messages"]
    assert result.returncode == (1 if messages else 0), result.stderr
    return [
        f"{unquote(urlsplit(m.get('url', '')).path)}:{m.get('lastLine', '?')}: "
        f"{m['type']}: {m['message']}"
        for m in messages
    ]


def test_the_nu_html_checker_finds_no_error_in_any_page(awkward_site: Path) -> None:
    pages = sorted(awkward_site.rglob("*.html"))
    assert len(pages) > 20
    errors = vnu_errors(pages)
    assert errors == [], "\n".join(errors)


def test_the_nu_html_checker_reports_what_it_finds(tmp_path: Path) -> None:
    """The checker runs for real: a page with an empty and a duplicate id fails."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!doctype html><html lang="en"><title>x</title><h2 id="">a</h2>'
        '<p id="cite-1">b</p><p id="cite-1">c</p></html>',
        encoding="utf-8",
    )
    errors = vnu_errors([page])
    assert any("Duplicate ID" in e and "cite-1" in e for e in errors), errors
    assert any("Bad value" in e and "id" in e for e in errors), errors


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """folder at http://127.0.0.1:PORT/NAME/: served from a subfolder, on a free port."""
    handler = functools.partial(QuietHandler, directory=str(folder.parent))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/{folder.name}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def fetch(url: str) -> tuple[int, str, bytes]:
    """Status, content type and body of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, "", b""


def references(url: str, soup: BeautifulSoup) -> Iterator[str]:
    """Every address a page links to, loads or submits a form to, made absolute."""
    for attribute in ("href", "src", "action"):
        for tag in soup.find_all(attrs={attribute: True}):
            yield urljoin(url, tag[attribute])


class Crawl:
    """A crawl of the served site from its home page: its pages, and what is broken."""

    def __init__(self, root: str):
        self.root = root
        parts = urlsplit(root)
        self.origin = f"{parts.scheme}://{parts.netloc}/"
        self.pages: dict[str, BeautifulSoup] = {}
        self.fetched: set[str] = set()
        self.fragments: list[tuple[str, str, str]] = []  # referrer, page, id
        self.broken: list[str] = []

    def run(self) -> Crawl:
        """Fetch every address of the site a page refers to, then check every fragment."""
        queue = [(self.root, "(start)")]
        while queue:
            address, referrer = queue.pop()
            if address not in self.fetched:
                self.fetched.add(address)
                queue += [(target, address) for target in self.check(address, referrer)]
        for referrer, address, fragment in self.fragments:
            soup = self.pages.get(address)
            if soup is not None and not soup.find(id=fragment):
                self.broken.append(f"{referrer}: {address}#{fragment}: no element has this id")
        return self

    def check(self, address: str, referrer: str) -> list[str]:
        """Fetch one address of the site; the addresses of the site its page refers to."""
        if not address.startswith(self.root):
            self.broken.append(f"{referrer}: {address} is outside the site's folder")
            return []
        status, kind, body = fetch(address)
        if status != 200:
            self.broken.append(f"{referrer}: {address} answers {status}")
            return []
        if kind != "text/html":
            return []
        soup = self.pages[address] = BeautifulSoup(body, "html.parser")
        targets = []
        for target in references(address, soup):
            if target.startswith(self.origin):  # other sites and mailto: are not ours to check
                target, fragment = urldefrag(target)
                targets.append(target)
                if fragment:
                    self.fragments.append((address, target, unquote(fragment)))
        return targets


def test_every_internal_link_of_the_served_site_resolves(awkward_site: Path) -> None:
    with serving(awkward_site) as root:
        found = Crawl(root).run()
    assert found.broken == [], "\n".join(found.broken)
    reached = {urlsplit(url).path.removeprefix(urlsplit(root).path) for url in found.pages}
    reached = {path + "index.html" if path.endswith("/") or not path else path for path in reached}
    pages = {p.relative_to(awkward_site).as_posix() for p in awkward_site.rglob("*.html")}
    assert pages - reached == {"404.html"}, "every page but 404.html is linked from another"


def test_the_link_check_reports_what_it_finds(tmp_path: Path) -> None:
    """The crawler fails a missing page, a missing id and a link out of the site's folder."""
    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "beside.html").write_text("<p>not the site</p>", encoding="utf-8")
    (site / "index.html").write_text(
        '<a href="gone/">a</a> <a href="#nowhere">b</a> <a href="../beside.html">c</a>'
        ' <a href="https://example.org/">d</a> <a href="#here" id="here">e</a>',
        encoding="utf-8",
    )
    with serving(site) as root:
        broken = Crawl(root).run().broken
    assert len(broken) == 3, broken
    assert any("gone/ answers 404" in b for b in broken), broken
    assert any("#nowhere: no element has this id" in b for b in broken), broken
    assert any("beside.html is outside the site's folder" in b for b in broken), broken
