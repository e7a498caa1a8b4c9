"""Measure article extraction on ../shared/extraction-bench (52 real pages, ground truth).

    python bench/extraction.py [--bench DIR] [--json FILE] [--show-worst N] [--folds K]

Two modes, each scored as the benchmark's README describes (word 4-shingles; mean
precision over pages with a prediction, mean recall over pages with a truth; F1 of the
two means):

- HTML mode: Briefing's extractor on the saved page, beside trafilatura 2.3.1
  (include_comments=False) and readability-lxml 0.9 alone, run in the same process, and
  the full page text as a baseline. "tidy only" is trafilatura with our tidy rules and
  none of the rules of generator/combine.py (link lists, the guard, the default mode,
  readability's continuation, embedded posts).
- Text mode: each page turned into its full visible text as a copy-paste gives it (block
  elements on their own lines, scripts and styles dropped), then Briefing's text cleaner.

The dev score of the HTML mode is measured on the pages the code was developed on, so it
flatters. Cross-validation measures what generalises: the pages are split into K folds;
for each fold, the thresholds of generator/combine.py's rules are chosen on the other
folds (the best F1 over a small grid; on a tie the first in the grid's order, which puts
first the guard, the switch and the continuation that keep the most of the article) and
scored on the fold; the mean over the folds is printed beside the dev score, and the same
without the guard and without readability's continuation. Each page is
read once (the extractors' raw output is kept for the run), so the grid costs only our own
rules, spread over the cores.

Targets (printed, never asserted in tests): cross-validated HTML F1 >= 0.975;
text F1 >= 0.85.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bs4 import BeautifulSoup  # noqa: E402

from generator.cleaning import clean_article  # noqa: E402
from generator.combine import CombineSettings  # noqa: E402
from generator.extract import PageReading, combine, decode_html, read_page  # noqa: E402

DEFAULT_BENCH = REPO.parent / "shared" / "extraction-bench"
BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
    "title",
}
INVISIBLE_TAGS = ("script", "style", "noscript", "template", "svg", "head")


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = re.findall(r"\w+", text or "")
    if len(tokens) < 4:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))


PageCounts = tuple[int, int, int]  # shingles found in both, in the prediction, in the truth


def page_counts(truth: str, prediction: str) -> PageCounts:
    """What one page adds to the scores (kept per page: the cross-validation scores the
    same pages under many settings and folds)."""
    true, predicted = shingles(truth), shingles(prediction)
    return sum((true & predicted).values()), sum(predicted.values()), sum(true.values())


def score_counts(counts: list[PageCounts]) -> dict[str, float]:
    """Each page's counts -> mean precision, mean recall, F1."""
    precisions = [hits / predicted for hits, predicted, _ in counts if predicted]
    recalls = [hits / true for hits, _, true in counts if true]
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def score(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """pairs of (truth, prediction) -> mean precision, mean recall, F1."""
    return score_counts([page_counts(truth, prediction) for truth, prediction in pairs])


def page_text(html: str) -> str:
    """The page's visible text as a copy-paste gives it: blocks on their own lines."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(INVISIBLE_TAGS):
        tag.decompose()
    for tag in soup.find_all(BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = [" ".join(line.split()) for line in soup.get_text().split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def load(bench: Path) -> list[tuple[str, bytes, str, str]]:
    truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        (
            pid,
            gzip.decompress((bench / "html" / f"{pid}.html.gz").read_bytes()),
            item["articleBody"],
            item.get("url") or "",
        )
        for pid, item in sorted(truth.items())
    ]


def run(
    name: str, extractor: Callable[[bytes], str], pages: list[tuple[str, bytes, str, str]]
) -> tuple[dict[str, float], list[tuple[float, str]]]:
    started = time.perf_counter()
    predictions = [(truth, extractor(raw)) for _, raw, truth, _ in pages]
    result = score(predictions)
    result["seconds"] = time.perf_counter() - started
    per_page = [
        (score([pair])["f1"], url) for pair, (_, _, _, url) in zip(predictions, pages, strict=True)
    ]
    return result, per_page


def trafilatura_extract(raw: bytes) -> str:
    import trafilatura

    return trafilatura.extract(raw, include_comments=False) or ""


def readability_extract(raw: bytes) -> str:
    """readability-lxml alone (a baseline): its summary's visible text."""
    from readability import Document

    return page_text(Document(decode_html(raw)).summary(html_partial=True))


# The guard shares the folds choose from, the most protective first (a tie keeps it).
GUARD_SHARES = (0.35, 0.5, 0.65, 0.8, 1.0)
# The shares of the default mode's text precision mode may lack, the most protective first.
MODE_SHARES = (0.35, 0.5, 0.65, 0.8, 1.0)
# Link lists: (share of words in links, longest block), or None for the rule off.
LINK_LISTS = ((0.5, 20), (0.5, 40), (0.5, 80), (0.75, 20), (0.75, 40), (0.75, 80), None)
# How many times as long readability-lxml's article must be to continue trafilatura's
# (0: never), the most protective first.
CONTINUATIONS = (1.3, 1.5, 2.0, 0.0)
OFF = CombineSettings(
    guard_share=1.0, embedded_posts=False, link_share=2.0, mode_share=1.0, continuation_ratio=0.0
)


def settings_grid(
    guard_shares: tuple[float, ...] = GUARD_SHARES,
    continuations: tuple[float, ...] = CONTINUATIONS,
) -> list[CombineSettings]:
    return [
        CombineSettings(
            guard, posts, *(links or (2.0, 0)), mode_share=mode, continuation_ratio=continuation
        )
        for guard in guard_shares
        for mode in MODE_SHARES
        for continuation in continuations
        for posts in (True, False)
        for links in LINK_LISTS
    ]


def describe(settings: CombineSettings) -> str:
    guard = "off" if settings.guard_share >= 1 else f"at {settings.guard_share:.0%} removed"
    mode = "off" if settings.mode_share >= 1 else f"at {settings.mode_share:.0%} lost"
    links = (
        "off"
        if settings.link_share > 1
        else f"{settings.link_share:.0%} linked, <= {settings.link_max_words} words"
    )
    continuation = (
        f"when {settings.continuation_ratio:g}x as long" if settings.continuation_ratio else "off"
    )
    return (
        f"guard {guard}, default mode {mode}, readability's continuation {continuation}, "
        f"embedded posts {'kept' if settings.embedded_posts else 'off'}, link lists {links}"
    )


# What the grid's workers read: the pages, set before the pool forks (readings hold lxml
# trees, which do not pickle).
_GRID_PAGES: tuple[list[PageReading], list[str]] = ([], [])


def _settings_counts(settings: CombineSettings) -> list[PageCounts]:
    readings, truths = _GRID_PAGES
    return [
        page_counts(truth, combine(reading, settings=settings).article.text)
        for reading, truth in zip(readings, truths, strict=True)
    ]


def grid_counts(
    readings: list[PageReading], truths: list[str], grid: list[CombineSettings]
) -> dict[CombineSettings, list[PageCounts]]:
    """Each page's counts under each setting of the grid (on every core: where fork is
    available, the workers share the readings)."""
    global _GRID_PAGES
    _GRID_PAGES = (readings, truths)
    if "fork" not in multiprocessing.get_all_start_methods():
        return {settings: _settings_counts(settings) for settings in grid}
    with multiprocessing.get_context("fork").Pool() as pool:
        return dict(zip(grid, pool.map(_settings_counts, grid, chunksize=8), strict=True))


def cross_validate(
    counts: dict[CombineSettings, list[PageCounts]], folds: int, grid: list[CombineSettings]
) -> tuple[dict[str, float], list[CombineSettings], CombineSettings]:
    """K-fold cross-validation of the combining rules' thresholds over grid (each page's
    counts under each setting given); returns the mean scores over the folds, each fold's
    choice, and the choice on all pages."""
    pages = len(counts[grid[0]])

    def best(chosen_from: list[int]) -> CombineSettings:
        return grid[
            max(
                range(len(grid)),
                key=lambda g: (score_counts([counts[grid[g]][i] for i in chosen_from])["f1"], -g),
            )
        ]

    results, chosen = [], []
    for fold in range(folds):
        test = [i for i in range(pages) if i % folds == fold]
        choice = best([i for i in range(pages) if i % folds != fold])
        chosen.append(choice)
        results.append(score_counts([counts[choice][i] for i in test]))
    mean = {key: sum(r[key] for r in results) / folds for key in ("precision", "recall", "f1")}
    return mean, chosen, best(list(range(pages)))


def print_row(name: str, result: dict[str, float]) -> None:
    seconds = f"{result['seconds']:>10.1f}" if "seconds" in result else ""
    print(
        f"{name:<28}{result['precision']:>10.3f}{result['recall']:>10.3f}"
        f"{result['f1']:>8.3f}{seconds}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (5)")
    parser.add_argument(
        "--show-worst",
        type=int,
        default=0,
        metavar="N",
        help="list the N worst pages of Briefing's two modes",
    )
    args = parser.parse_args(argv)
    if not (args.bench / "ground-truth.json").is_file():
        parser.error(f"no benchmark at {args.bench}")
    if not 2 <= args.folds <= 10:
        parser.error("--folds must be between 2 and 10")
    pages = load(args.bench)
    if len(pages) < args.folds:
        parser.error(f"{len(pages)} pages cannot make {args.folds} folds")
    started = time.perf_counter()
    readings = [read_page(decode_html(raw)) for _, raw, _, _ in pages]
    reading_seconds = time.perf_counter() - started
    by_raw = {raw: reading for (_, raw, _, _), reading in zip(pages, readings, strict=True)}
    modes: dict[str, Callable[[bytes], str]] = {
        "briefing html": lambda raw: combine(by_raw[raw]).article.text,
        "briefing html, tidy only": lambda raw: combine(by_raw[raw], settings=OFF).article.text,
        "trafilatura html": trafilatura_extract,
        "readability-lxml html": readability_extract,
        "full page text": lambda raw: page_text(decode_html(raw)),
        "briefing text": lambda raw: (
            clean_article(page_text(decode_html(raw)), markdown=False).text
        ),
    }
    results = {}
    worst = {}
    print(f"{len(pages)} pages from {args.bench}\n")
    print(f"{'mode':<28}{'precision':>10}{'recall':>10}{'F1':>8}{'seconds':>10}")
    for name, extractor in modes.items():
        result, per_page = run(name, extractor, pages)
        if name.startswith("briefing html"):
            result["seconds"] += reading_seconds  # both extractors read every page
        results[name] = result
        worst[name] = sorted(per_page)[: args.show_worst]
        print_row(name, result)
    truths = [truth for _, _, truth, _ in pages]
    counts = grid_counts(readings, truths, settings_grid())
    cv, chosen, on_all = cross_validate(counts, args.folds, settings_grid())
    results["briefing html, cross-validated"] = cv
    print_row(f"briefing html, {args.folds}-fold CV", cv)
    unguarded, _, _ = cross_validate(counts, args.folds, settings_grid((1.0,)))
    results["briefing html, cross-validated without the guard"] = unguarded
    print_row("  the same without the guard", unguarded)
    alone, _, _ = cross_validate(counts, args.folds, settings_grid(continuations=(0.0,)))
    results["briefing html, cross-validated without readability's continuation"] = alone
    print_row("  without the continuation", alone)
    print(f"\nthresholds chosen on all pages: {describe(on_all)}")
    print(f"  the defaults (CombineSettings): {describe(CombineSettings())}")
    for fold, settings in enumerate(chosen):
        print(f"  fold {fold + 1} chose: {describe(settings)}")
    text_f1 = results["briefing text"]["f1"]
    print("\ntargets:")
    print(
        f"  HTML mode, cross-validated F1 >= 0.975: "
        f"{'met' if cv['f1'] >= 0.975 else 'NOT met'} ({cv['f1']:.3f}; "
        f"dev {results['briefing html']['f1']:.3f}, "
        f"trafilatura {results['trafilatura html']['f1']:.3f})"
    )
    print(f"  text mode F1 >= 0.85: {'met' if text_f1 >= 0.85 else 'NOT met'} ({text_f1:.3f})")
    for name in ("briefing html", "briefing text"):
        for f1, url in worst[name]:
            print(f"  worst {name}: F1 {f1:.2f} {url}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
