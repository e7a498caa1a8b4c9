"""Rebuilds with the cache give exactly what a clean build gives, after every kind of edit."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from generator import build

from .conftest import BASE_URL, edit, run_cli, tree_digest


def clean_build(project: Path, out: Path) -> dict[str, bytes]:
    build(project, out, base_url=BASE_URL, use_cache=False)
    return tree_digest(out)


def incremental(project: Path) -> dict[str, bytes]:
    out = project / "output"
    result = build(project, out, base_url=BASE_URL)
    assert not result.skipped
    return tree_digest(out)


def edit_source(project: Path) -> None:
    edit(
        project / "seeds/003_4340c87e853854e5.txt",
        "At the moment, it’s just the accusation.",
        "At the moment, it is only an accusation.",
    )
    topic = project / "content/topics/ukraine-support.md"
    edit(
        topic,
        '"At the moment, it’s just the\naccusation"',
        '"At the moment, it is only an\naccusation"',
    )
    edit(
        topic,
        '"At the moment, it’s just the accusation."',
        '"At the moment, it is only an accusation."',
    )


def rename_tag(project: Path) -> None:
    edit(project / "seeds/sources.yaml", "Spy balloon", "Surveillance balloon", count=-1)
    edit(
        project / "content/topics/spy-balloon.md",
        "tags: [Spy balloon",
        "tags: [Surveillance balloon",
    )


def delete_topic(project: Path) -> None:
    (project / "content/topics/sanctions.md").unlink()
    for path in [*project.glob("content/*.md"), *project.glob("content/topics/*.md")]:
        path.write_text(
            path.read_text(encoding="utf-8")
            .replace("[[Sanctions]]", "sanctions")
            .replace("[[sanctions]]", "sanctions"),
            encoding="utf-8",
        )
    edit(project / "content/timeline.yaml", ", sanctions]", "]", count=-1)


def retitle_topic(project: Path) -> None:
    """Source pages show the titles of the pages citing them."""
    edit(project / "content/topics/taiwan.md", "title: Taiwan", "title: Taiwan and the war")


def resummarise_topic(project: Path) -> None:
    """Pages linking to a topic, and the topic lists, show its summary; the pages linking to
    it are not rendered again from Markdown (their text did not change)."""
    edit(project / "content/topics/taiwan.md", "summary: How two", "summary: How just two")


def edit_template(project: Path) -> None:
    edit(
        project / "themes/default/templates/original.html",
        "<h1>Original text</h1>",
        "<h1>Original text, as saved</h1>",
    )


def edit_settings(project: Path) -> None:
    edit(project / "briefing.yaml", 'title: "China,', 'title: "Briefing: China,')


@pytest.mark.parametrize(
    "change",
    [
        edit_source,
        rename_tag,
        delete_topic,
        retitle_topic,
        resummarise_topic,
        edit_template,
        edit_settings,
    ],
)
def test_incremental_build_equals_clean_build(project: Path, tmp_path: Path, change) -> None:  # type: ignore[no-untyped-def]
    incremental(project)  # fills the cache
    change(project)
    after = incremental(project)
    assert after == clean_build(project, tmp_path / "clean")
    if change is delete_topic:
        assert "topics/sanctions/index.html" not in after
    if change is rename_tag:
        assert "tags/surveillance-balloon/index.html" in after
        assert "tags/spy-balloon/index.html" not in after
    if change is edit_source:
        page = after["sources/us-accuses-china-of-weighing-arms-for-russia/index.html"]
        assert "it is only an accusation" in page.decode()
    if change is retitle_topic:
        page = after["sources/wang-yi-signals-support-for-russia/index.html"].decode()
        assert "Taiwan and the war" in page
    if change is edit_template:
        page = after["sources/blinken-meets-wang-yi/original/index.html"].decode()
        assert "Original text, as saved" in page


def test_unchanged_inputs_skip_the_build(project: Path) -> None:
    out = project / "output"
    first = build(project, out, base_url=BASE_URL)
    before = tree_digest(out)
    second = build(project, out, base_url=BASE_URL)
    assert not first.skipped and second.skipped
    assert tree_digest(out) == before
    # a damaged output is noticed and rebuilt
    (out / "index.html").write_text("x", encoding="utf-8")
    assert not build(project, out, base_url=BASE_URL).skipped
    assert tree_digest(out) == before
    # other options are another build
    assert not build(project, out, base_url=BASE_URL + "other/").skipped
    result = run_cli("--root", str(project), "--base-url", BASE_URL + "other/")
    assert result.returncode == 0 and "nothing changed" in result.stdout


def test_damaged_cache_is_ignored(project: Path, tmp_path: Path) -> None:
    build(project, project / "output", base_url=BASE_URL)
    for path in (project / ".briefing-cache").iterdir():
        path.write_bytes(b"\x80garbage")
    edit_source(project)
    assert incremental(project) == clean_build(project, tmp_path / "clean")


def test_clean_option_removes_the_cache(project: Path) -> None:
    assert run_cli("--root", str(project), "-q").returncode == 0
    assert (project / ".briefing-cache").is_dir()
    result = run_cli("--root", str(project), "--clean")
    assert result.returncode == 0 and "files written" in result.stdout


def test_unchanged_source_pages_are_reused(project: Path, tmp_path: Path) -> None:
    out = project / "output"
    build(project, out, base_url=BASE_URL)
    kept = "sources/blinken-meets-wang-yi/index.html"
    changed = "sources/us-accuses-china-of-weighing-arms-for-russia/index.html"
    held = {}
    for path in (kept, changed):
        held[path] = tmp_path / path.replace("/", "_")
        os.link(out / path, held[path])  # keeps the old file's inode alive
    edit_source(project)
    build(project, out, base_url=BASE_URL)
    assert (out / kept).stat().st_ino == held[kept].stat().st_ino, "reused, not re-rendered"
    assert (out / changed).stat().st_ino != held[changed].stat().st_ino
    assert tree_digest(out) == clean_build(project, tmp_path / "clean")


def split_search_index(project: Path) -> None:
    """Make the five sources a 'large' site: a search index of topics and tags, plus shards."""
    settings = project / "briefing.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + "search_shard_size: 2\n", encoding="utf-8"
    )


def inodes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()
    }


def edit_unquoted_text(project: Path) -> None:
    """A sentence of a source that no page quotes: only that source's pages change."""
    edit(
        project / "seeds/001_aa6b22c0c52c705b.txt",
        "the two officials engaged in discussions",
        "the two officials engaged in long discussions",
    )


@pytest.mark.parametrize(
    "change", [edit_source, edit_unquoted_text, rename_tag, retitle_topic, delete_topic]
)
def test_search_shards_are_reindexed_only_when_their_pages_change(  # type: ignore[no-untyped-def]
    project: Path, tmp_path: Path, change
) -> None:
    split_search_index(project)
    out = project / "output"
    incremental(project)
    shards = sorted(p.name for p in out.glob("pagefind-sources-*"))
    topic_shards = sorted(p.name for p in out.glob("pagefind-topics-*"))
    assert len(shards) >= 2 and len(topic_shards) >= 2, (shards, topic_shards)
    search_page = (out / "search/index.html").read_text(encoding="utf-8")
    assert all(name in search_page for name in shards + topic_shards), "the page merges them"
    before = {name: inodes(out / name) for name in ["pagefind", *shards, *topic_shards]}
    pages_before = {
        p.relative_to(out).as_posix(): p.read_bytes() for p in out.glob("t*/*/index.html")
    }
    from generator.search import SearchPlan

    slugs = [p.parent.name for p in out.glob("topics/*/index.html")]
    topic_plan = dict(SearchPlan.make([], 2, slugs).topic_shards)
    change(project)
    after = incremental(project)
    assert after == clean_build(project, tmp_path / "clean")
    kept = [name for name, files in before.items() if inodes(out / name) == files]

    def unchanged(path: str) -> bool:
        return (out / path).is_file() and (out / path).read_bytes() == pages_before[path]

    # A shard of topics, and the main index (tags), is indexed again exactly when one of
    # its pages changed.
    for folder, members in topic_plan.items():
        same = all(unchanged(f"topics/{slug}/index.html") for slug in members)
        assert (folder in kept) == same, (folder, kept)
    tags_same = all(unchanged(path) for path in pages_before if path.startswith("tags/"))
    assert ("pagefind" in kept) == tags_same, kept
    kept = [name for name in kept if name.startswith("pagefind-sources-")]
    ids = [p.parent.name for p in out.glob("sources/*/index.html")]
    plan = dict(SearchPlan.make(ids, 2).shards)
    if change is edit_source:
        # The edited source's shard is indexed again; the other shards are the last
        # build's files.
        edited = next(
            n
            for n, members in plan.items()
            if "us-accuses-china-of-weighing-arms-for-russia" in members
        )
        assert sorted(kept) == sorted(set(shards) - {edited})
    if change is retitle_topic:
        # Source pages list the pages citing them, but search ignores those lists.
        assert sorted(kept) == shards
    if change is edit_unquoted_text:
        # Tag pages list the source (rendered again, the same bytes): the main index stays.
        edited = next(n for n, members in plan.items() if "blinken-meets-wang-yi" in members)
        assert sorted(kept) == sorted(set(shards) - {edited})
        assert tags_same, "tag pages list the source: rendered again, the same bytes"


def test_search_keys_use_the_recorded_digests_of_kept_pages(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache records the sha256 of each topic and tag page; a rebuild keys the search
    index with those of the pages it keeps instead of reading them back, and one whose cache
    has no digests (an older one) reads them and still gives a clean build's tree."""
    split_search_index(project)
    out = project / "output"
    incremental(project)
    manifest_path = project / ".briefing-cache" / "last-build.json"
    digests = json.loads(manifest_path.read_text(encoding="utf-8"))["page_digests"]
    pages = sorted(p.relative_to(out).as_posix() for p in out.glob("t*/*/index.html"))
    assert sorted(digests) == pages
    assert all(digests[p] == hashlib.sha256((out / p).read_bytes()).hexdigest() for p in pages)

    read_back: list[str] = []
    read_bytes = Path.read_bytes

    def spy(path: Path) -> bytes:
        if path.is_relative_to(out):
            read_back.append(path.relative_to(out).as_posix())
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", spy)
    edit_unquoted_text(project)  # the topic pages stay as they were
    build(project, out, base_url=BASE_URL)
    monkeypatch.undo()
    assert not [p for p in read_back if p in digests], read_back
    assert tree_digest(out) == clean_build(project, tmp_path / "clean")

    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["page_digests"]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    edit(project / "seeds/001_aa6b22c0c52c705b.txt", "long discussions", "lengthy discussions")
    assert incremental(project) == clean_build(project, tmp_path / "clean-2")
    assert json.loads(manifest_path.read_text(encoding="utf-8"))["page_digests"] == {
        p: hashlib.sha256((out / p).read_bytes()).hexdigest() for p in pages
    }


@pytest.mark.parametrize("failing", ["makedirs", "unlink", "_exchange"])
def test_a_rebuild_that_fails_while_making_the_new_tree_leaves_the_output_as_it_was(
    project: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """A rebuild makes the new site beside the output; if a step fails (sharing a kept
    file, replacing a changed one, the swap itself), the output is the previous site,
    byte for byte, nothing temporary is left, and the next build completes the update."""
    import generator.output

    out = project / "output"
    build(project, out, base_url=BASE_URL)
    rename_tag(project)
    incremental(project)  # the second build leaves a spare: the rebuild starts from it
    before = tree_digest(out)
    edit_source(project)
    delete_topic(project)
    target = generator.output if failing == "_exchange" else generator.output.os
    real = getattr(target, failing)
    calls = {"n": 0}

    def fail_the_third_call(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3 or failing == "_exchange":
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(target, failing, fail_the_third_call)
    with pytest.raises(OSError):
        build(project, out, base_url=BASE_URL)
    monkeypatch.setattr(target, failing, real)
    assert calls["n"] >= 1
    assert tree_digest(out) == before
    assert not [p for p in project.iterdir() if ".output.tmp-" in p.name]
    after = incremental(project)
    assert after == clean_build(project, project.parent / "clean")
    assert not (out / "topics/sanctions").exists(), "a deleted topic leaves no empty folder"


def test_a_rebuild_leaves_no_file_a_clean_build_would_not_write(project: Path) -> None:
    """The output after a rebuild is what a first build writes: stray files go too."""
    out = project / "output"
    build(project, out, base_url=BASE_URL)
    (out / "notes-by-hand.txt").write_text("not part of the site", encoding="utf-8")
    (out / "topics/old-topic").mkdir()
    (out / "topics/old-topic/index.html").write_text("gone", encoding="utf-8")
    kept = (out / "static/style.css").stat().st_ino
    edit_source(project)
    after = incremental(project)
    assert (out / "static/style.css").stat().st_ino == kept, "a rebuild, not a first build"
    assert "notes-by-hand.txt" not in after and "topics/old-topic/index.html" not in after
    assert not (out / "topics/old-topic").exists()
    assert after == clean_build(project, project.parent / "clean")


def test_a_path_that_turns_from_file_to_folder_and_back_rebuilds_as_a_clean_build(
    project: Path,
) -> None:
    """A theme's static file replaced by a folder of that name, and back: the new tree
    holds the last site's file (or folder) where the new one goes."""
    static = project / "themes/default/static"
    out = project / "output"
    (static / "extra").write_text("a file", encoding="utf-8")
    build(project, out, base_url=BASE_URL)
    for _ in range(2):  # the second time round, the rebuild starts from the spare
        (static / "extra").unlink()
        (static / "extra").mkdir()
        (static / "extra/a.txt").write_text("in a folder", encoding="utf-8")
        assert incremental(project) == clean_build(project, project.parent / "clean")
        shutil.rmtree(static / "extra")
        (static / "extra").write_text("a file again", encoding="utf-8")
        assert incremental(project) == clean_build(project, project.parent / "clean")


def test_rebuilds_on_a_file_system_without_hard_links(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where links cannot be made (FAT, some network shares), the tree copies."""
    import generator.output

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(generator.output.os, "link", refused)
    build(project, project / "output", base_url=BASE_URL)
    for change in (edit_source, rename_tag, retitle_topic):
        change(project)
        assert incremental(project) == clean_build(project, project.parent / "clean")


def test_without_an_atomic_exchange_a_failed_swap_puts_the_output_back(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the system has no renameat2 exchange, the swap is three renames: rebuilds
    still give a clean build's bytes, and if the second rename fails the old site is put
    back in its place."""
    import generator.output

    monkeypatch.setattr(generator.output, "_libc", lambda: None)
    out = project / "output"
    build(project, out, base_url=BASE_URL)
    edit_source(project)
    assert incremental(project) == clean_build(project, project.parent / "clean")
    before = tree_digest(out)
    rename_tag(project)
    real_replace = os.replace

    def refusing_the_new_site(source: object, target: object) -> None:
        if Path(str(target)) == out and ".tmp-" in str(source):
            raise PermissionError(13, "Permission denied", str(target))
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(generator.output.os, "replace", refusing_the_new_site)
    with pytest.raises(PermissionError):
        build(project, out, base_url=BASE_URL)
    monkeypatch.setattr(generator.output.os, "replace", real_replace)
    assert tree_digest(out) == before
    assert incremental(project) == clean_build(project, project.parent / "clean")


def test_a_rebuild_cleans_only_the_edited_source_and_reuses_feed_html(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache keeps what the next build needs: cleaned articles and feed item HTML."""
    import generator.cache
    import generator.feeds
    import generator.resolve

    out = project / "output"
    build(project, out, base_url=BASE_URL, jobs=1)
    buckets = {p.name: p.stat().st_ino for p in (project / ".briefing-cache").glob("articles-*")}
    assert buckets
    assert (project / ".briefing-cache/feed-html.json").is_file()
    cleaned: list[object] = []
    made: list[str] = []
    real_clean, real_absolutize = generator.cache.clean_request, generator.feeds.absolutize
    monkeypatch.setattr(
        generator.cache, "clean_request", lambda r: cleaned.append(r) or real_clean(r)
    )
    monkeypatch.setattr(  # sources' and topics' feed HTML
        generator.feeds, "absolutize", lambda h, u: made.append(u) or real_absolutize(h, u)
    )
    edit(
        project / "seeds/001_aa6b22c0c52c705b.txt",
        "the two officials engaged in discussions",
        "the two officials engaged in long discussions",
    )
    searched: list[object] = []
    real_locate = generator.resolve.locate_quote
    monkeypatch.setattr(
        generator.resolve,
        "locate_quote",
        lambda article, *rest: searched.append(article) or real_locate(article, *rest),
    )
    build(project, out, base_url=BASE_URL, jobs=1)
    assert len(cleaned) == 1
    # The cleaned articles are kept in buckets: only the edited article's old and new
    # buckets are written again.
    rewritten = [
        p.name
        for p in (project / ".briefing-cache").glob("articles-*")
        if buckets.get(p.name) != p.stat().st_ino
    ]
    assert 1 <= len(rewritten) <= 2, rewritten
    assert made == [BASE_URL + "sources/blinken-meets-wang-yi/"]
    # Quotes are sought again only in the edited article; the others are where they were.
    assert searched and all(article is searched[0] for article in searched)
    after = tree_digest(out)
    assert after == clean_build(project, project.parent / "clean")


def test_a_rebuild_in_the_same_process_takes_the_cache_from_memory_while_it_is_current(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """serve rebuilds in one process: what it wrote to the cache is not unpickled again,
    unless the file on disk is no longer the one it wrote."""
    import pickle

    import generator.cache

    out = project / "output"
    build(project, out, base_url=BASE_URL, jobs=1)
    unpickled: list[int] = []
    cleaned: list[object] = []
    real_loads, real_clean = pickle.loads, generator.cache.clean_request
    monkeypatch.setattr(
        generator.cache.pickle, "loads", lambda data: unpickled.append(1) or real_loads(data)
    )
    monkeypatch.setattr(
        generator.cache, "clean_request", lambda r: cleaned.append(r) or real_clean(r)
    )
    edit_source(project)
    after = incremental(project)
    assert unpickled == [] and len(cleaned) == 1
    assert after == clean_build(project, tmp_path / "clean")
    # Another process rewrites the cache (here: empties the cleaned articles): this one
    # reads the files again rather than trusting what it remembers, and cleans again.
    for bucket in (project / ".briefing-cache").glob("articles-*"):
        bucket.write_bytes(pickle.dumps({}))
    cleaned.clear()
    unpickled.clear()
    edit_unquoted_text(project)
    after = incremental(project)
    assert unpickled and len(cleaned) == 5
    assert after == clean_build(project, tmp_path / "clean2")


def test_a_damaged_or_foreign_cache_is_noted_under_verbose(project: Path, tmp_path: Path) -> None:
    """Garbage, a truncated file, or a file of another shape: each is ignored (the build is
    a clean one's) and said under -v only."""
    assert run_cli("--root", str(project), "-q").returncode == 0
    cache = project / ".briefing-cache"
    (cache / "verified-quotes.json").write_bytes(b"\x80garbage")
    articles = sorted(cache.glob("articles-*.pickle"))[0]
    articles.write_bytes(articles.read_bytes()[:20])
    (cache / "feed-html.json").write_text("[1, 2, 3]", encoding="utf-8")
    edit_source(project)
    quiet = run_cli("--root", str(project))
    assert quiet.returncode == 0 and "note:" not in quiet.stderr
    edit_unquoted_text(project)
    (cache / "verified-quotes.json").write_bytes(b"\x80garbage")
    verbose = run_cli("--root", str(project), "-v")
    assert verbose.returncode == 0, verbose.stderr
    assert "note: ignored the build cache's verified-quotes.json" in verbose.stderr
    build(project, tmp_path / "clean", use_cache=False)  # as the command line, no URL
    assert tree_digest(project / "output") == tree_digest(tmp_path / "clean")


def test_a_saved_pages_cached_article_is_keyed_by_the_extractors_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another trafilatura or readability-lxml may extract other text from the same page:
    an upgrade re-extracts saved pages, and leaves the cleaned text files cached."""
    import generator.cache as cache_module
    from generator.cleaning import CleanHints
    from generator.extract import CleanRequest

    from .test_extract import HARBOUR_STORY, page

    cleaned: list[bool] = []
    real = cache_module.clean_request
    monkeypatch.setattr(cache_module, "clean_request", lambda r: cleaned.append(r.html) or real(r))
    html = page("".join(f"<p>{s}</p>" for s in HARBOUR_STORY)).decode()
    requests = [
        CleanRequest(html, None, CleanHints(), html=True),
        CleanRequest("\n\n".join(HARBOUR_STORY), False, CleanHints()),
    ]

    def clean(versions: str) -> None:
        monkeypatch.setattr(cache_module, "extractor_versions", lambda: versions)
        store = cache_module.BuildCache(tmp_path)
        store.clean_all(requests)
        store._save_articles()

    clean("trafilatura 2.3.1")
    assert cleaned == [True, False]
    clean("trafilatura 2.3.1")
    assert cleaned == [True, False]  # both from the cache
    clean("trafilatura 2.4.0")
    assert cleaned == [True, False, True]  # the saved page only
