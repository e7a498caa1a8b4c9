"""Feeds, sitemap and static-host readiness, checked with real parsers; and serve mode."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import feedparser
import pytest
import yaml
from bs4 import BeautifulSoup

from generator import build
from generator.site import tag_slug

from .conftest import BASE_URL, ROOT, run_cli, start_serve, tree_digest

RFC822 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")
SOURCES = yaml.safe_load((ROOT / "seeds/sources.yaml").read_text(encoding="utf-8"))
TOPICS = sorted(p.stem for p in (ROOT / "content/topics").glob("*.md"))


def _link_date(link: str) -> object:
    """The date in the metadata of the topic or source a feed item links to (None: unknown)."""
    slug = link.rstrip("/").rsplit("/", 1)[-1]
    for source in SOURCES:
        if source["id"] == slug:
            return source["date"]
    return slug in TOPICS  # topics are dated


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_site_feed_parses_and_lists_everything(site_dir: Path, name: str) -> None:
    feed = feedparser.parse((site_dir / name).read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.feed.title and feed.feed.link == BASE_URL
    entries = feed.entries
    assert len(entries) == len(TOPICS) + len(SOURCES)
    links = {e.link for e in entries}
    assert {f"{BASE_URL}topics/{t}/" for t in TOPICS} <= links
    assert {f"{BASE_URL}sources/{s['id']}/" for s in SOURCES} <= links
    key = "updated_parsed" if name == "atom.xml" else "published_parsed"  # RSS has pubDate only
    dated = [e for e in entries if _link_date(e.link)]
    assert [e.link for e in entries[: len(dated)]] == [e.link for e in dated], "undated last"
    updated = [e[key] for e in dated]
    assert updated == sorted(updated, reverse=True), "newest first"
    for entry in entries:
        assert entry.link.startswith(BASE_URL)
        assert entry.id and entry.title and entry.summary
        html = entry.content[0].value
        for tag in BeautifulSoup(html, "html.parser").find_all(href=True):
            assert tag["href"].startswith(("http://", "https://", "mailto:")), tag["href"]
        assert entry.get("tags"), "categories from tags"


def test_rss_and_atom_required_elements_and_date_formats(site_dir: Path) -> None:
    rss = BeautifulSoup((site_dir / "feed.xml").read_bytes(), "xml")
    channel = rss.find("channel")
    for required in ("title", "link", "description"):
        assert channel.find(required, recursive=False).get_text().strip()
    for item in rss.find_all("item"):
        assert item.title and item.link and item.guid and item.description
        if _link_date(item.link.get_text()):
            assert RFC822.match(item.pubDate.get_text()), item.pubDate.get_text()
        else:
            assert item.pubDate is None, "an unknown date is never given as a date"
        assert item.guid["isPermaLink"] == "false"
    atom = BeautifulSoup((site_dir / "atom.xml").read_bytes(), "xml")
    feed = atom.find("feed")
    for required in ("id", "title", "updated"):
        assert feed.find(required, recursive=False).get_text().strip()
    for entry in atom.find_all("entry"):
        link = entry.find("link")
        assert entry.id and entry.title and link.get("rel", "alternate") == "alternate"
        assert RFC3339.match(entry.updated.get_text()), entry.updated.get_text()
        if _link_date(link["href"]):
            assert RFC3339.match(entry.published.get_text())
        else:
            assert entry.published is None, "an unknown date is never given as a date"


def test_feed_dates_come_from_metadata(site_dir: Path) -> None:
    feed = feedparser.parse((site_dir / "atom.xml").read_bytes())
    by_link = {e.link: e for e in feed.entries}
    for source in SOURCES:
        entry = by_link[f"{BASE_URL}sources/{source['id']}/"]
        if source["date"]:
            date = str(source["date"])
            assert time.strftime("%Y-%m-%d", entry.published_parsed).startswith(date)
        else:
            assert "published_parsed" not in entry
            assert entry.summary.startswith("(Date of publication unknown")


def test_guids_are_stable_across_builds_and_edits(project: Path, tmp_path: Path) -> None:
    first = tmp_path / "first"
    build(project, first, base_url=BASE_URL)
    topic = project / "content/topics/taiwan.md"
    topic.write_text(
        topic.read_text(encoding="utf-8").replace("title: Taiwan", "title: Taiwan and the war"),
        encoding="utf-8",
    )
    second = tmp_path / "second"
    build(project, second, base_url=BASE_URL)
    ids = [
        {e.link: e.id for e in feedparser.parse((out / "atom.xml").read_bytes()).entries}
        for out in (first, second)
    ]
    assert ids[0] == ids[1]
    titles = {e.title for e in feedparser.parse((second / "feed.xml").read_bytes()).entries}
    assert "Taiwan and the war" in titles
    rss_ids = {e.link: e.id for e in feedparser.parse((second / "feed.xml").read_bytes()).entries}
    assert rss_ids == ids[1], "RSS guid and Atom id agree"


def test_json_feed_follows_the_spec(site_dir: Path) -> None:
    feed = json.loads((site_dir / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and feed["home_page_url"] == BASE_URL
    assert feed["feed_url"] == BASE_URL + "feed.json"
    assert len(feed["items"]) == len(TOPICS) + len(SOURCES)
    ids = [item["id"] for item in feed["items"]]
    assert len(set(ids)) == len(ids)
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["url"].startswith(BASE_URL)
        assert item.get("content_html") or item.get("content_text")
        if _link_date(item["url"]):
            assert RFC3339.match(item["date_published"])
        else:
            assert "date_published" not in item and "date_modified" not in item


def test_tag_feeds_hold_only_their_tag(site_dir: Path) -> None:
    tags = [p.parent.name for p in site_dir.glob("tags/*/index.html")]
    assert tags
    for tag in tags:
        for name in ("feed.xml", "atom.xml"):
            feed = feedparser.parse((site_dir / "tags" / tag / name).read_bytes())
            assert feed.bozo == 0
            assert feed.entries
            for entry in feed.entries:
                assert tag in {tag_slug(t.term) for t in entry.tags}
        page = soup(site_dir / "tags" / tag / "index.html")
        assert page.find("link", rel="alternate", href="feed.xml")
        assert page.select_one(".subscribe a[href='feed.xml']")


def test_every_page_advertises_feeds_and_has_meta(site_dir: Path) -> None:
    for path in site_dir.rglob("*.html"):
        page = soup(path)
        feeds = {link["type"] for link in page.find_all("link", rel="alternate")}
        assert {"application/rss+xml", "application/atom+xml"} <= feeds, path
        assert page.find("meta", property="og:title"), path
        assert page.find("meta", attrs={"name": "twitter:card"}), path
        assert page.find("link", rel="icon"), path
        if path.name != "404.html":
            canonical = page.find("link", rel="canonical")["href"]
            rel = path.relative_to(site_dir).as_posix()
            expected = BASE_URL + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
            assert canonical == expected
    assert soup(site_dir / "index.html").select_one(".subscribe a")


def test_sitemap_lists_every_page_but_404(site_dir: Path) -> None:
    sitemap = BeautifulSoup((site_dir / "sitemap.xml").read_bytes(), "xml")
    listed = [loc.get_text() for loc in sitemap.find_all("loc")]
    pages = {
        BASE_URL + p.relative_to(site_dir).as_posix().removesuffix("index.html")
        for p in site_dir.rglob("*.html")
        if p.name != "404.html"
    }
    assert len(listed) == len(set(listed))
    assert set(listed) == pages
    lastmods = {u.loc.get_text(): u.lastmod for u in sitemap.find_all("url")}
    assert lastmods[BASE_URL + "topics/taiwan/"].get_text() == "2026-11-26"
    robots = (site_dir / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {BASE_URL}sitemap.xml" in robots
    assert (site_dir / ".nojekyll").is_file()


def test_404_links_resolve_from_any_depth(site_dir: Path) -> None:
    page = soup(site_dir / "404.html")
    assert page.find("base") is None
    checked = 0
    for requested in ("/briefing/missing", "/briefing/a/b/c/missing.html"):
        document_url = "https://example.org" + requested
        for element in page.find_all(["a", "link"], href=True):
            if element["href"].startswith("#"):
                continue  # in-page (skip link)
            target = urljoin(document_url, element["href"])
            if element.get("rel") == ["canonical"] or not target.startswith(BASE_URL):
                assert not target.startswith("https://example.org/briefing"), target
                continue
            path = unquote(urlsplit(target).path[len("/briefing/") :]) or "index.html"
            if path.endswith("/"):
                path += "index.html"
            assert (site_dir / path).is_file(), (requested, element["href"])
            checked += 1
    assert checked >= 10


def test_without_a_url_feeds_link_relative_to_themselves(project: Path, tmp_path: Path) -> None:
    """No url: the feeds are still written and advertised, with no absolute link a
    reader could not follow; the sitemap and canonical links, which must be absolute,
    are left out, and the warning says what setting url: gains."""
    result = run_cli("--root", str(project), "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "warning: no site URL" in result.stderr and "absolute links" in result.stderr
    out = tmp_path / "out"
    assert not (out / "sitemap.xml").exists() and "Sitemap" not in (out / "robots.txt").read_text()
    for page in ("index.html", "tags/china/index.html", "sources/blinken-meets-wang-yi/index.html"):
        html = soup(out / page)
        assert not html.find("link", rel="canonical")
        feeds = {link["href"] for link in html.find_all("link", rel="alternate")}
        assert len(feeds) >= 3 and all(not h.startswith(("http:", "https:", "/")) for h in feeds)
    rss = BeautifulSoup((out / "tags/china/feed.xml").read_bytes(), "xml")
    assert rss.find("link").get_text() == "./"
    assert {i.link.get_text() for i in rss.find_all("item")} >= {"../../topics/taiwan/"}
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    assert feed["feed_url"] == "feed.json" and feed["home_page_url"] == "./"
    ids = {e.link: e.id for e in feedparser.parse((out / "atom.xml").read_bytes()).entries}
    assert len(ids) == len(TOPICS) + len(SOURCES) and all(
        i.startswith("urn:uuid:") for i in ids.values()
    )


def test_the_atom_subtitle_is_escaped_once(site_dir: Path) -> None:
    settings = yaml.safe_load((ROOT / "briefing.yaml").read_text(encoding="utf-8"))
    assert "'" in settings["description"]
    feed = feedparser.parse((site_dir / "atom.xml").read_bytes())
    assert feed.feed.subtitle == settings["description"]
    rss = feedparser.parse((site_dir / "feed.xml").read_bytes())
    assert rss.feed.subtitle == settings["description"]


def test_source_date_epoch_sets_the_built_on_date(project: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}  # 2023-11-14
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "build.py"),
                "--root",
                str(project),
                "-q",
                "--output",
                str(out),
                "--base-url",
                BASE_URL,
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        outs.append(out)
    footer = soup(outs[0] / "index.html").select_one(".site-footer time")
    assert footer["datetime"] == "2023-11-14"
    rss = BeautifulSoup((outs[0] / "feed.xml").read_bytes(), "xml")
    assert rss.find("lastBuildDate").get_text().startswith("Tue, 14 Nov 2023")
    assert tree_digest(outs[0]) == tree_digest(outs[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8")


def test_serve_builds_serves_and_rebuilds(project: Path) -> None:
    served = start_serve(project)
    process, base = served.process, served.base
    try:
        status, html = _get(base + "about/")
        assert status == 200 and "About this briefing" in html
        assert "__briefing__/version" in html, "the live-reload script is injected"
        # No url: is set, so the preview's own address is the site's URL.
        feed = feedparser.parse(_get(base + "feed.xml")[1])
        assert feed.bozo == 0 and feed.entries
        assert all(entry.link.startswith(base) for entry in feed.entries)
        assert _get(base + "sitemap.xml")[0] == 200
        assert f'<link rel="canonical" href="{base}about/">' in html
        version = _get(base + "__briefing__/version")[1]
        assert _get(base + "no/such/page")[0] == 404
        about = project / "content/pages/about.md"
        about.write_text(
            about.read_text(encoding="utf-8") + "\nA freshly added line.\n", encoding="utf-8"
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "freshly added" not in _get(base + "about/")[1]:
            time.sleep(0.3)
        assert "freshly added" in _get(base + "about/")[1]
        assert _get(base + "__briefing__/version")[1] != version, "open pages will reload"
        # a broken edit keeps the last good site served
        about.write_text("no front matter\n", encoding="utf-8")
        time.sleep(2)
        assert "freshly added" in _get(base + "about/")[1]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            stdout, stderr = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0
    assert "no front matter" in stderr and "Traceback" not in stderr
    stdout = served.said + stdout
    assert f"the preview uses its own address, {base}" in stdout
    assert "about.md changed: rebuilt in " in stdout, "one line per rebuild"


def test_feeds_hold_the_newest_items_only(project: Path, tmp_path: Path) -> None:
    with (project / "briefing.yaml").open("a", encoding="utf-8") as handle:
        handle.write("feed_items: 3\n")
    build(project, tmp_path / "out", base_url=BASE_URL)
    full = tmp_path / "full"
    build(ROOT, full, base_url=BASE_URL, use_cache=False)
    everything = feedparser.parse((full / "atom.xml").read_bytes()).entries
    for name in ("feed.xml", "atom.xml"):
        entries = feedparser.parse((tmp_path / "out" / name).read_bytes()).entries
        assert [e.link for e in entries] == [e.link for e in everything[:3]]
    assert len(json.loads((tmp_path / "out/feed.json").read_text("utf-8"))["items"]) == 3
