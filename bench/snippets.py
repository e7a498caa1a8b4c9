"""Check extraction on pages it was never tuned on: a corpus annotated by snippets.

    python bench/snippets.py DIR [--limit N] [--json FILE]

DIR holds `evaldata.json` ({url: {"file": name, "with": [...], "without": [...]}}) and
the saved pages it names under `cache/` or `eval/`: the layout of trafilatura's own
evaluation corpus (its repository's `tests/` folder, about 990 pages in many languages:
`git clone --depth 1 https://github.com/adbar/trafilatura`). Nothing of it is copied
into this project.

Each page counts as trafilatura's evaluation counts it: a "with" snippet found in the
extracted text (whitespace folded) is a true positive, one missing a false negative; a
"without" snippet found is a false positive. Precision, recall and F1 are over all the
snippets. The rules of generator/combine.py were chosen on the 52 pages of
bench/extraction.py, never on these: a rule that helps there and hurts here is noise.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.combine import CombineSettings  # noqa: E402
from generator.extract import combine, decode_html, read_page  # noqa: E402

# What is measured on each page: Briefing, Briefing without each rule that combines
# readings, and the two extractors alone.
MODES = ("briefing html", "without the continuation", "without the default mode")
BASELINES = ("trafilatura html", "readability-lxml html")
Counts = tuple[int, int, int]  # true positives, false positives, false negatives


def page_texts(raw: bytes) -> dict[str, str]:
    """Each mode's extracted text of one saved page."""
    from extraction import readability_extract, trafilatura_extract

    reading = read_page(decode_html(raw))
    settings = {
        "briefing html": CombineSettings(),
        "without the continuation": CombineSettings(continuation_ratio=0.0),
        "without the default mode": CombineSettings(mode_share=1.0),
    }
    texts = {mode: combine(reading, settings=s).article.text for mode, s in settings.items()}
    texts["trafilatura html"] = trafilatura_extract(raw)
    texts["readability-lxml html"] = readability_extract(raw)
    return texts


def count(item: dict[str, Any], text: str) -> Counts:
    """One page's snippets: (found of "with", found of "without", missing of "with")."""
    folded = _fold(text)
    found = sum(_fold(snippet) in folded for snippet in item["with"])
    unwanted = sum(_fold(snippet) in folded for snippet in item["without"])
    return found, unwanted, len(item["with"]) - found


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def scores(counts: list[Counts]) -> dict[str, float]:
    tp, fp, fn = (sum(c[i] for c in counts) for i in range(3))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def _page(task: tuple[Path, dict[str, Any]]) -> dict[str, Counts]:
    path, item = task
    texts = page_texts(path.read_bytes())
    return {mode: count(item, text) for mode, text in texts.items()}


def corpus(folder: Path, limit: int | None) -> list[tuple[Path, dict[str, Any]]]:
    """The annotated pages whose saved file is there, in a stable order."""
    annotations = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    tasks = []
    for url in sorted(annotations):
        item = annotations[url]
        paths = [folder / sub / item["file"] for sub in ("cache", "eval")]
        tasks += [(path, item) for path in paths if path.is_file()][:1]
    return tasks[:limit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path, help="holds evaldata.json, cache/ and eval/")
    parser.add_argument("--limit", type=int, help="only the first N pages")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if not (args.folder / "evaldata.json").is_file():
        parser.error(f"no evaldata.json in {args.folder}")
    tasks = corpus(args.folder, args.limit)
    if not tasks:
        parser.error(f"none of the pages evaldata.json names is in {args.folder}")
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # extraction.py, for workers
    with multiprocessing.Pool() as pool:
        pages = pool.map(_page, tasks, chunksize=4)
    print(f"{len(tasks)} pages from {args.folder}\n")
    print(f"{'mode':<28}{'precision':>10}{'recall':>10}{'F1':>8}{'found':>7}{'unwanted':>9}")
    results = {}
    for mode in (*MODES, *BASELINES):
        result = results[mode] = scores([page[mode] for page in pages])
        print(
            f"{mode:<28}{result['precision']:>10.3f}{result['recall']:>10.3f}"
            f"{result['f1']:>8.3f}{result['tp']:>7}{result['fp']:>9}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
