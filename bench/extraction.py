"""Measure article extraction on ../shared/extraction-bench (52 real pages, ground truth).

    python bench/extraction.py [--bench DIR] [--json FILE] [--show-worst N]

Two modes, each scored as the benchmark's README describes (word 4-shingles; mean
precision over pages with a prediction, mean recall over pages with a truth; F1 of the
two means):

- HTML mode: Briefing's extractor on the saved page, beside trafilatura 2.3.1
  (include_comments=False) run in the same process, and the full page text as a baseline.
- Text mode: each page turned into its full visible text as a copy-paste gives it (block
  elements on their own lines, scripts and styles dropped), then Briefing's text cleaner.

Targets (printed, never asserted in tests): HTML F1 >= 0.955 and above trafilatura;
text F1 >= 0.85.
"""

from __future__ import annotations

import argparse
import gzip
import json
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
from generator.extract import decode_html, extract_html  # noqa: E402

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


def score(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """pairs of (truth, prediction) -> mean precision, mean recall, F1."""
    precisions, recalls = [], []
    for truth, prediction in pairs:
        true, predicted = shingles(truth), shingles(prediction)
        hits = sum((true & predicted).values())
        if predicted:
            precisions.append(hits / sum(predicted.values()))
        if true:
            recalls.append(hits / sum(true.values()))
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--json", type=Path, help="also write the results here")
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
    pages = load(args.bench)
    modes: dict[str, Callable[[bytes], str]] = {
        "briefing html": lambda raw: extract_html(raw).article.text,
        "trafilatura html": trafilatura_extract,
        "full page text": lambda raw: page_text(decode_html(raw)),
        "briefing text": lambda raw: (
            clean_article(page_text(decode_html(raw)), markdown=False).text
        ),
    }
    results = {}
    worst = {}
    print(f"{len(pages)} pages from {args.bench}\n")
    print(f"{'mode':<20}{'precision':>10}{'recall':>10}{'F1':>8}{'seconds':>10}")
    for name, extractor in modes.items():
        result, per_page = run(name, extractor, pages)
        results[name] = result
        worst[name] = sorted(per_page)[: args.show_worst]
        print(
            f"{name:<20}{result['precision']:>10.3f}{result['recall']:>10.3f}"
            f"{result['f1']:>8.3f}{result['seconds']:>10.1f}"
        )
    html_f1, text_f1 = results["briefing html"]["f1"], results["briefing text"]["f1"]
    print("\ntargets:")
    reference = results["trafilatura html"]["f1"]
    html_met = html_f1 >= 0.955 and html_f1 > reference
    print(
        f"  HTML mode F1 >= 0.955 and above trafilatura ({reference:.3f}): "
        f"{'met' if html_met else 'NOT met'} ({html_f1:.3f})"
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
