"""The live build (serve's): after every edit of a long random sequence, once its search
index has caught up, the output is byte for byte what a clean build makes."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from generator import BuildError, BuildOptions, build, load_site
from generator.live import LiveSite
from generator.sources import SeedsSeen

from .conftest import BASE_URL, edit, tree_digest

SOURCE_TEXT = """A Newly Saved Report

Officials met on Tuesday to discuss the corridor, a spokesman said.

The talks covered grain shipments and insurance for the ports.
"""


class Editor:
    """Random edits of a project, of every kind a writer makes, each leaving it valid
    (break() and mend() excepted)."""

    def __init__(self, project: Path, seed: int):
        self.project, self.rng = project, random.Random(seed)
        self.topics: list[str] = []  # slugs of the topics this editor made
        self.sources: list[str] = []  # ids of the sources this editor made
        self.cited: dict[str, str] = {}  # topic slug -> the source it cites
        self.count = 0

    def _name(self) -> str:
        self.count += 1
        return f"live-{self.count}"

    def _topic_file(self, slug: str) -> Path:
        return self.project / "content/topics" / f"{slug}.md"

    def _source_ids(self) -> list[str]:
        return ["blinken-meets-wang-yi", "us-china-exchanging-blows", *self.sources]

    def create_topic(self) -> None:
        slug, cited = self._name(), self.rng.choice(self._source_ids())
        self._topic_file(slug).write_text(
            f"---\ntitle: Topic {slug}\nsummary: Made by the live test.\ntags: [Live, China]\n"
            f"date: 2026-11-2{self.rng.randint(0, 8)}\n---\n\nA report says talks went on "
            f"[@{cited}].\n",
            encoding="utf-8",
        )
        self.topics.append(slug)
        self.cited[slug] = cited

    def edit_topic(self) -> None:
        path = self.rng.choice(sorted((self.project / "content/topics").glob("*.md")))
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"\nA sentence added by edit {self.count} [@blinken-meets-wang-yi].\n")
        self.count += 1

    def quote_in_topic(self) -> None:
        if not self.topics:
            return self.create_topic()
        with self._topic_file(self.rng.choice(self.topics)).open("a", encoding="utf-8") as f:
            f.write(
                '\nThe report says [@blinken-meets-wang-yi "China has avoided criticizing or '
                'labelling the war as an invasion."].\n'
            )

    def rename_topic(self) -> None:
        if not self.topics:
            return self.create_topic()
        old = self.rng.choice(self.topics)
        new = self._name()
        self._topic_file(old).rename(self._topic_file(new))
        self.topics[self.topics.index(old)] = new
        self.cited[new] = self.cited.pop(old)

    def delete_topic(self) -> None:
        if not self.topics:
            return self.create_topic()
        slug = self.topics.pop(self.rng.randrange(len(self.topics)))
        self._topic_file(slug).unlink()
        del self.cited[slug]

    def create_source(self) -> None:
        source_id = self._name()
        (self.project / "seeds" / f"{source_id}.txt").write_text(
            SOURCE_TEXT.replace("Tuesday", f"day {self.count}"), encoding="utf-8"
        )
        with (self.project / "seeds/sources.yaml").open("a", encoding="utf-8") as handle:
            handle.write(
                f"\n- id: {source_id}\n  file: {source_id}.txt\n  title: null\n  outlet: null\n"
                f"  author: null\n  date: 2023-03-0{self.rng.randint(1, 9)}\n  url: null\n"
                "  kind: news\n  language: en\n  tags: [Live, Trade]\n  note: made by a test\n"
            )
        self.sources.append(source_id)

    def edit_source(self) -> None:
        ids = list(self.sources)
        if not ids:
            return self.create_source()
        with (self.project / "seeds" / f"{self.rng.choice(ids)}.txt").open(
            "a", encoding="utf-8"
        ) as handle:
            handle.write(f"\nA paragraph added by edit {self.count}, officials said.\n")
        self.count += 1

    def edit_seed(self) -> None:
        """An edit of one of the repository's own seed files (its quoted text kept)."""
        seeds = sorted((self.project / "seeds").glob("0*.txt"))
        with self.rng.choice(seeds).open("a", encoding="utf-8") as handle:
            handle.write(f"\nA paragraph added by edit {self.count}, the ministry said.\n")
        self.count += 1

    def delete_source(self) -> None:
        free = [i for i in self.sources if i not in self.cited.values()]
        if not free:
            return self.create_source()
        source_id = self.rng.choice(free)
        (self.project / "seeds" / f"{source_id}.txt").unlink()
        sources = self.project / "seeds/sources.yaml"
        text = sources.read_text(encoding="utf-8")
        start = text.index(f"\n- id: {source_id}\n")
        end = text.find("\n- id: ", start + 1)
        sources.write_text(text[:start] + (text[end:] if end > 0 else "\n"), encoding="utf-8")
        self.sources.remove(source_id)

    def retag_source(self) -> None:
        edit(self.project / "seeds/sources.yaml", "tags: [China, ", f"tags: [Tag {self.count}, ")
        self.count += 1

    def edit_template(self) -> None:
        edit(
            self.project / "themes/default/templates/original.html",
            "<h1>Original text",
            f"<h1>Original text {self.count}",
        )
        self.count += 1

    def edit_settings(self) -> None:
        edit(self.project / "briefing.yaml", 'title: "', f'title: "{self.count} ')
        self.count += 1

    def edits(self) -> list[Callable[[], None]]:
        return [
            self.create_topic,
            self.edit_topic,
            self.quote_in_topic,
            self.rename_topic,
            self.delete_topic,
            self.create_source,
            self.edit_source,
            self.edit_seed,
            self.delete_source,
            self.retag_source,
            self.edit_template,
            self.edit_settings,
        ]


def clean(project: Path, out: Path) -> dict[str, bytes]:
    build(project, out, base_url=BASE_URL, use_cache=False, jobs=1)
    return tree_digest(out)


@pytest.mark.parametrize("seed", [1])
def test_a_live_build_equals_a_clean_build_after_every_edit(
    project: Path, tmp_path: Path, seed: int
) -> None:
    out = project / "output"
    live = LiveSite(project, out, BuildOptions(False, BASE_URL, None, True, 1))
    live.rebuild()
    live.wait()
    assert tree_digest(out) == clean(project, tmp_path / "clean-0")
    editor = Editor(project, seed)
    done: list[str] = []
    for number in range(1, 33):
        change = editor.rng.choice(editor.edits())
        change()
        done.append(change.__name__)
        if number % 8 == 0:  # a broken edit: the last good site stays, then it is mended
            topic = project / "content/topics/taiwan.md"
            good, before = topic.read_text(encoding="utf-8"), tree_digest(out)
            topic.write_text(
                good + '\n[@blinken-meets-wang-yi "words it never said"]\n', encoding="utf-8"
            )
            with pytest.raises(BuildError):
                live.rebuild()
            live.wait()
            assert tree_digest(out) == before, "a failed rebuild leaves the output as it was"
            topic.write_text(good, encoding="utf-8")
            done.append("break and mend")
        live.rebuild()
        live.wait()
        expected = clean(project, tmp_path / f"clean-{number}")
        assert tree_digest(out) == expected, done
    live.close()


def resident_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads /proc")
def test_a_long_running_live_build_keeps_its_memory(project: Path, tmp_path: Path) -> None:
    """150 edits, one in ten broken: memory stays where it was after the first few
    (the README states the bound, from a run of 1,000), and the output is a clean build's."""
    out = project / "output"
    live = LiveSite(project, out, BuildOptions(False, BASE_URL, None, False, 1))
    topic = project / "content/topics/taiwan.md"
    good = topic.read_text(encoding="utf-8")
    settled = 0.0
    for number in range(1, 151):
        if number % 10 == 0:
            topic.write_text(good + '\n[@blinken-meets-wang-yi "never said"]\n', encoding="utf-8")
            with pytest.raises(BuildError):
                live.rebuild()
        topic.write_text(good + f"\nEdit {number} [@blinken-meets-wang-yi].\n", encoding="utf-8")
        live.rebuild()
        live.wait()
        if number == 30:
            settled = resident_mb()
    assert resident_mb() - settled < 2.5, (settled, resident_mb())
    live.close()
    build(project, tmp_path / "clean", base_url=BASE_URL, use_cache=False, search=False, jobs=1)
    assert tree_digest(out) == tree_digest(tmp_path / "clean")


def test_closing_while_the_search_index_is_starting_stops_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new edit (or Ctrl-C) that comes while the background step is still starting
    Pagefind stops it too: nothing is indexed after close() (a late start used to run the
    whole index, at low priority, before serve could stop)."""
    import threading

    import generator.live

    starting, indexed = threading.Event(), []
    real_indexer = generator.live.Indexer

    class SlowToStart(real_indexer):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            starting.set()
            stop_asked.wait(5)
            super().__init__(*args, **kwargs)

        def add(self, *args: object) -> None:
            indexed.append(args)
            super().add(*args)

    stop_asked = threading.Event()
    options = BuildOptions(False, BASE_URL, None, True, 1)
    live = LiveSite(project, project / "output", options)
    live.rebuild()
    live.wait()
    edit(project / "content/topics/taiwan.md", "Taiwan", "Taiwan's", count=1)
    monkeypatch.setattr(generator.live, "Indexer", SlowToStart)
    live.rebuild()
    assert starting.wait(30), "the rebuild left search index parts to make"
    closing = threading.Thread(target=live.close)
    closing.start()
    while not live._stopped.is_set():
        pass
    stop_asked.set()
    closing.join(30)
    assert not closing.is_alive()
    assert not indexed, "no part was handed to Pagefind after the stop"


def test_a_build_in_another_terminal_between_two_live_builds(project: Path, tmp_path: Path) -> None:
    """serve keeps what it built in memory; a command-line build in between swaps in a
    folder of its own (and takes serve's spare), so serve's next build reads the cache
    instead, and gives a clean build's bytes (it once put an old page back)."""
    options = BuildOptions(False, BASE_URL, None, True, 1)
    out = project / "output"
    live = LiveSite(project, out, options)
    topic = project / "content/topics/taiwan.md"
    live.rebuild()
    live.wait()
    edit(topic, "Taiwan", "Taiwam", count=1)  # the same size: only the bytes differ
    live.rebuild()
    live.wait()
    edit(topic, "Taiwam", "Taiwan", count=1)
    build(project, out, base_url=BASE_URL, jobs=1)
    live.rebuild()
    live.wait()
    live.close()
    assert tree_digest(out) == clean(project, tmp_path / "clean")


def test_a_live_load_takes_the_unchanged_sources_as_they_were(project: Path) -> None:
    """After an edit of one seed file, the live build reads and cleans that file alone;
    an edit of sources.yaml reads them all; a seed file broken by an edit is reported."""
    seen = SeedsSeen()
    first = {s.file: s for s in load_site(project, seen=seen)[1].sources}
    edited = project / "seeds/001_aa6b22c0c52c705b.txt"
    with edited.open("a", encoding="utf-8") as handle:
        handle.write("\nA paragraph the edit added, an official said.\n")
    second = {s.file: s for s in load_site(project, seen=seen)[1].sources}
    assert [n for n in first if second[n] is not first[n]] == [edited.name]
    assert "the edit added" in second[edited.name].raw.decode()
    edited.write_text("  \n", encoding="utf-8")
    with pytest.raises(BuildError) as raised:
        load_site(project, seen=seen)
    assert [(p.file, p.message) for p in raised.value.problems] == [
        (f"seeds/{edited.name}", "file is empty")
    ]
    edit(project / "seeds/sources.yaml", 'title: "US-China', 'title: "Retitled US-China')
    edited.write_text("Text again.\n", encoding="utf-8")
    third = {s.file: s for s in load_site(project, seen=seen)[1].sources}
    assert all(third[n] is not second[n] for n in first)
