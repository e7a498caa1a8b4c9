"""Benchmark Briefing against Hugo (with and without Pagefind) and Pelican on the same
synthetic content.

    python bench/run.py --sources 1000 --topics 100 [--runs 5] [--json results.json]

Prints median wall time and peak memory of: a cold full build, a no-change rebuild, a
rebuild after editing one source, one after editing one topic, a cold full build
without the search index and its rebuilds after the same two edits, the two edits rebuilt
inside one process (as `build.py serve` rebuilds); and, when installed, Hugo's full
build, Pagefind run over Hugo's output right after it (the pair a Hugo user who wants
search runs), Hugo's rebuilds after the same two edits, each alone and followed by
Pagefind, and Pelican's full build and rebuild after the source edit. Then the
ratios, each against its target (met or not). Then the live edit loop: `build.py serve`
and `hugo server --renderToDisk` each running, the seconds from writing an edited topic
or source file to its page being complete on disk, medians over --live-edits edits of
each kind (--no-live skips it).
The tools take turns, round by round, and each ratio is the median of one ratio per round,
so that a machine whose speed drifts over minutes weighs on both sides alike. Every number
comes from this run on this machine: compare ratios, not absolute times from elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]  # this checkout's generator, not an install

from corpus import generate  # noqa: E402

from generator.search import pagefind_binary  # noqa: E402


@dataclass
class Sample:
    seconds: float
    peak_mb: float

    def then(self, other: Sample) -> Sample:
        """This run and other right after it, as one: their times summed, the larger
        memory."""
        return Sample(self.seconds + other.seconds, max(self.peak_mb, other.peak_mb))


def _tree(pid: int) -> list[int]:
    """pid and every process under it (Linux /proc)."""
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                for child in handle.read().split():
                    found += _tree(int(child))
    except OSError:
        pass
    return found


def _pss_kb(pid: int) -> int:
    """A process's proportional set size: its share of memory shared with others (forked
    workers share most of their parent's), so that the sum over a tree is what it uses."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _sample_memory(pid: int, peak: list[int], done: threading.Event) -> None:
    """Keep in peak[0] the largest memory of the process tree seen, every 0.1 s."""
    while not done.wait(0.1):
        peak[0] = max(peak[0], sum(_pss_kb(p) for p in _tree(pid)))


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Run a command to completion; its wall time and peak memory: of all its processes
    together (worker processes, Pagefind) where /proc tells it, else of the largest one."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak, done = [0], threading.Event()
    sampler = threading.Thread(target=_sample_memory, args=(process.pid, peak, done))
    if os.path.exists(f"/proc/{process.pid}/smaps_rollup"):
        sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    done.set()
    if sampler.is_alive():
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        stderr = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr[-3000:]}")
    if process.stderr:
        process.stderr.close()
    return Sample(elapsed, max(peak[0], usage.ru_maxrss) / 1024)


def median(samples: list[Sample]) -> Sample:
    return Sample(
        statistics.median(s.seconds for s in samples),
        statistics.median(s.peak_mb for s in samples),
    )


def briefing_env() -> dict[str, str]:
    """Briefing runs from this checkout (an editable install has no compiled bytecode
    until Python writes it): let Python cache bytecode, as it does for the installed
    packages Pelican runs from, even where PYTHONDONTWRITEBYTECODE is set."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def briefing_command(site: Path, jobs: int | None) -> list[str]:
    command = [sys.executable, str(REPO / "build.py"), "--root", str(site), "-q"]
    return command + (["--jobs", str(jobs)] if jobs else [])


def append_line(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


FURNITURE = "\n\nRead Also:"  # where an article's text ends and its trailing furniture starts


def with_sentence(original: str, kind: str, sentence: str) -> str:
    """The file as it was with one sentence added, as a writer edits a sentence. In a topic
    the sentence is a paragraph at the end; in a source it ends the article's last
    paragraph, before the trailing furniture (Briefing's cleaner drops what follows it, so
    an edit there would change no page, and takes a run of short paragraphs added there,
    one per edit, for furniture too)."""
    at = original.rfind(FURNITURE) if kind == "source" else -1
    if at < 0:
        return f"{original}\n\n{sentence}\n"
    return f"{original[:at]} {sentence}{original[at:]}"


# The sentences the command-line edits add, the same words for every tool; a topic's cites
# a source, in each tool's own syntax ({number} is the round's).
SOURCE_EDIT = "An added closing sentence number {number} for the benchmark."
TOPIC_EDIT = {
    "briefing": "An added closing paragraph number {number} [@src-00001].",
    "other": "An added closing paragraph number {number} [src-00001](/sources/src-00001/).",
}


class Edits:
    """A tool's command-line edits, by measurement name (edit_source, edit_topic): the file
    and the sentence the edit adds. Each edit writes the file as it first was plus that
    round's sentence, so every edit changes the page and no file grows round by round."""

    def __init__(self, edits: dict[str, tuple[Path, str, str]]):
        self.edits = edits
        self.originals = {
            name: path.read_text(encoding="utf-8") for name, (path, _, _) in edits.items()
        }

    def __iter__(self) -> Iterator[str]:
        return iter(self.edits)

    def text(self, name: str, number: int) -> str:
        """The edited file's text for round `number`."""
        _, kind, sentence = self.edits[name]
        return with_sentence(self.originals[name], kind, sentence.format(number=number))

    def apply(self, name: str, number: int) -> None:
        self.edits[name][0].write_text(self.text(name, number), encoding="utf-8")


def first(folder: Path, pattern: str) -> Path:
    """The file a writer edits: the first of the folder's by name, in every tool's copy."""
    return sorted(folder.glob(pattern))[0]


# Rebuilds inside one process, as `build.py serve` does after each change: writes each
# planned edit (a JSON list of name, path and text), rebuilds, and prints the seconds of
# each rebuild by name, as JSON.
IN_PROCESS = """
import json, sys, time
from pathlib import Path
from generator import build
root, jobs = Path(sys.argv[1]), int(sys.argv[2]) or None
plan = json.loads(Path(sys.argv[3]).read_text(encoding="utf-8"))
build(root, jobs=jobs)
times = {}
for step in plan:
    Path(step["path"]).write_text(step["text"], encoding="utf-8")
    started = time.perf_counter()
    build(root, jobs=jobs)
    times.setdefault(step["name"], []).append(time.perf_counter() - started)
print(json.dumps(times))
"""


def measure_in_process(site: Path, runs: int, jobs: int | None, edits: Edits) -> dict[str, float]:
    """Median seconds of a rebuild after an edit in a process that built before (serve).
    The edits are numbered after the command-line rounds', so that each changes the file."""
    plan = [
        {"name": name, "path": str(edits.edits[name][0]), "text": edits.text(name, number)}
        for number in range(runs, 2 * runs)
        for name in edits
    ]
    plan_file = site.parent / "serve-edits.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    command = [sys.executable, "-c", IN_PROCESS, str(site), str(jobs or 0), str(plan_file)]
    result = subprocess.run(
        command, cwd=REPO, env=briefing_env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"in-process rebuilds failed:\n{result.stderr[-3000:]}")
    times = json.loads(result.stdout.strip().splitlines()[-1])
    return {name: statistics.median(values) for name, values in times.items()}


class BriefingRuns:
    """Briefing's measurements on one corpus, one round at a time: a cold full build, a
    no-change rebuild, a rebuild after editing one source and one after editing one topic;
    and a cold build of a copy without the search index, then its rebuilds after the same
    edits (what the comparisons with Hugo alone are made with)."""

    def __init__(self, site: Path, jobs: int | None):
        self.site = site
        self.command, self.env = briefing_command(site, jobs), briefing_env()
        timed([sys.executable, "-c", "import generator.cli, generator.schedule"], REPO, self.env)
        self.edits = Edits(
            {
                "edit_source": (first(site / "seeds", "*.txt"), "source", SOURCE_EDIT),
                "edit_topic": (
                    first(site / "content" / "topics", "*.md"),
                    "topic",
                    TOPIC_EDIT["briefing"],
                ),
            }
        )
        self.bare = site.parent / "briefing-no-search"
        shutil.rmtree(self.bare, ignore_errors=True)
        shutil.copytree(site, self.bare, ignore=shutil.ignore_patterns("output", ".briefing-cache"))
        append_line(self.bare / "briefing.yaml", "\nsearch: false\n")
        self.bare_command = briefing_command(self.bare, jobs)
        self.bare_edits = Edits(
            {
                name: (self.bare / path.relative_to(site), kind, sentence)
                for name, (path, kind, sentence) in self.edits.edits.items()
            }
        )

    def round(self, number: int) -> dict[str, Sample]:
        site, command, env = self.site, self.command, self.env
        _make_cold(site)
        found = {"full": timed(command, site, env), "noop": timed(command, site, env)}
        for name in self.edits:
            self.edits.apply(name, number)
            found[name] = timed(command, site, env)
        _make_cold(self.bare)
        found["full_no_search"] = timed(self.bare_command, self.bare, env)
        if (self.bare / "output" / "pagefind").exists():
            raise SystemExit("the build without search wrote a search index")
        for name in self.bare_edits:
            self.bare_edits.apply(name, number)
            found[f"{name}_no_search"] = timed(self.bare_command, self.bare, env)
        return found


def _make_cold(site: Path) -> None:
    """Remove a Briefing site's output and build cache: the next build is a cold one."""
    for leftover in (site / "output", site / ".briefing-cache"):
        shutil.rmtree(leftover, ignore_errors=True)


@dataclass
class OtherRuns:
    """Another generator's measurements, a round at a time: its cold full build; right
    after it, when an indexer is given, Pagefind over that output (full_pagefind is the
    pair: the sum of their times, the larger of their memories); then, with the output in
    place, its rebuild after each of its edits (what a writer waits for with it), each
    followed by Pagefind again when an indexer is given (it re-indexes the whole site)."""

    name: str
    site: Path
    command: list[str]
    out: Path
    edits: Edits
    indexer: list[str] | None = None

    def round(self, number: int) -> dict[str, Sample]:
        site = self.site
        for leftover in (self.out, site / "resources", site / "__pycache__"):
            shutil.rmtree(leftover, ignore_errors=True)
        found = {"full": timed(self.command, site)}
        if self.indexer:
            found["pagefind"] = timed(self.indexer, site)
            found["full_pagefind"] = found["full"].then(found["pagefind"])
        for name in self.edits:
            self.edits.apply(name, number)
            found[name] = timed(self.command, site)
            if self.indexer:
                found[f"{name}_pagefind"] = found[name].then(timed(self.indexer, site))
        return found


def hugo_runs(site: Path, binary: str, pagefind: Path | None) -> OtherRuns:
    """Hugo's full build, then the Pagefind Briefing uses over Hugo's public/ (as a Hugo
    user who wants search runs it; in English, as Briefing's index is: the minimal layouts
    declare no language), and Hugo's rebuilds after the same source and topic edits."""
    indexer = None
    if pagefind:
        indexer = [str(pagefind), "--site", "public", "--force-language", "en", "--silent"]
    content = site / "content"
    edits = Edits(
        {
            "edit_source": (first(content / "sources", "*.md"), "source", SOURCE_EDIT),
            "edit_topic": (first(content / "topics", "*.md"), "topic", TOPIC_EDIT["other"]),
        }
    )
    command = [binary, "--quiet", "--destination", "public"]
    return OtherRuns("hugo", site, command, site / "public", edits, indexer)


def pelican_runs(site: Path, binary: str) -> OtherRuns:
    """Pelican's full build and its rebuild after the same source edit."""
    source = first(site / "content", "src-*.md")
    edits = Edits({"edit_source": (source, "source", SOURCE_EDIT)})
    command = [binary, "content", "-o", "output", "-s", "pelicanconf.py", "-q"]
    return OtherRuns("pelican", site, command, site / "output", edits)


# The live edit loop: a server of each tool running, as a writer keeps one open.
LIVE_PAUSE_S = 1.0  # between edits: both tools batch changes, so each edit is its own rebuild
# ... plus a random part of up to one tick of Hugo's watcher, which collects changes every
# 0.5 s: a fixed pause would land every edit at the same moment of its tick (always just
# after one, say), where a writer's edits land anywhere. The same draws for both tools.
LIVE_JITTER_S = 0.5
LIVE_TIMEOUT_S = 20.0  # per edit: longer is a failure, reported as such
LIVE_START_TIMEOUT_S = 600.0  # the first build, which at 10,000 sources takes a while
POLL_S = 0.002


@dataclass
class LiveTool:
    """A server command and, per kind of edit, the file a writer edits and the page that
    shows it on disk."""

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str] | None
    edited: dict[str, Path]
    page: dict[str, Path]


class LiveFailure(Exception):
    """A server that did not start, or a page that did not show an edit in time."""


def free_port() -> int:
    """A port nobody listens on now: both servers are told which one to use."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def briefing_live(site: Path, jobs: int | None) -> LiveTool:
    """`build.py serve`, which rebuilds into SITE/output on every change."""
    command = [sys.executable, str(REPO / "build.py"), "serve", "--root", str(site), "-q"]
    command += ["--port", "{port}"] + (["--jobs", str(jobs)] if jobs else [])
    source = sorted((site / "seeds").glob("*.txt"))[0]
    topic = sorted((site / "content" / "topics").glob("*.md"))[0]
    out = site / "output"
    pages = {
        "topic": out / "topics" / topic.stem / "index.html",
        "source": out / "sources" / source.stem / "index.html",
    }
    edited = {"topic": topic, "source": source}
    return LiveTool("briefing", command, REPO, briefing_env(), edited, pages)


def hugo_live(site: Path, binary: str) -> LiveTool:
    """`hugo server --renderToDisk`, as a writer who wants the pages on disk runs it. Its
    fast render mode (the default) is kept: it renders the changed page in full, and is
    what `hugo server` does unless told otherwise. Live reload is off: Briefing writes no
    reload script to disk either, and no browser is connected."""
    command = [binary, "server", "--renderToDisk", "--destination", "public"]
    command += ["--disableLiveReload", "--port", "{port}"]
    source = sorted((site / "content" / "sources").glob("*.md"))[0]
    topic = sorted((site / "content" / "topics").glob("*.md"))[0]
    pages = {
        "topic": site / "public" / "topics" / topic.stem / "index.html",
        "source": site / "public" / "sources" / source.stem / "index.html",
    }
    return LiveTool("hugo", command, site, None, {"topic": topic, "source": source}, pages)


def start_server(tool: LiveTool, log: Path) -> subprocess.Popen[bytes]:
    """Start the tool's server on a free port and return once its first build is on disk
    and it answers HTTP (both tools serve only after their first build)."""
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in tool.command]
    with log.open("wb") as handle:
        process = subprocess.Popen(
            command,
            cwd=tool.cwd,
            env=tool.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_default_ctrl_c,
        )
    deadline = time.perf_counter() + LIVE_START_TIMEOUT_S
    while not (_answers(port) and all(page.exists() for page in tool.page.values())):
        if process.poll() is not None or time.perf_counter() > deadline:
            stop_server(process)
            raise LiveFailure(f"{tool.name}'s server did not start")
        time.sleep(0.05)
    return process


def _answers(port: int) -> bool:
    """Whether something serves HTTP on the port (any status counts); HEAD, so that no
    page is left half sent."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _default_ctrl_c() -> None:
    """A server stops on Ctrl-C even when the bench runs with SIGINT ignored (a shell's
    background job), which it would otherwise inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as a writer stops a server; then, if it lingers, kill what it started."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _tail(log: Path) -> str:
    """The end of a server's output, to say why it failed."""
    return log.read_text(encoding="utf-8", errors="replace")[-3000:]


def write_edit(path: Path, original: str, kind: str, marker: str) -> float:
    """Write the file as it was with one sentence added (see with_sentence), and return
    the moment the write was closed."""
    sentence = f"The benchmark added this sentence, {marker}, while serving."
    with path.open("w", encoding="utf-8") as handle:
        handle.write(with_sentence(original, kind, sentence))
    return time.perf_counter()


def wait_for_page(page: Path, marker: str, written: float) -> float:
    """Seconds from the write until the page holds the marker and is complete (ends with
    </html>: a tool that writes in place may be caught halfway)."""
    needle = marker.encode()
    while True:
        try:
            data = page.read_bytes()
        except OSError:
            data = b""
        now = time.perf_counter()
        if needle in data and data.rstrip().endswith(b"</html>"):
            return now - written
        if now - written > LIVE_TIMEOUT_S:
            raise LiveFailure(f"{page} did not show the edit {marker} in {LIVE_TIMEOUT_S:.0f} s")
        time.sleep(POLL_S)


def measure_live(tool: LiveTool, edits: int, log: Path) -> dict[str, list[float]]:
    """Seconds from write to page on disk for edits of each kind, taking turns (topic,
    source, topic, ...), with a pause after each so that every edit is its own rebuild."""
    process = start_server(tool, log)
    times: dict[str, list[float]] = {"topic": [], "source": []}
    pauses, run = random.Random(5), os.urandom(4).hex()  # markers new to any earlier run
    originals = {kind: path.read_text(encoding="utf-8") for kind, path in tool.edited.items()}
    try:
        time.sleep(LIVE_PAUSE_S)
        for number in range(edits):
            for kind in times:
                marker = f"livemark{run}{kind}{number:03d}z"
                written = write_edit(tool.edited[kind], originals[kind], kind, marker)
                times[kind].append(wait_for_page(tool.page[kind], marker, written))
                time.sleep(LIVE_PAUSE_S + pauses.uniform(0, LIVE_JITTER_S))
    finally:
        stop_server(process)
    return times


def live_runs(tools: list[LiveTool], edits: int, work: Path) -> dict[str, dict[str, list[float]]]:
    """Each tool's live edit times, one server at a time (so that neither's background
    work, such as Briefing's search index, lands on the other's edits); a tool whose loop
    failed is reported on stderr and left out."""
    found = {}
    for tool in tools:
        log = work / f"{tool.name}-serve.log"
        try:
            found[tool.name] = measure_live(tool, edits, log)
        except LiveFailure as failure:
            print(f"live edit loop of {tool.name} failed: {failure}", file=sys.stderr)
            print(f"its server's output ended with:\n{_tail(log)}", file=sys.stderr)
    return found


def medians(rounds: list[dict[str, Sample]]) -> dict[str, Sample]:
    return {kind: median([found[kind] for found in rounds]) for kind in rounds[0]}


def paired(
    top: list[dict[str, Sample]], kind: str, bottom: list[dict[str, Sample]], other: str
) -> float:
    """The median over rounds of top[kind] / bottom[other], each ratio of two builds run
    one after the other: the machine's speed drifts over minutes, and a ratio of medians
    taken at different times carries that drift."""
    return statistics.median(
        a[kind].seconds / b[other].seconds for a, b in zip(top, bottom, strict=True)
    )


@dataclass(frozen=True)
class Ratio:
    """One ratio of the table and its target: "<= 1.0", ">= 3.0", or None when it is there
    for comparison only."""

    label: str
    value: float
    target: str | None = None

    def met(self) -> bool | None:
        if self.target is None:
            return None
        operator, bound = self.target.split()
        return self.value <= float(bound) if operator == "<=" else self.value >= float(bound)


def target_ratios(
    ours: list[dict[str, Sample]], theirs: dict[str, list[dict[str, Sample]]]
) -> list[Ratio]:
    """The speed issue's targets: Briefing against Hugo + Pagefind (with search), Hugo
    alone (without), Pelican, and Hugo's rebuilds after the same edits."""
    found = []
    hugo, pelican = theirs.get("hugo"), theirs.get("pelican")
    if hugo and "full_pagefind" in hugo[0]:
        pair = paired(ours, "full", hugo, "full_pagefind")
        found.append(Ratio("briefing full / (hugo + pagefind)", pair, "<= 1.0"))
    if hugo:
        bare = paired(ours, "full_no_search", hugo, "full")
        found.append(Ratio("briefing full no search / hugo full", bare, "<= 2.0"))
    if pelican:
        slower = paired(pelican, "full", ours, "full")
        found.append(Ratio("pelican full / briefing full", slower, ">= 3.0"))
    if hugo:
        for kind in ("edit_source", "edit_topic"):
            label = f"{kind.replace('_', ' ')} / hugo {kind.replace('_', ' ')}"
            found.append(Ratio(label, paired(ours, kind, hugo, kind), "<= 0.5"))
    return found


def comparison_ratios(
    ours: list[dict[str, Sample]],
    theirs: dict[str, list[dict[str, Sample]]],
    serving: dict[str, float],
) -> list[Ratio]:
    """Ratios without a target, for comparison: Briefing with search against Hugo alone;
    its rebuilds like with like, with search against Hugo's followed by Pagefind and
    without search against Hugo's alone; its source edit against Pelican's; and its
    rebuilds against its own full build."""
    found = []
    if hugo := theirs.get("hugo"):
        found.append(Ratio("briefing full / hugo full", paired(ours, "full", hugo, "full")))
        for kind in ("edit_source", "edit_topic"):
            name = kind.replace("_", " ")
            if f"{kind}_pagefind" in hugo[0]:
                ratio = paired(ours, kind, hugo, f"{kind}_pagefind")
                found.append(Ratio(f"{name} / (hugo {name} + pagefind)", ratio))
            ratio = paired(ours, f"{kind}_no_search", hugo, kind)
            found.append(Ratio(f"{name} no search / hugo {name}", ratio))
    if pelican := theirs.get("pelican"):
        ratio = paired(ours, "edit_source", pelican, "edit_source")
        found.append(Ratio("edit source / pelican edit source", ratio))
    for kind in ("edit_source", "edit_topic"):
        found.append(Ratio(f"{kind.replace('_', ' ')} / full", paired(ours, kind, ours, "full")))
    full = statistics.median(round_["full"].seconds for round_ in ours)
    for name, seconds in serving.items():
        found.append(Ratio(f"{name.replace('_', ' ')} in serve / full", seconds / full))
    return found


def pelican_binary() -> str | None:
    """Pelican on the PATH, else in $PELICAN_VENV (/tmp/pelican-venv unless set)."""
    venv = Path(os.environ.get("PELICAN_VENV", "/tmp/pelican-venv"))
    candidate = venv / "bin" / "pelican"
    return shutil.which("pelican") or (str(candidate) if candidate.exists() else None)


def count_html(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html"))


def live_results(live: dict[str, dict[str, list[float]]]) -> dict[str, object]:
    """The live loop's medians for --json (None where not measured) and every edit's time."""
    found: dict[str, object] = {}
    for name in ("briefing", "hugo"):
        for kind in ("topic", "source"):
            times = live.get(name, {}).get(kind)
            found[f"{name}_live_edit_{kind}_s"] = (
                round(statistics.median(times), 3) if times else None
            )
    found["live_edits_s"] = {
        name: {kind: [round(t, 4) for t in times] for kind, times in kinds.items()}
        for name, kinds in live.items()
    }
    return found


def live_ratios(live: dict[str, dict[str, list[float]]]) -> list[Ratio]:
    """Briefing's live edit over Hugo's, per kind: medians of a minute apart, one server
    running at a time."""
    ours, theirs = live.get("briefing"), live.get("hugo")
    if not (ours and theirs):
        return []
    return [
        Ratio(
            f"live {kind} edit / hugo server",
            statistics.median(ours[kind]) / statistics.median(theirs[kind]),
            "<= 1.0",
        )
        for kind in ("topic", "source")
    ]


def print_ratios(ratios: list[Ratio]) -> None:
    """The ratio table: each ratio, its target and whether it is met."""
    print("ratios (each the median of one ratio per round; 'live' ones of medians):")
    print(f"  {'ratio':<46}{'value':>7}  {'target':<8}result")
    for ratio in ratios:
        met = ratio.met()
        result = "for comparison" if met is None else ("met" if met else "NOT met")
        print(f"  {ratio.label:<46}{ratio.value:>7.2f}  {ratio.target or '':<8}{result}")


def live_note(args: argparse.Namespace, hugo: bool, measured: list[str]) -> str:
    """Why a tool's live loop is missing from the table, if it is."""
    if args.no_live:
        return "live edit loop not measured (--no-live)"
    if "hugo" in measured:
        return ""
    if args.no_others:
        return "hugo server not measured (--no-others)"
    if not hugo:
        return "hugo server not measured: hugo is not installed"
    return ""


def print_live(live: dict[str, dict[str, list[float]]], note: str) -> None:
    """The live loop's rows of the table: median, and the range of the edits."""
    for name, kinds in live.items():
        for kind, times in kinds.items():
            spread = f"  ({len(times)} edits, {min(times):.3f}-{max(times):.3f})"
            print(
                f"{name + ' live ' + kind + ' edit':<34}{statistics.median(times):>10.3f}{spread}"
            )
    if note:
        print(note)


PELICAN_SETUP = (
    "python -m venv /tmp/pelican-venv && /tmp/pelican-venv/bin/pip install pelican markdown"
)
# What each other tool measures, in the order of the table and of --json.
OTHER_KINDS = {
    "hugo": (
        "full",
        "pagefind",
        "full_pagefind",
        "edit_source",
        "edit_topic",
        "edit_source_pagefind",
        "edit_topic_pagefind",
    ),
    "pelican": ("full", "edit_source"),
}


def other_tools(sites: dict[str, Path], skip: bool) -> tuple[dict[str, OtherRuns], list[str]]:
    """The other generators installed here, and why each measurement left out is."""
    if skip:
        return {}, ["hugo, hugo + pagefind and pelican not measured (--no-others)"]
    tools, notes = {}, []
    hugo, pagefind = shutil.which("hugo"), pagefind_binary()
    if hugo:
        tools["hugo"] = hugo_runs(sites["hugo"], hugo, pagefind)
        if pagefind is None:
            notes.append("hugo + pagefind not measured: pip install 'pagefind[bin]'")
    else:
        notes.append("hugo not measured: it is not installed (apt-get install hugo)")
    pelican = pelican_binary()
    if pelican:
        tools["pelican"] = pelican_runs(sites["pelican"], pelican)
    else:
        notes.append(f"pelican not measured: it is not installed ({PELICAN_SETUP})")
    return tools, notes


def build_results(
    args: argparse.Namespace,
    pages: int,
    briefing: dict[str, Sample],
    serving: dict[str, float],
    others: dict[str, dict[str, Sample]],
) -> dict[str, object]:
    """The measurements for --json: seconds, and peak MB where there is one; None for what
    was not measured."""
    results: dict[str, object] = {
        "sources": args.sources,
        "topics": args.topics,
        "runs": args.runs,
        "html_pages": pages,
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
    }
    for kind, sample in briefing.items():
        results[f"briefing_{kind}_s"] = round(sample.seconds, 3)
    for kind, seconds in serving.items():
        results[f"briefing_serve_{kind}_s"] = round(seconds, 3)
    results["briefing_peak_mb"] = round(max(s.peak_mb for s in briefing.values()), 1)
    for name, kinds in OTHER_KINDS.items():
        for kind in kinds:
            theirs = others.get(name, {}).get(kind)
            results[f"{name}_{kind}_s"] = round(theirs.seconds, 3) if theirs else None
            results[f"{name}_{kind}_peak_mb"] = round(theirs.peak_mb, 1) if theirs else None
    return results


def print_measurements(
    briefing: dict[str, Sample],
    others: dict[str, dict[str, Sample]],
    serving: dict[str, float],
    startup: float,
) -> None:
    """The table of medians: Briefing's, then each other tool's that was measured."""
    print(f"\n{'measurement':<34}{'median s':>10}{'peak MB':>10}")
    rows = [(f"briefing {kind}", sample) for kind, sample in briefing.items()]
    for name, measured in others.items():
        for kind in OTHER_KINDS[name]:
            label = kind.replace("_pagefind", " + pagefind").replace("_", " ")
            if kind in measured:
                rows.append((f"{name} {label}", measured[kind]))
    for label, sample in rows:
        print(f"{label:<34}{sample.seconds:>10.3f}{sample.peak_mb:>10.1f}")
    for name, seconds in serving.items():
        print(f"{'briefing ' + name + ' (serve)':<34}{seconds:>10.3f}")
    print(f"{'python + import generator':<34}{startup:>10.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", type=int, default=1000, help="source articles (default 1000)")
    parser.add_argument("--topics", type=int, default=100, help="topic pages (default 100)")
    parser.add_argument(
        "--runs", type=int, default=3, help="rounds, each tool in turn (default 3); medians"
    )
    parser.add_argument("--jobs", type=int, default=None, help="pass --jobs to Briefing")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument(
        "--no-others", action="store_true", help="skip Hugo, Hugo + Pagefind and Pelican"
    )
    parser.add_argument("--no-live", action="store_true", help="skip the live edit loop")
    parser.add_argument(
        "--live-edits", type=int, default=7, help="live edits of each kind (default 7); medians"
    )
    args = parser.parse_args(argv)
    if min(args.runs, args.sources, args.topics, args.live_edits) < 1:
        parser.error("--runs, --sources, --topics and --live-edits must be at least 1")

    work = args.keep or Path(tempfile.mkdtemp(prefix="briefing-bench-"))
    try:
        started = time.perf_counter()
        sites = generate(work, args.sources, args.topics, REPO)
        print(
            f"corpus: {args.sources} sources, {args.topics} topics "
            f"(generated in {time.perf_counter() - started:.1f} s) in {work}"
        )
        # Round by round, each tool in turn, so that every tool sees the same minutes.
        ours = BriefingRuns(sites["briefing"], args.jobs)
        tools, notes = other_tools(sites, args.no_others)
        rounds: list[dict[str, Sample]] = []
        their_rounds: dict[str, list[dict[str, Sample]]] = {name: [] for name in tools}
        for number in range(args.runs):
            rounds.append(ours.round(number))
            for name, tool in tools.items():
                their_rounds[name].append(tool.round(number))
        pages = count_html(sites["briefing"] / "output")
        serving = measure_in_process(sites["briefing"], args.runs, args.jobs, ours.edits)
        live_tools = [] if args.no_live else [briefing_live(sites["briefing"], args.jobs)]
        if live_tools and "hugo" in tools:
            live_tools.append(hugo_live(sites["hugo"], tools["hugo"].command[0]))
        live = live_runs(live_tools, args.live_edits, work)
        briefing = medians(rounds)
        others = {name: medians(their_rounds[name]) for name in tools}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    results = build_results(args, pages, briefing, serving, others)
    results.update(live_results(live))
    # A median like the rest: one sample of a 0.2 s process is mostly noise. It exits as
    # build.py does, without tearing the interpreter down (that alone took 0.06 s).
    start = [sys.executable, "-c", "import os, generator.cli; os._exit(0)"]
    startup = median([timed(start, REPO, briefing_env()) for _ in range(max(3, args.runs))]).seconds
    results["python_startup_s"] = round(startup, 3)

    print_measurements(briefing, others, serving, startup)
    for note in notes:
        print(note)
    print_live(live, live_note(args, "hugo" in tools, [t.name for t in live_tools]))
    print(f"\nHTML pages written by Briefing: {pages}")
    ratios = target_ratios(rounds, their_rounds) + live_ratios(live)
    ratios += comparison_ratios(rounds, their_rounds, serving)
    print_ratios(ratios)
    results["ratios"] = {
        r.label: {"value": round(r.value, 3), "target": r.target, "met": r.met()} for r in ratios
    }
    results["not_measured"] = notes
    noop = briefing["noop"].seconds - startup
    print(f"  {'noop - python start-up':<46}{noop:>7.3f}  s, target <= 0.2 s")
    for kind, times in live.get("briefing", {}).items():
        label = f"serve: {kind} edit to page"
        print(f"  {label:<46}{statistics.median(times):>7.3f}  s, target <= 0.150 s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    failed = [tool.name for tool in live_tools if tool.name not in live]
    if failed:
        print(f"\nthe live edit loop failed for: {', '.join(failed)} (see above)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
