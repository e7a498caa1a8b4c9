"""Benchmark Briefing against Hugo and Pelican on the same synthetic content.

    python bench/run.py --sources 1000 --topics 100 [--runs 5] [--json results.json]

Prints median wall time and peak memory of: a cold full build, a no-change rebuild, a
rebuild after editing one source, one after editing one topic page, a cold full build
without the search index (which Hugo and Pelican do not make), the same two edits rebuilt
inside one process (as `build.py serve` rebuilds), and (when installed) Hugo's and
Pelican's full builds and their rebuilds after the same one-source edit; then the ratios.
Then the live edit loop: `build.py serve` and `hugo server --renderToDisk` each running,
the seconds from writing an edited topic or source file to its page being complete on
disk, medians over --live-edits edits of each kind (--no-live skips it).
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
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from corpus import generate  # noqa: E402


@dataclass
class Sample:
    seconds: float
    peak_mb: float


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


# Rebuilds inside one process, as `build.py serve` does after each change: prints the
# seconds of each rebuild after an edit, as JSON.
IN_PROCESS = """
import json, sys, time
from pathlib import Path
from generator import build
root, runs, jobs = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) or None
source = sorted((root / "seeds").glob("*.txt"))[0]
topic = sorted((root / "content" / "topics").glob("*.md"))[0]
build(root, jobs=jobs)
times = {"edit_source": [], "edit_topic": []}
for run in range(runs):
    for name, path, text in (
        ("edit_source", source, f"\\nA sentence added while serving, number {run}.\\n"),
        ("edit_topic", topic, f"\\nA paragraph added while serving, number {run} [@src-00002].\\n"),
    ):
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
        started = time.perf_counter()
        build(root, jobs=jobs)
        times[name].append(time.perf_counter() - started)
print(json.dumps(times))
"""


def measure_in_process(site: Path, runs: int, jobs: int | None) -> dict[str, float]:
    """Median seconds of a rebuild after an edit in a process that built before (serve)."""
    command = [sys.executable, "-c", IN_PROCESS, str(site), str(runs), str(jobs or 0)]
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
    and a cold build of a copy without the search index (which Hugo and Pelican do not
    make: what the comparison with them is without it)."""

    def __init__(self, site: Path, jobs: int | None):
        self.site = site
        self.command, self.env = briefing_command(site, jobs), briefing_env()
        timed([sys.executable, "-c", "import generator.cli, generator.schedule"], REPO, self.env)
        self.source = sorted((site / "seeds").glob("*.txt"))[0]
        self.topic = sorted((site / "content" / "topics").glob("*.md"))[0]
        self.bare = site.parent / "briefing-no-search"
        shutil.rmtree(self.bare, ignore_errors=True)
        shutil.copytree(site, self.bare, ignore=shutil.ignore_patterns("output", ".briefing-cache"))
        append_line(self.bare / "briefing.yaml", "\nsearch: false\n")
        self.bare_command = briefing_command(self.bare, jobs)

    def round(self, number: int) -> dict[str, Sample]:
        site, command, env = self.site, self.command, self.env
        _make_cold(site)
        found = {"full": timed(command, site, env), "noop": timed(command, site, env)}
        append_line(
            self.source, f"\nAn added closing sentence number {number} for the benchmark.\n"
        )
        found["edit_source"] = timed(command, site, env)
        append_line(self.topic, f"\nAn added closing paragraph number {number} [@src-00001].\n")
        found["edit_topic"] = timed(command, site, env)
        _make_cold(self.bare)
        found["full_no_search"] = timed(self.bare_command, self.bare, env)
        if (self.bare / "output" / "pagefind").exists():
            raise SystemExit("the build without search wrote a search index")
        return found


def _make_cold(site: Path) -> None:
    """Remove a Briefing site's output and build cache: the next build is a cold one."""
    for leftover in (site / "output", site / ".briefing-cache"):
        shutil.rmtree(leftover, ignore_errors=True)


class OtherRuns:
    """Hugo's or Pelican's cold full build and, with that output in place, its rebuild
    after one source's text is edited (what a writer waits for with it), a round at a
    time. installed() is False when the tool is not."""

    def __init__(self, name: str, site: Path):
        self.site = site
        if name == "hugo":
            binary = shutil.which("hugo")
            self.command = [binary or "hugo", "--quiet", "--destination", "public"]
            self.out = site / "public"
            self.source = sorted((site / "content" / "sources").glob("*.md"))[0]
        else:
            binary = shutil.which("pelican") or _venv_binary("pelican")
            self.command = [binary or "pelican", "content", "-o", "output"]
            self.command += ["-s", "pelicanconf.py", "-q"]
            self.out = site / "output"
            self.source = sorted((site / "content").glob("src-*.md"))[0]
        self.binary = binary

    def installed(self) -> bool:
        return self.binary is not None

    def round(self, number: int) -> dict[str, Sample]:
        site = self.site
        shutil.rmtree(self.out, ignore_errors=True)
        shutil.rmtree(site / "resources", ignore_errors=True)
        shutil.rmtree(site / "__pycache__", ignore_errors=True)
        found = {"full": timed(self.command, site)}
        append_line(
            self.source, f"\nAn added closing sentence number {number} for the benchmark.\n"
        )
        found["edit"] = timed(self.command, site)
        return found


# The live edit loop: a server of each tool running, as a writer keeps one open.
LIVE_PAUSE_S = 1.0  # between edits: both tools batch changes, so each edit is its own rebuild
# ... plus a random part of up to one tick of Hugo's watcher, which collects changes every
# 0.5 s: a fixed pause would land every edit at the same moment of its tick (always just
# after one, say), where a writer's edits land anywhere. The same draws for both tools.
LIVE_JITTER_S = 0.5
LIVE_TIMEOUT_S = 20.0  # per edit: longer is a failure, reported as such
LIVE_START_TIMEOUT_S = 600.0  # the first build, which at 10,000 sources takes a while
POLL_S = 0.002
FURNITURE = "\n\nRead Also:"  # where an article's text ends and its trailing furniture starts


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
    """Write the file as it was with one sentence added, as a writer edits a sentence, and
    return the moment the write was closed. In a topic the sentence is a paragraph at the
    end; in a source it ends the article's last paragraph, before the trailing furniture
    (Briefing's cleaner drops what follows it, and takes a run of short paragraphs added
    there, one per edit, for furniture too)."""
    sentence = f"The benchmark added this sentence, {marker}, while serving."
    at = original.rfind(FURNITURE) if kind == "source" else -1
    if at < 0:
        text = f"{original}\n\n{sentence}\n"
    else:
        text = f"{original[:at]} {sentence}{original[at:]}"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
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
    ours: list[dict[str, Sample]], kind: str, theirs: list[dict[str, Sample]], their: str
) -> float:
    """The median over rounds of ours[kind] / theirs[their], each ratio of two builds run
    one after the other: the machine's speed drifts over minutes, and a ratio of medians
    taken at different times carries that drift."""
    return statistics.median(
        a[kind].seconds / b[their].seconds for a, b in zip(ours, theirs, strict=True)
    )


def _venv_binary(name: str) -> str | None:
    candidate = Path(os.environ.get("PELICAN_VENV", "/tmp/pelican-venv")) / "bin" / name
    return str(candidate) if candidate.exists() else None


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


def live_ratios(live: dict[str, dict[str, list[float]]]) -> list[tuple[str, float, str]]:
    """Briefing's live edit over Hugo's, per kind: medians of a minute apart, one server
    running at a time."""
    ours, theirs = live.get("briefing"), live.get("hugo")
    if not (ours and theirs):
        return []
    return [
        (
            f"live {kind} edit / hugo server",
            statistics.median(ours[kind]) / statistics.median(theirs[kind]),
            "<= 1.0",
        )
        for kind in ("topic", "source")
    ]


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
                f"{name + ' live ' + kind + ' edit':<28}{statistics.median(times):>10.3f}{spread}"
            )
    if note:
        print(note)


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
    parser.add_argument("--no-others", action="store_true", help="skip Hugo and Pelican")
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
        tools = {name: OtherRuns(name, sites[name]) for name in ("hugo", "pelican")}
        tools = {n: t for n, t in tools.items() if t.installed() and not args.no_others}
        rounds: list[dict[str, Sample]] = []
        their_rounds: dict[str, list[dict[str, Sample]]] = {name: [] for name in tools}
        for number in range(args.runs):
            rounds.append(ours.round(number))
            for name, tool in tools.items():
                their_rounds[name].append(tool.round(number))
        pages = count_html(sites["briefing"] / "output")
        serving = measure_in_process(sites["briefing"], args.runs, args.jobs)
        live_tools = [] if args.no_live else [briefing_live(sites["briefing"], args.jobs)]
        if live_tools and "hugo" in tools:
            live_tools.append(hugo_live(sites["hugo"], str(tools["hugo"].binary)))
        live = live_runs(live_tools, args.live_edits, work)
        briefing = medians(rounds)
        others = {
            name: (medians(their_rounds[name]) if name in tools else None)
            for name in ("hugo", "pelican")
        }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    results: dict[str, object] = {
        "sources": args.sources,
        "topics": args.topics,
        "runs": args.runs,
        "html_pages": pages,
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "briefing_full_s": round(briefing["full"].seconds, 3),
        "briefing_noop_s": round(briefing["noop"].seconds, 3),
        "briefing_edit_source_s": round(briefing["edit_source"].seconds, 3),
        "briefing_edit_topic_s": round(briefing["edit_topic"].seconds, 3),
        "briefing_full_no_search_s": round(briefing["full_no_search"].seconds, 3),
        "briefing_serve_edit_source_s": round(serving["edit_source"], 3),
        "briefing_serve_edit_topic_s": round(serving["edit_topic"], 3),
        "briefing_peak_mb": round(max(s.peak_mb for s in briefing.values()), 1),
    }
    for name, other in others.items():
        for kind in ("full", "edit"):
            results[f"{name}_{kind}_s"] = round(other[kind].seconds, 3) if other else None
    results.update(live_results(live))
    # A median like the rest: one sample of a 0.2 s process is mostly noise. It exits as
    # build.py does, without tearing the interpreter down (that alone took 0.06 s).
    start = [sys.executable, "-c", "import os, generator.cli; os._exit(0)"]
    startup = median([timed(start, REPO, briefing_env()) for _ in range(max(3, args.runs))]).seconds
    results["python_startup_s"] = round(startup, 3)

    print(f"\n{'measurement':<28}{'median s':>10}{'peak MB':>10}")
    for name, sample in briefing.items():
        print(f"{'briefing ' + name:<28}{sample.seconds:>10.3f}{sample.peak_mb:>10.1f}")
    for name, other in others.items():
        for kind in ("full", "edit"):
            label = f"{name} {'full' if kind == 'full' else 'edit source'}"
            if other:
                sample = other[kind]
                print(f"{label:<28}{sample.seconds:>10.3f}{sample.peak_mb:>10.1f}")
            else:
                print(f"{label:<28}{'not installed':>20}")
    for name, seconds in serving.items():
        print(f"{'briefing ' + name + ' (serve)':<28}{seconds:>10.3f}")
    print(f"{'python + import generator':<28}{startup:>10.3f}")
    print_live(live, live_note(args, "hugo" in tools, [t.name for t in live_tools]))
    print(f"\nHTML pages written by Briefing: {pages}")
    full = briefing["full"].seconds
    print("ratios (lower is better for Briefing; each the median of one ratio per round):")
    ratios = []
    hugo, pelican = their_rounds.get("hugo"), their_rounds.get("pelican")
    if hugo:
        ratios.append(("briefing full / hugo full", paired(rounds, "full", hugo, "full"), "<= 1.0"))
    if pelican:
        ratio = paired(rounds, "full", pelican, "full")
        ratios.append(("briefing full / pelican full", ratio, "<= 0.2"))
    if hugo:
        bare = paired(rounds, "full_no_search", hugo, "full")
        ratios.append(("  the same without search", bare, "none"))
    ratios.append(("edit source / full", paired(rounds, "edit_source", rounds, "full"), "<= 0.10"))
    ratios.append(("edit topic / full", paired(rounds, "edit_topic", rounds, "full"), "<= 0.10"))
    for name, seconds in serving.items():
        ratios.append((f"  {name.replace('_', ' ')} in serve / full", seconds / full, "none"))
    for name, theirs in (("hugo", hugo), ("pelican", pelican)):
        if theirs:
            ratio = paired(rounds, "edit_source", theirs, "edit")
            ratios.append((f"edit source / {name} edit", ratio, "none"))
    ratios += live_ratios(live)
    for label, value, target in ratios:
        note = f"target {target}" if target.startswith("<=") else "for comparison"
        print(f"  {label:<30}{value:6.2f}  ({note})")
    results["ratios"] = {label.strip(): round(value, 3) for label, value, _ in ratios}
    noop = briefing["noop"].seconds - startup
    print(f"  {'noop - python start-up':<30}{noop:6.3f} s (target <= 0.2 s)")
    for kind, times in live.get("briefing", {}).items():
        label = f"serve: {kind} edit to page"
        print(f"  {label:<30}{statistics.median(times):6.3f} s (target <= 0.150 s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    failed = [tool.name for tool in live_tools if tool.name not in live]
    if failed:
        print(f"\nthe live edit loop failed for: {', '.join(failed)} (see above)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
