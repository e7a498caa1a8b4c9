"""A build killed with SIGKILL at any moment leaves the output as it was or as the finished
build makes it, never a mix; the next build cleans up what the killed one left and gives
a clean build's bytes.

The build runs in a child process that counts every change it makes to the disk (a file
written, linked, renamed or removed, a folder swapped) and kills itself, with SIGKILL,
at the Nth: a sweep over N reaches every step of a rebuild, the swap included.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import generator
from bench.corpus import generate
from tests.conftest import ROOT, edit, tree_digest

# The child: wrap each call that changes the disk; at the Nth, SIGKILL (N=0: count only,
# and print the count).
KILLED_BUILD = """
import builtins, json, os, shutil, signal, sys
from pathlib import Path
sys.path.insert(0, {root!r})
import generator, generator.output as output
when, count, swap_step = sys.argv[2], [0], [0]
stop = [int(when)] if when.isdigit() else [0]

def step():
    count[0] += 1
    if count[0] == stop[0]:
        os.kill(os.getpid(), signal.SIGKILL)

def counted(call):
    def wrapper(*args, **kwargs):
        step()
        return call(*args, **kwargs)
    return wrapper

for name in ("link", "unlink", "replace", "rename", "rmdir", "mkdir"):
    setattr(os, name, counted(getattr(os, name)))
shutil.rmtree = counted(shutil.rmtree)
real_exchange = output._exchange
def exchange(*args):
    swap_step[0] = count[0] + 1
    if when.startswith("swap+"):
        stop[0] = count[0] + 1 + int(when[5:])
    return counted(real_exchange)(*args)
output._exchange = exchange
real_open = builtins.open
def writing_open(file, mode="r", *args, **kwargs):
    if any(flag in mode for flag in "wax+"):
        step()
    return real_open(file, mode, *args, **kwargs)
builtins.open = writing_open
real_os_open = os.open
def writing_os_open(path, flags, *args, **kwargs):
    if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
        step()
    return real_os_open(path, flags, *args, **kwargs)
os.open = writing_os_open
generator.build(Path(sys.argv[1]), jobs=int(sys.argv[3]))
print(json.dumps([count[0], swap_step[0]]))
"""


def killed_build(project: Path, when: str, jobs: int = 1) -> subprocess.CompletedProcess[str]:
    """A build killed at step `when`: a number, or swap+K (K steps after the swap's start;
    swap+0 just before it); 0: not killed."""
    script = KILLED_BUILD.format(root=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", script, str(project), when, str(jobs)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def build_counting_steps(project: Path, jobs: int = 1) -> int:
    """Build (to completion); how many changes to the disk it made."""
    done = killed_build(project, "0", jobs)
    assert done.returncode == 0, done.stderr
    total, _ = json.loads(done.stdout.strip().splitlines()[-1])
    return int(total)


def leftovers(project: Path) -> list[str]:
    """Temporary folders of builds (the spare, the output before last, is not one)."""
    return [p.name for p in project.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def kill_points(total: int, points: int) -> list[str]:
    """The swap and the three steps after it (where a swap made of several renames would
    be half done), then steps spread over a build of about `total` steps (rebuilds after
    different edits differ a little in length)."""
    spread = [1 + (total * 8 // 10) * n // max(1, points - 5) for n in range(points - 4)]
    return [f"swap+{k}" for k in range(4)] + [str(n) for n in spread]


def sweep(project: Path, toggle, points: int, jobs: int = 1) -> None:  # type: ignore[no-untyped-def]
    """Kill rebuilds at `points` steps: after each kill the output is the old site or the
    new one, and a normal build then gives the new one, clean."""
    out = project / "output"
    total = build_counting_steps(project, jobs)
    for number in range(points):
        old = tree_digest(out)
        toggle(project, number)
        generator.build(project, project.parent / "clean", use_cache=False, jobs=jobs)
        new = tree_digest(project.parent / "clean")
        when = kill_points(total, points)[number]
        killed = killed_build(project, when, jobs)
        assert killed.returncode == -9, (when, total, killed.stderr[-2000:])
        assert tree_digest(out) in (old, new), f"killed at step {when} of {total}: a mix"
        # the shortest build seen is a rebuild's length (a kill after the swap, before
        # the cache is saved, makes the next build a first build)
        total = min(total, build_counting_steps(project, jobs))
        assert tree_digest(out) == new, f"the build after a kill at step {when} is not clean"
        assert not leftovers(project), leftovers(project)


def toggle_repository_edit(project: Path, number: int) -> None:
    """Alternately add and remove a topic page (with a new tag), and edit a source."""
    seed = project / "seeds/001_aa6b22c0c52c705b.txt"
    words = ("engaged in discussions", "engaged in long discussions")
    edit(seed, *(words if number % 2 == 0 else words[::-1]))
    extra = project / "content/topics/extra.md"
    if extra.exists():
        extra.unlink()
    else:
        extra.write_text("---\ntitle: Extra\ntags: [Kill test]\n---\n\nA page.\n", "utf-8")


def test_killed_rebuilds_of_the_repository_site_leave_old_or_new(project: Path) -> None:
    sweep(project, toggle_repository_edit, points=14)


def toggle_corpus_edit(project: Path, number: int) -> None:
    """An edit of one source's text and of one topic's text."""
    seed = sorted((project / "seeds").glob("*.txt"))[number % 3]
    seed.write_text(seed.read_text(encoding="utf-8") + f"\nAdded line {number}.\n", "utf-8")
    topic = sorted((project / "content/topics").glob("*.md"))[0]
    topic.write_text(topic.read_text(encoding="utf-8") + f"\nMore {number}.\n", "utf-8")


def test_killed_rebuilds_of_a_corpus_with_worker_processes_leave_old_or_new(
    tmp_path: Path,
) -> None:
    project = generate(tmp_path / "corpus", sources=220, topics=12, repo=ROOT)["briefing"]
    sweep(project, toggle_corpus_edit, points=8, jobs=2)
