"""A mutation run: how many small changes to the generator the non-browser tests catch.

    python tests/mutation.py --sample 44 --seed 1        # about 40 minutes on 2 cores
    python tests/mutation.py --list --sample 44          # the mutants only

Mutants are drawn at random (a fixed seed) from the lines a build of the repository's site
runs, in the modules named below, with the classic operators: a comparison flipped or
loosened, `and`/`or` swapped, a `not` dropped, a number moved by one, a string constant
emptied, a `return` of a value made `return None`. Each
mutant is applied to a checkout of the last commit, whose non-browser, non-validator tests then
run (stopping at the first failure); a mutant is killed when a test fails (or the run
exceeds the time limit), and survives otherwise. Not run in CI: it is a measure of the
tests, read by people (the survivors are listed at the end). generator/ must be committed.
"""

from __future__ import annotations

import argparse
import ast
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = (
    "cleaning",
    "resolve",
    "markdown/citations",
    "markdown/wikilinks",
    "feeds",
    "feedplan",
    "feedxml",
    "output",
    "cache",
    "pagekeys",
    "site",
    "sanitize",
    "urls",
    "inputs",
    "checks",
    "plan",
    "schedule",
    "pages",
    "sources",
    "content",
)
SWAPS = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    module: str  # e.g. "generator/feeds.py"
    line: int
    start: int  # offsets into the file's text
    end: int
    before: str
    after: str

    def describe(self) -> str:
        return f"{self.module}:{self.line}: {self.before!r} -> {self.after!r}"


def lines_run_by_a_build() -> dict[str, set[int]]:
    """The generator's lines (by file) that a build of the repository's site runs."""
    sys.path.insert(0, str(ROOT))
    import generator

    seen: dict[str, set[int]] = {}
    prefix = str(ROOT / "generator")

    def trace(frame, event, arg):  # type: ignore[no-untyped-def]
        name = frame.f_code.co_filename
        if not name.startswith(prefix):
            return None
        if event == "line":
            seen.setdefault(name, set()).add(frame.f_lineno)
        return trace

    with tempfile.TemporaryDirectory() as folder:
        sys.settrace(trace)
        try:
            generator.build(ROOT, Path(folder) / "out", use_cache=False, jobs=1, search=False)
        finally:
            sys.settrace(None)
    return seen


def candidates(path: Path, text: str, run: set[int]) -> Iterator[Mutant]:
    """Every mutant of one module on a line that runs."""
    tree = ast.parse(text)
    offsets = _line_offsets(text)
    module = path.relative_to(ROOT).as_posix()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) not in run or _in_docstring(node):
            continue
        for replacement in _mutations(node):
            segment = ast.get_source_segment(text, node)
            if segment is None or node.end_lineno is None or node.end_col_offset is None:
                continue
            start = offsets[node.lineno - 1] + _byte_to_char(text, offsets, node, False)
            end = offsets[node.end_lineno - 1] + _byte_to_char(text, offsets, node, True)
            yield Mutant(module, node.lineno, start, end, segment, replacement)


def _mutations(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in SWAPS:
        swapped = ast.Compare(node.left, [SWAPS[type(node.ops[0])]()], node.comparators)
        yield ast.unparse(swapped)
    elif isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield ast.unparse(ast.BoolOp(other, node.values))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield f"({ast.unparse(node.operand)})"
    elif isinstance(node, ast.Constant) and type(node.value) is int and not 0 <= node.value < 2:
        yield repr(node.value + 1)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
        yield "''"
    elif isinstance(node, ast.If):
        return  # conditions are mutated through their own nodes
    elif isinstance(node, ast.Return) and node.value is not None:
        if not isinstance(node.value, ast.Constant):
            yield "return None"


def _in_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and "\n" in node.value


def _line_offsets(text: str) -> list[int]:
    offsets, total = [], 0
    for line in text.splitlines(keepends=True):
        offsets.append(total)
        total += len(line)
    return offsets


def _byte_to_char(text: str, offsets: list[int], node: ast.AST, end: bool) -> int:
    """ast gives column offsets in UTF-8 bytes; the text is indexed by characters."""
    line_number = node.end_lineno if end else node.lineno  # type: ignore[attr-defined]
    column = node.end_col_offset if end else node.col_offset  # type: ignore[attr-defined]
    start = offsets[line_number - 1]
    line = text[start : offsets[line_number] if line_number < len(offsets) else len(text)]
    return len(line.encode("utf-8")[:column].decode("utf-8", errors="ignore"))


def sample(count: int, seed: int) -> list[Mutant]:
    """count mutants, spread over the modules (round robin), drawn with seed."""
    run = lines_run_by_a_build()
    rng = random.Random(seed)
    pools = []
    for name in MODULES:
        path = ROOT / "generator" / f"{name}.py"
        found = list(candidates(path, path.read_text(encoding="utf-8"), run.get(str(path), set())))
        rng.shuffle(found)
        pools.append(found)
    chosen: list[Mutant] = []
    while len(chosen) < count and any(pools):
        for pool in pools:
            if pool and len(chosen) < count:
                chosen.append(pool.pop())
    return chosen


@contextmanager
def checkout() -> Iterator[Path]:
    """A checkout of the committed project (a git worktree: the tests ask git which files
    a clone has), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="briefing-mutation-"))
    subprocess.run(
        ["git", "worktree", "add", "-q", "--detach", str(folder), "HEAD"], cwd=ROOT, check=True
    )
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT)
        shutil.rmtree(folder, ignore_errors=True)


def killed(mutant: Mutant, copy: Path, limit: float) -> tuple[bool, str, str]:
    """Apply the mutant to the copy, run the tests, restore; (killed, what said so, the
    tests' output)."""
    target = copy / mutant.module
    original = target.read_text(encoding="utf-8")
    target.write_text(original[: mutant.start] + mutant.after + original[mutant.end :], "utf-8")
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-x",
                "-q",
                "-p",
                "no:cacheprovider",
                "-m",
                "not browser and not validators",
            ],
            cwd=copy,
            capture_output=True,
            text=True,
            timeout=limit,
        )
    except subprocess.TimeoutExpired:
        return True, f"no result within {limit:.0f} s", ""
    finally:
        target.write_text(original, "utf-8")
    failed = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    return done.returncode != 0, (failed[0] if failed else ""), done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=44, help="how many mutants (default 44)")
    parser.add_argument("--seed", type=int, default=1, help="which ones (default 1)")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--limit", type=float, default=900, help="seconds per mutant")
    parser.add_argument("--logs", type=Path, help="write each mutant's test output here")
    args = parser.parse_args()
    changed = subprocess.run(
        ["git", "status", "--porcelain", "generator"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    if changed.strip():
        sys.exit("commit generator/ first: the mutants are applied to the last commit")
    mutants = sample(args.sample, args.seed)
    if args.list:
        for mutant in mutants:
            print(mutant.describe())
        return
    survivors = []
    with checkout() as copy:
        for number, mutant in enumerate(mutants, 1):
            started = time.perf_counter()
            caught, why, printed = killed(mutant, copy, args.limit)
            if args.logs:
                args.logs.mkdir(parents=True, exist_ok=True)
                (args.logs / f"{number:03}.txt").write_text(mutant.describe() + "\n" + printed)
            took = time.perf_counter() - started
            print(
                f"[{number}/{len(mutants)}] {'killed  ' if caught else 'SURVIVED'} "
                f"{mutant.describe()} ({took:.0f} s) {why}",
                flush=True,
            )
            if not caught:
                survivors.append(mutant)
    rate = 1 - len(survivors) / len(mutants)
    print(f"\nkilled {len(mutants) - len(survivors)} of {len(mutants)} ({rate:.0%})")
    for mutant in survivors:
        print("  survived:", mutant.describe())


if __name__ == "__main__":
    main()
