"""The benchmark runs (at a tiny size, so it cannot rot) and parallel builds are exact."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from generator import build
from generator.schedule import PARALLEL_MIN_SOURCES
from generator.search import pagefind_binary

from .conftest import ROOT, tree_digest

sys.path.insert(0, str(ROOT / "bench"))

import run as bench_run  # noqa: E402
from corpus import generate  # noqa: E402


def test_benchmark_runs_and_writes_json(tmp_path: Path) -> None:
    """The whole bench, the live edit loop of `build.py serve` included; without Hugo and
    Pelican, which CI may not have."""
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench/run.py"),
            "--sources",
            "12",
            "--topics",
            "3",
            "--runs",
            "1",
            "--no-others",
            "--live-edits",
            "2",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    for key in (
        "briefing_full_s",
        "briefing_noop_s",
        "briefing_edit_source_s",
        "briefing_edit_topic_s",
        "briefing_full_no_search_s",
        "briefing_edit_source_no_search_s",
        "briefing_edit_topic_no_search_s",
        "briefing_serve_edit_source_s",
        "briefing_serve_edit_topic_s",
        "briefing_peak_mb",
        "briefing_live_edit_topic_s",
        "briefing_live_edit_source_s",
    ):
        assert isinstance(data[key], float) and data[key] > 0
    assert [len(data["live_edits_s"]["briefing"][kind]) for kind in ("topic", "source")] == [2, 2]
    for name, kinds in bench_run.OTHER_KINDS.items():
        for kind in kinds:
            assert data[f"{name}_{kind}_s"] is None and data[f"{name}_{kind}_peak_mb"] is None
    assert data["hugo_live_edit_topic_s"] is None and data["hugo_live_edit_source_s"] is None
    assert "hugo server not measured (--no-others)" in result.stdout
    assert "hugo, hugo + pagefind and pelican not measured (--no-others)" in result.stdout
    assert data["ratios"]["edit source / full"]["value"] > 0
    assert data["ratios"]["edit source / full"]["target"] is None
    assert not any("hugo" in label for label in data["ratios"]), "no Hugo, no ratio to it"


def run_bench(tmp_path: Path, *options: str) -> tuple[str, dict[str, Any]]:
    """bench/run.py at a tiny size, with Hugo and Pelican where installed; its output
    and its --json."""
    out = tmp_path / "bench.json"
    command = [sys.executable, str(ROOT / "bench/run.py"), "--sources", "12", "--topics", "3"]
    command += ["--runs", "1", "--json", str(out), *options]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout, json.loads(out.read_text(encoding="utf-8"))


def ratio_row(stdout: str, label: str) -> list[str]:
    """The ratio table's row for label: value, target and result, as printed."""
    rows = [line.strip() for line in stdout.splitlines() if line.strip().startswith(label)]
    assert len(rows) == 1, (label, stdout)
    value, operator, bound, *result = rows[0][len(label) :].split()
    return [value, f"{operator} {bound}", " ".join(result)]


@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_benchmark_measures_hugo_with_pagefind_and_pelican(tmp_path: Path) -> None:
    """With Hugo installed, the bench times Hugo's build then Pagefind over its output as
    one pair and rates Briefing against it, against Hugo alone and against Hugo's
    rebuilds after the same edits, each against its target; Pelican when installed."""
    if pagefind_binary() is None:
        pytest.skip("Pagefind is not installed")
    stdout, data = run_bench(tmp_path, "--no-live", "--keep", str(tmp_path / "corpus"))
    hugo = {kind: data[f"hugo_{kind}_s"] for kind in bench_run.OTHER_KINDS["hugo"]}
    assert all(isinstance(seconds, float) and seconds > 0 for seconds in hugo.values()), hugo
    assert hugo["full_pagefind"] == pytest.approx(hugo["full"] + hugo["pagefind"], abs=0.002)
    peaks = [data[f"hugo_{kind}_peak_mb"] for kind in ("full", "pagefind", "full_pagefind")]
    assert peaks[2] == max(peaks[:2])
    # Pagefind really indexed Hugo's pages, with the binary Briefing uses
    entry = tmp_path / "corpus/hugo/public/pagefind/pagefind-entry.json"
    assert json.loads(entry.read_text(encoding="utf-8"))["languages"]["en"]["page_count"] > 15
    ratios = data["ratios"]
    targets = {
        "briefing full / (hugo + pagefind)": "<= 1.0",
        "briefing full no search / hugo full": "<= 2.0",
        "edit source / hugo edit source": "<= 0.5",
        "edit topic / hugo edit topic": "<= 0.5",
    }
    for label, target in targets.items():
        ratio = ratios[label]
        assert ratio["target"] == target and ratio["value"] > 0, label
        assert ratio["met"] == (ratio["value"] <= float(target.split()[1])), label
        value, printed_target, result = ratio_row(stdout, label)
        assert float(value) == pytest.approx(ratio["value"], abs=0.006)
        assert printed_target == target and result == ("met" if ratio["met"] else "NOT met")
    pair = ratios["briefing full / (hugo + pagefind)"]["value"]
    assert pair == pytest.approx(data["briefing_full_s"] / hugo["full_pagefind"], rel=0.01)
    edit = ratios["edit topic / hugo edit topic"]["value"]
    assert edit == pytest.approx(data["briefing_edit_topic_s"] / hugo["edit_topic"], rel=0.01)
    # rebuilds like with like: with search against Hugo's followed by Pagefind, without
    # search against Hugo's alone (for comparison: the targets are against Hugo's)
    for kind in ("edit_source", "edit_topic"):
        name = kind.replace("_", " ")
        assert hugo[f"{kind}_pagefind"] > hugo[kind]
        pair = ratios[f"{name} / (hugo {name} + pagefind)"]
        assert pair["target"] is None
        expected = data[f"briefing_{kind}_s"] / hugo[f"{kind}_pagefind"]
        assert pair["value"] == pytest.approx(expected, rel=0.01)
        bare = ratios[f"{name} no search / hugo {name}"]["value"]
        expected = data[f"briefing_{kind}_no_search_s"] / hugo[kind]
        assert bare == pytest.approx(expected, rel=0.01)
    if bench_run.pelican_binary():
        assert data["pelican_full_s"] > 0 and data["pelican_edit_source_s"] > 0
        ratio = ratios["pelican full / briefing full"]
        assert ratio["target"] == ">= 3.0" and ratio["met"] == (ratio["value"] >= 3.0)
        value, printed_target, _ = ratio_row(stdout, "pelican full / briefing full")
        assert printed_target == ">= 3.0"
        assert data["not_measured"] == []
    else:
        assert data["pelican_full_s"] is None and "pelican full / briefing full" not in ratios
        assert bench_run.PELICAN_SETUP in stdout


@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_benchmark_edits_change_each_tools_pages(tmp_path: Path) -> None:
    """The command-line edits land in the pages, Briefing's (with and without search) and
    Hugo's alike: the source edit goes before the article's trailing furniture, where
    Briefing's cleaner keeps it (an edit after it would change no page, and time a rebuild
    that renders nothing).
    Round 0 is the command line's edit; Briefing's pages then show serve's, number 1."""
    run_bench(tmp_path, "--no-live", "--keep", str(tmp_path / "corpus"))
    briefing, hugo = tmp_path / "corpus/briefing/output", tmp_path / "corpus/hugo/public"
    bare = tmp_path / "corpus/briefing-no-search/output"
    assert not (bare / "pagefind").exists()
    for out, number in ((briefing, 1), (hugo, 0), (bare, 0)):
        source = (out / "sources/src-00000/index.html").read_text(encoding="utf-8")
        assert f"An added closing sentence number {number} for the benchmark." in source, out
        topic = BeautifulSoup((out / "topics/topic-0000/index.html").read_bytes(), "html.parser")
        text = f"An added closing paragraph number {number}"
        added = [p for p in topic.find_all("p") if p.get_text().startswith(text)]
        assert len(added) == 1, out
        assert added[0].select_one('a[href*="sources/src-00001"]'), "the added citation"


def test_ratio_targets() -> None:
    assert bench_run.Ratio("a", 0.99, "<= 1.0").met() is True
    assert bench_run.Ratio("a", 1.01, "<= 1.0").met() is False
    assert bench_run.Ratio("a", 3.2, ">= 3.0").met() is True
    assert bench_run.Ratio("a", 2.9, ">= 3.0").met() is False
    assert bench_run.Ratio("a", 2.9).met() is None


def test_generated_corpus_builds_with_its_quotes(tmp_path: Path) -> None:
    sites = generate(tmp_path / "corpus", 30, 4, ROOT)
    result = build(sites["briefing"], tmp_path / "out", use_cache=False)
    assert result.sources == 30 and result.topics == 4
    page = (tmp_path / "out/sources/src-00003/index.html").read_text(encoding="utf-8")
    assert "Advertisement" not in page and "Other Topics of Interest" not in page


def test_jobs_1_and_2_give_identical_trees(tmp_path: Path) -> None:
    # enough sources that cleaning and page rendering both use processes
    sites = generate(tmp_path / "corpus", PARALLEL_MIN_SOURCES + 10, 3, ROOT)
    build(sites["briefing"], tmp_path / "one", use_cache=False, jobs=1)
    build(sites["briefing"], tmp_path / "two", use_cache=False, jobs=2)
    assert tree_digest(tmp_path / "one") == tree_digest(tmp_path / "two")


def test_parallel_rebuild_renders_only_the_edited_source(tmp_path: Path) -> None:
    """With worker processes (the path large sites take), an edit re-renders one source
    page and re-indexes one search shard, and the result equals a clean build."""
    count = PARALLEL_MIN_SOURCES + 10
    site = generate(tmp_path / "corpus", count, 3, ROOT)["briefing"]
    settings = site / "briefing.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").rstrip("\n") + "\nsearch_shard_size: 100\n",
        encoding="utf-8",
    )
    build(site, site / "output", jobs=2)
    with (site / "seeds/src-00005.txt").open("a", encoding="utf-8") as handle:
        handle.write("\nA closing sentence added by the test.\n")
    result = build(site, site / "output", jobs=2)
    stages = [name for name, _ in result.stages]
    assert any(name.startswith(f"source pages (1 of {count} rendered") for name in stages), stages
    assert len(list((site / "output").glob("pagefind-sources-*"))) == 3
    build(site, tmp_path / "clean", use_cache=False, jobs=2)
    assert tree_digest(site / "output") == tree_digest(tmp_path / "clean")


def test_full_collections_are_held_only_during_a_build(tmp_path: Path) -> None:
    """A build holds off the garbage collector's full passes (a quarter of a rebuild at
    10,000 sources) and gives the thresholds back afterwards, also when it fails."""
    import gc

    from generator import BuildError

    sites = generate(tmp_path / "corpus", 20, 2, ROOT)
    seen: list[tuple[int, int, int]] = []
    gc.callbacks.append(lambda phase, info: seen.append(gc.get_threshold()))
    before = gc.get_threshold()
    try:
        build(sites["briefing"], tmp_path / "out", use_cache=False, jobs=1)
        assert gc.get_threshold() == before
        assert seen and all(t[2] > before[2] for t in seen), "held during the build"
        (sites["briefing"] / "seeds" / "sources.yaml").write_text("- id: [\n", "utf-8")
        with pytest.raises(BuildError):
            build(sites["briefing"], tmp_path / "out", use_cache=False, jobs=1)
        assert gc.get_threshold() == before
    finally:
        gc.callbacks.pop()


def test_forked_workers_inherit_their_items_instead_of_receiving_copies() -> None:
    """Workers get only an item's number and read the item from the memory fork gave
    them: items that cannot be pickled (a lock here; the site's sources were 16 MB of
    pickling per 1,000) still work, in order, and each worker really ran apart (shared
    work says which items this process did itself); parallel_map shares its items the
    same way."""
    import os
    import threading
    import time

    from generator.parallel import MIN_ITEMS_FOR_PROCESSES, parallel_map, shared_work

    items = [(number, threading.Lock()) for number in range(MIN_ITEMS_FOR_PROCESSES + 6)]

    def task(item: tuple[int, threading.Lock]) -> tuple[int, int]:
        time.sleep(0.005)
        return item[0] * 2, os.getpid()

    with shared_work(task, items, 2) as work:
        shared = list(work.results())
    assert [doubled for (doubled, _), _ in shared] == [n * 2 for n, _ in items]
    assert all((pid == os.getpid()) == here for (_, pid), here in shared)
    found = parallel_map(task, items, 2)
    assert [doubled for doubled, _ in found] == [n * 2 for n, _ in items]
    pids = {pid for _, pid in found}
    assert len(pids) == 2 and os.getpid() in pids, "shared by this process and a worker"


def test_shared_work_is_taken_from_the_end_by_the_process_that_helps() -> None:
    """With one worker busy on slow items, the process reading the results does the last
    ones while it waits, no item twice, and the results come in order, each saying where
    it was made."""
    import os
    import time

    from generator.parallel import shared_work

    items = list(range(40))

    def task(item: int) -> tuple[int, int]:
        time.sleep(0.05)
        return item, os.getpid()

    with shared_work(task, items, 2) as work:
        found = list(work.results())
    assert [item for (item, _), _ in found] == items
    here = [item for (item, pid), made_here in found if made_here and pid == os.getpid()]
    there = [item for (item, pid), made_here in found if not made_here and pid != os.getpid()]
    assert sorted(here + there) == items
    assert here and there and min(here) > max(there), (here, there)


# Each case of the test below, in a process of its own (a hang fails the test, not the
# suite): what shared_work raised, and whether any worker was left.
WORKER_FAULTS = """
import multiprocessing, os, signal, sys, threading, time
sys.path.insert(0, {root!r})
from generator.parallel import shared_work

main = os.getpid()

class TwoArguments(Exception):
    def __init__(self, path, reason):
        super().__init__(f"{{path}}: {{reason}}")

def refuse():
    raise FileNotFoundError(2, "template gone")

class Unreadable:  # pickled in the worker; reading it back raises
    def __reduce__(self):
        return (refuse, ())

def task(item):
    time.sleep(0.01)
    if os.getpid() != main and item == 3:
        case = sys.argv[1]
        if case == "error":
            raise ValueError("bad item 3")
        if case == "unreadable error":
            raise TwoArguments("seeds/x.html", "bad markup")
        if case == "unsendable result":
            return threading.Lock()
        if case == "unreadable result":
            return Unreadable()
        time.sleep(0.3)  # the results before it are on their way, halfway through the pipe
        os.kill(os.getpid(), signal.SIGKILL)
    return "x" * 200_000  # more than a pipe holds

try:
    with shared_work(task, list(range(60)), 2) as work:
        time.sleep(0.5)  # this process renders its other pages first
        list(work.results())
    print("no error")
except Exception as err:
    print(type(err).__name__, str(err))
print("left", len(multiprocessing.active_children()))
"""


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("error", "ValueError bad item 3"),
        ("unreadable error", "RuntimeError TwoArguments: seeds/x.html: bad markup"),
        ("unsendable result", "TypeError cannot pickle '_thread.lock' object"),
        ("unreadable result", "RuntimeError a result could not be read: [Errno 2] template gone"),
        ("killed", "BuildError build: error: a worker process ended before finishing its work"),
    ],
)
def test_a_workers_fault_reaches_the_build_and_no_worker_is_left(case: str, said: str) -> None:
    """An exception raised in a worker is raised where its result is taken (one that
    cannot be read back, as a RuntimeError that says what it was; a result that cannot be
    sent, as the error pickling it gave; one that cannot be read back, as a RuntimeError
    saying why, in that item's place); a worker killed (as the system kills a process
    short of memory) while its earlier results were still on their way gives a build error
    that says so, with the exit code, instead of waiting for ever. No worker is left."""
    script = WORKER_FAULTS.format(root=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", script, case], capture_output=True, text=True, timeout=60
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith(said), done.stdout + done.stderr
    if case == "killed":
        assert "(exit code -9)" in lines[0]
    assert lines[-1] == "left 0"


def test_workers_end_when_the_build_that_started_them_is_killed(tmp_path: Path) -> None:
    """A build killed (SIGKILL) while its workers have items left: the workers take no
    more and end, instead of rendering into a folder nobody will swap in (and waiting for
    ever to send results nobody reads)."""
    import time

    script = f"""
import os, signal, sys, time
sys.path.insert(0, {str(ROOT)!r})
from generator.parallel import shared_work

def task(item):
    time.sleep(0.05)
    return "x" * 100_000  # more than a pipe holds: a result nobody reads blocks its sender

with shared_work(task, list(range(200)), 2) as work:
    results = work.results()
    next(results)
    print(os.getpid(), flush=True)
    time.sleep(0.3)
    os.kill(os.getpid(), signal.SIGKILL)
"""
    if not Path("/proc/self/stat").is_file():
        pytest.skip("needs /proc to find the workers")
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True
    ) as child:
        assert child.stdout is not None
        build = int(child.stdout.readline())
        child.wait(timeout=60)
    assert child.returncode == -9
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _orphans_of(build):
        time.sleep(0.05)
    assert not _orphans_of(build), "a worker outlived the build that started it"


def _orphans_of(build: int) -> list[int]:
    """Live processes of the process group of build (started in a session of its own: its
    workers are the only others in it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == build:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, group = fields[0], int(fields[2])
        if group == build and state != "Z":
            found.append(int(entry.name))
    return found


def test_extraction_benchmark_runs_on_a_few_pages(tmp_path: Path) -> None:
    """bench/extraction.py on six of the shared benchmark's pages, cross-validated over
    two folds: every mode is scored, and the JSON holds the dev and the CV figures."""
    shared = ROOT.parent / "shared" / "extraction-bench"
    if not (shared / "ground-truth.json").is_file():
        pytest.skip("the shared extraction benchmark is not beside the repository")
    truth = json.loads((shared / "ground-truth.json").read_text(encoding="utf-8"))
    chosen = dict(sorted(truth.items())[:6])
    bench = tmp_path / "bench"
    (bench / "html").mkdir(parents=True)
    (bench / "ground-truth.json").write_text(json.dumps(chosen), encoding="utf-8")
    for page_id in chosen:
        name = f"{page_id}.html.gz"
        (bench / "html" / name).write_bytes((shared / "html" / name).read_bytes())
    out = tmp_path / "extraction.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench/extraction.py"), "--bench", str(bench)]
        + ["--folds", "2", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "6 pages" in result.stdout and "2-fold CV" in result.stdout
    assert "fold 2 chose: guard" in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    for mode in (
        "briefing html",
        "briefing html, tidy only",
        "trafilatura html",
        "full page text",
        "briefing text",
        "briefing html, cross-validated",
        "briefing html, cross-validated without the guard",
        "briefing html, cross-validated without readability's continuation",
        "readability-lxml html",
    ):
        assert 0 < data[mode]["f1"] <= 1, mode
    # on real pages the extractor beats the whole page's text by far
    assert data["briefing html"]["precision"] > data["full page text"]["precision"] + 0.2


def test_snippet_benchmark_counts_wanted_and_unwanted_snippets(tmp_path: Path) -> None:
    """bench/snippets.py on a corpus laid out as trafilatura's: the article's sentences are
    found, the menu and the footer are not, and a page whose file is not there is left
    out."""
    from .test_extract import HARBOUR_STORY, page

    corpus = tmp_path / "corpus"
    (corpus / "eval").mkdir(parents=True)
    body = "".join(f"<p>{sentence}</p>" for sentence in HARBOUR_STORY)
    (corpus / "eval" / "harbour.html").write_bytes(page(body))
    annotations = {
        "https://example.org/harbour": {
            "file": "harbour.html",
            "with": [HARBOUR_STORY[0], HARBOUR_STORY[-1], "a sentence no page holds"],
            # the annotator's call on a sentence may differ from ours: found, it is unwanted
            "without": ["Contact us", "Home News", HARBOUR_STORY[3]],
        },
        "https://example.org/missing": {"file": "missing.html", "with": ["x"], "without": ["y"]},
    }
    (corpus / "evaldata.json").write_text(json.dumps(annotations), encoding="utf-8")
    out = tmp_path / "snippets.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench/snippets.py"), str(corpus), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "1 pages from" in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    briefing = data["briefing html"]
    assert (briefing["tp"], briefing["fp"], briefing["fn"]) == (2, 1, 1)
    assert briefing["precision"] == 2 / 3 and briefing["recall"] == 2 / 3
    assert set(data) == {
        "briefing html",
        "without the continuation",
        "without the default mode",
        "trafilatura html",
        "readability-lxml html",
    }


def test_cross_validation_chooses_per_fold_from_counts_taken_on_every_core() -> None:
    """The grid's counts, taken in forked workers, equal those taken here; a setting that
    loses the article is chosen by no fold."""
    import extraction as bench_extraction

    from generator.combine import CombineSettings
    from generator.extract import combine, read_page

    from .test_extract import HARBOUR_STORY, page

    bodies = [HARBOUR_STORY[i:] + HARBOUR_STORY[:i] for i in range(4)]
    readings = [read_page(page("".join(f"<p>{s}</p>" for s in b)).decode()) for b in bodies]
    truths = ["\n".join(b) for b in bodies]
    good = CombineSettings()
    bad = CombineSettings(link_share=0.0, guard_share=1.0)  # every block a link list, unguarded
    grid = [bad, good]
    counts = bench_extraction.grid_counts(readings, truths, grid)
    assert counts[good] == [
        bench_extraction.page_counts(t, combine(r).article.text)
        for r, t in zip(readings, truths, strict=True)
    ]
    mean, chosen, on_all = bench_extraction.cross_validate(counts, 2, grid)
    assert chosen == [good, good] and on_all == good
    assert mean["f1"] == 1.0
    assert bench_extraction.score_counts(counts[bad])["recall"] < 0.5
