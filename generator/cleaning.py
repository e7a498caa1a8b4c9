"""Turn raw scraped article text into a title and clean body blocks.

Everything here is a general rule (patterns in boilerplate.yaml plus layout heuristics);
nothing refers to a particular file. The order matters: page furniture is cut first, then
the headline and byline are found, then broken paragraphs are mended and blocks classified.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from importlib import resources

import yaml
from markdown_it import MarkdownIt

from .models import Block, BlockKind, CleanedArticle, PartialDate, Run, RunStyle
from .textnorm import clean_whitespace, loose_form
from .urls import is_web_url

# Lines longer than this are prose, never page furniture.
MAX_FURNITURE_WORDS = 25
# Longest subheading or headline the heuristics accept.
MAX_HEADING_WORDS = 16
MAX_QUESTION_HEADING_WORDS = 12
# A teaser's blurb is one short paragraph.
MAX_BLURB_WORDS = 80

_TERMINAL = tuple(".!?:;\"\u201d\u2019')]\u2026*")
_OPEN_QUOTES = "\"'\u201c\u2018\u00ab"
_CONTINUATION_ENDINGS = frozenset(
    "a an the and or but nor of to in on at by for with from as that which who whose had has "
    "have was were is are be been its their his her our your this these those than into".split()
)
_CRUMB_SEPARATORS = re.compile(r"\s*(?:[>/|\u00bb\u203a\u2022\u00b7]|\s)\s*")
_DATE_FORMATS = (
    "%d %B %Y",
    "%B %d, %Y",
    "%B %d %Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%b. %d, %Y",
    "%Y-%m-%d",
)
_MARKDOWN_SIGNS = re.compile(r"(?m)^#{1,6} \S|\*\*[^*\n]+\*\*|\[[^\]\n]+\]\([^)\s]+\)")
_BULLET = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+")


@dataclass(frozen=True)
class Rules:
    """The compiled boilerplate patterns."""

    lines: tuple[re.Pattern[str], ...]
    blocks: tuple[re.Pattern[str], ...]
    end_markers: tuple[re.Pattern[str], ...]
    tail_fraction: float
    teaser_markers: tuple[re.Pattern[str], ...]
    credits: tuple[re.Pattern[str], ...]
    crumb_words: frozenset[str]
    note_prefixes: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class CleanHints:
    """Per-source cleaning hints from sources.yaml (`clean:`)."""

    cut_before: str | None = None  # drop everything above the first line containing this
    cut_after: str | None = None  # drop this line and everything below it
    drop: tuple[str, ...] = ()  # drop lines equal to one of these
    format: str | None = None  # "markdown" or "text"; guessed when absent


def _compile(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(rf"(?:{p})", re.IGNORECASE) for p in patterns)


@cache
def default_rules() -> Rules:
    """Load boilerplate.yaml shipped with the package."""
    data = yaml.safe_load(resources.files(__package__).joinpath("boilerplate.yaml").read_text())
    return Rules(
        lines=_compile(data["lines"]),
        blocks=_compile(data["blocks"]),
        end_markers=_compile(data["end_markers"]),
        tail_fraction=float(data["tail_fraction"]),
        teaser_markers=_compile(data["teaser_markers"]),
        credits=_compile(data["credits"]),
        crumb_words=frozenset(w.casefold() for w in data["crumb_words"]),
        note_prefixes=_compile(data["note_prefixes"]),
    )


def looks_like_markdown(text: str) -> bool:
    """Guess whether a .txt file was saved as Markdown (a # heading, **bold**, [a](b) link)."""
    if "#" not in text and "**" not in text and "](" not in text:
        return False  # most scraped text: no need to run the pattern over all of it
    return bool(_MARKDOWN_SIGNS.search(text))


@dataclass
class _Draft:
    """Working state while cleaning: blocks are lists of lines."""

    blocks: list[list[str]]
    removed: list[str] = field(default_factory=list)

    def drop_block(self, index: int) -> None:
        self.removed.extend(self.blocks[index])
        del self.blocks[index]

    def keep_blocks(self, keep: Callable[[list[str]], bool]) -> None:
        """Keep the blocks keep() accepts, in one pass, recording the others as removed."""
        kept = []
        for block in self.blocks:
            if keep(block):
                kept.append(block)
            else:
                self.removed.extend(block)
        self.blocks = kept


@lru_cache(maxsize=8192)
def _words(text: str) -> int:
    """Word count; cached, because the rules ask it of the same lines again and again."""
    return len(text.split())


def _fullmatch(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    return any(p.fullmatch(text) for p in patterns)


def _plain(line: str) -> str:
    """A line without Markdown emphasis markers or heading hashes, for pattern matching."""
    if "#" not in line and "*" not in line and "_" not in line:
        return line.strip()
    line = re.sub(r"^#{1,6}\s+", "", line)
    return re.sub(r"(\*\*|__|\*|_)(.+?)\1", r"\2", line).strip()


def matches_furniture(line: str, rules: Rules, *, blocks: bool = True) -> bool:
    """A short line that is page furniture by the pattern lists (with blocks=True, also by
    the block patterns, such as a copyright notice)."""
    if len(line.split()) > MAX_FURNITURE_WORDS:
        return False
    plain = _plain(line)
    return _fullmatch(rules.lines, plain) or (blocks and _fullmatch(rules.blocks, plain))


def _split_blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] = []
    for raw_line in clean_whitespace(text).split("\n"):
        line = raw_line.strip()
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _apply_hints(draft: _Draft, hints: CleanHints) -> None:
    lines = [(bi, li) for bi, block in enumerate(draft.blocks) for li in range(len(block))]
    if hints.cut_after:
        for bi, li in lines:
            if hints.cut_after in draft.blocks[bi][li]:
                draft.removed.extend(draft.blocks[bi][li:])
                for block in draft.blocks[bi + 1 :]:
                    draft.removed.extend(block)
                draft.blocks = draft.blocks[:bi] + ([draft.blocks[bi][:li]] if li else [])
                break
    if hints.cut_before:
        for bi, block in enumerate(draft.blocks):
            hit = next((li for li, line in enumerate(block) if hints.cut_before in line), None)
            if hit is not None:
                for dropped in draft.blocks[:bi]:
                    draft.removed.extend(dropped)
                draft.removed.extend(block[:hit])
                draft.blocks = [block[hit:]] + draft.blocks[bi + 1 :]
                break
    if hints.drop:
        unwanted = {loose for loose in map(loose_form, hints.drop)}
        _filter_lines(draft, lambda line: loose_form(line) in unwanted)


def _filter_lines(draft: _Draft, unwanted: Callable[[str], bool]) -> None:
    kept_blocks = []
    for block in draft.blocks:
        kept = []
        for line in block:
            if unwanted(line):
                draft.removed.append(line)
            else:
                kept.append(line)
        if kept:
            kept_blocks.append(kept)
    draft.blocks = kept_blocks


def _drop_captions(draft: _Draft, rules: Rules) -> None:
    """An image caption is a few short lines closed by a credit such as 'Source: Web'."""

    def is_caption(block: list[str]) -> bool:
        if len(block) > 4 or _words(block[-1]) > 8:
            return False
        return _fullmatch(rules.credits, _plain(block[-1])) and all(
            _words(line) <= 20 for line in block
        )

    draft.keep_blocks(lambda block: not is_caption(block))


def _is_teaser_marker(line: str, rules: Rules) -> bool:
    return _words(line) <= 6 and _fullmatch(rules.teaser_markers, _plain(line))


def _drop_teasers(draft: _Draft, rules: Rules) -> None:
    """A related-story teaser: a marker line, a headline, its repeat and a short blurb."""
    blocks = draft.blocks
    dropped: set[int] = set()
    for i, block in enumerate(blocks):
        if i in dropped or not any(_is_teaser_marker(line, rules) for line in block):
            continue
        dropped.add(i)
        headlines = {
            loose_form(_plain(line)) for line in block if not _is_teaser_marker(line, rules)
        }
        following = [j for j in range(i + 1, min(i + 5, len(blocks))) if j not in dropped]
        if not headlines and following and _is_title_like(blocks[following[0]]):
            headlines.add(loose_form(_plain(blocks[following[0]][0])))
            dropped.add(following.pop(0))
        for position, j in enumerate(following[:3]):
            if _words(" ".join(blocks[j])) <= 25 and (
                loose_form(_plain(" ".join(blocks[j]))) in headlines
            ):
                dropped.add(j)
                after = following[position + 1 : position + 2]
                if after and _words(" ".join(blocks[after[0]])) <= MAX_BLURB_WORDS:
                    dropped.add(after[0])
                break
    if dropped:
        index = iter(range(len(blocks)))
        draft.keep_blocks(lambda _block: next(index) not in dropped)


def _cut_trailing_furniture(draft: _Draft, rules: Rules) -> None:
    """From an end marker (author box, comments) drop the rest, if the rest is short."""
    total = sum(_words(line) for block in draft.blocks for line in block)
    seen = 0
    for bi, block in enumerate(draft.blocks):
        for li, line in enumerate(block):
            short_tail = total - seen <= rules.tail_fraction * total
            if short_tail and _words(line) <= MAX_FURNITURE_WORDS:
                if _fullmatch(rules.end_markers, _plain(line)):
                    draft.removed.extend(block[li:])
                    for dropped in draft.blocks[bi + 1 :]:
                        draft.removed.extend(dropped)
                    draft.blocks = draft.blocks[:bi] + ([block[:li]] if li else [])
                    return
            seen += _words(line)


def _is_title_like(block: list[str]) -> bool:
    if len(block) != 1:
        return False
    line = _plain(block[0])
    return 0 < _words(line) <= 25 and not line.endswith((".", ",", ";", ":", "!"))


def _is_crumb_line(line: str, rules: Rules) -> bool:
    parts = [p for p in _CRUMB_SEPARATORS.split(line.casefold()) if p]
    return 0 < len(parts) <= 8 and all(p in rules.crumb_words for p in parts)


def _take_title(draft: _Draft, rules: Rules, markdown: bool) -> str | None:
    """Find the headline, dropping navigation crumbs above it and repeats of it below."""
    while draft.blocks and all(_is_crumb_line(line, rules) for line in draft.blocks[0]):
        draft.drop_block(0)
    if not draft.blocks:
        return None
    title: str | None = None
    first = draft.blocks[0]
    if markdown and len(first) == 1 and re.match(r"^#\s", first[0]):
        title = first[0].lstrip("#").strip()
    elif len(draft.blocks) > 1 and _is_title_like(first):
        following = draft.blocks[1]
        crumbs_then_title = (
            _is_title_like(following)
            and loose_form(first[0]).endswith(" " + loose_form(following[0]))
            and _words(first[0]) - _words(following[0]) <= 8
        )
        if crumbs_then_title:
            draft.drop_block(0)
            first = draft.blocks[0]
        title = _plain(first[0])
    if title is None:
        return None
    draft.drop_block(0)
    key = loose_form(title)
    draft.keep_blocks(lambda b: len(b) > 1 or _words(b[0]) > 25 or loose_form(_plain(b[0])) != key)
    return title


def _parse_date(text: str) -> PartialDate | None:
    text = text.strip().rstrip(".")
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return PartialDate(parsed.year, parsed.month, parsed.day)
    return None


def _take_byline(draft: _Draft) -> tuple[str | None, PartialDate | None]:
    """A byline right under the headline: an author line and/or a date line."""
    if not draft.blocks:
        return None, None
    block = draft.blocks[0]
    if len(block) > 3 or sum(_words(line) for line in block) > 12:
        return None, None
    author: str | None = None
    date: PartialDate | None = None
    for line in block:
        plain = _plain(line).strip()
        parsed = _parse_date(plain)
        if parsed:
            date = parsed
        elif re.fullmatch(r"\*\*[^*]+\*\*", line.strip()) or re.match(r"(?i)^by\s+\S", plain):
            author = re.sub(r"(?i)^by\s+", "", plain)
        else:
            return None, None
    if author is None and date is None:
        return None, None
    draft.drop_block(0)
    return author, date


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith(_TERMINAL)


def _starts_lowercase(text: str) -> bool:
    stripped = text.lstrip(_OPEN_QUOTES)
    return bool(stripped) and stripped[0].islower()


def _mend_broken_paragraphs(draft: _Draft, markdown: bool) -> None:
    """Join a paragraph that a scrape split in mid-sentence with the part that follows."""
    mended: list[list[str]] = []
    for block in draft.blocks:
        if mended:
            previous = " ".join(mended[-1])
            structural = markdown and re.match(r"^(#|>|[-*+] |\d+[.)] )", block[0])
            if (
                not structural
                and not (markdown and previous.startswith(("#", ">")))
                and not _ends_sentence(previous)
                and (
                    _starts_lowercase(block[0])
                    or _words(previous) > MAX_HEADING_WORDS + 4
                    or previous.split()[-1].casefold() in _CONTINUATION_ENDINGS
                )
            ):
                mended[-1] = mended[-1] + block
                continue
        mended.append(list(block))
    draft.blocks = mended


_INLINE_MD = MarkdownIt("commonmark", {"html": False})


def _inline_runs(text: str) -> tuple[Run, ...]:
    """Parse Markdown inline syntax into styled runs (never raw HTML)."""
    tokens = _INLINE_MD.parseInline(text)[0].children or []
    runs: list[Run] = []
    styles: list[RunStyle] = []
    href: str | None = None
    for token in tokens:
        if token.type in ("em_open", "strong_open"):
            styles.append("em" if token.type == "em_open" else "strong")
        elif token.type in ("em_close", "strong_close"):
            if styles:
                styles.pop()
        elif token.type == "link_open":
            target = str(token.attrGet("href") or "")
            href = target if is_web_url(target) else None
        elif token.type == "link_close":
            href = None
        elif token.type == "softbreak":
            runs.append(Run(" "))
        elif token.type == "hardbreak":
            runs.append(Run("", "br"))
        elif token.type == "code_inline":
            runs.append(Run(token.content, "code"))
        elif token.type == "image":
            if token.content:
                runs.append(Run(token.content))
        elif token.content:
            if href:
                runs.append(Run(token.content, "link", href))
            else:
                runs.append(Run(token.content, styles[-1] if styles else ""))
    return _merge_runs(runs)


def _merge_runs(runs: list[Run]) -> tuple[Run, ...]:
    merged: list[Run] = []
    for run in runs:
        previous = merged[-1] if merged else None
        if (
            previous
            and run.style != "br"
            and (run.style, run.href) == (previous.style, previous.href)
        ):
            merged[-1] = Run(previous.text + run.text, run.style, run.href)
        else:
            merged.append(run)
    return tuple(merged)


def _classify(draft: _Draft, rules: Rules, markdown: bool) -> tuple[Block, ...]:
    blocks: list[Block] = []
    count = len(draft.blocks)
    for index, lines in enumerate(draft.blocks):
        kind: BlockKind = "paragraph"
        first = lines[0]
        if markdown and re.match(r"^#{1,6}\s", first) and len(lines) == 1:
            blocks.append(Block("heading", _inline_runs(first.lstrip("#").strip())))
            continue
        if markdown and first.startswith(">"):
            text = " ".join(re.sub(r"^>\s?", "", line) for line in lines)
            blocks.append(Block("quote", _inline_runs(text)))
            continue
        if markdown and _BULLET.match(first):
            items: list[str] = []
            for line in lines:
                if _BULLET.match(line):
                    items.append(_BULLET.sub("", line))
                elif items:
                    items[-1] += " " + line
            blocks.extend(Block("list_item", _inline_runs(item)) for item in items)
            continue
        text = " ".join(lines)
        plain = _plain(text)
        if any(p.match(plain) for p in rules.note_prefixes):
            kind = "note"
            text = text.lstrip("*").strip() if text.count("*") % 2 else text
        elif len(lines) == 1 and index < count - 1 and plain[:1].isupper():
            words = _words(plain)
            if (words <= MAX_HEADING_WORDS and not _ends_sentence(plain)) or (
                words <= MAX_QUESTION_HEADING_WORDS and plain.endswith("?")
            ):
                kind = "heading"
        runs = _inline_runs(text) if markdown else (Run(text),)
        blocks.append(Block(kind, runs))
    return tuple(blocks)


# A text that is a whole page's copy (navigation, link lists, footers around the article)
# has many lines and mostly short ones; scraped article text has few short lines. For such
# a page the article is the stretch of lines with the most prose, found as a maximum-sum
# window where a prose line scores its words and any other line a penalty (the idea of
# Finn et al.'s body text extraction, on lines instead of tags).
PAGE_DUMP_MIN_LINES = 30
PAGE_DUMP_SHORT_SHARE = 0.6
PROSE_MIN_WORDS = 12
SHORT_LINE_PENALTY = 6
LINK_LIST_MIN_LINES = 4  # this many short lines in a row inside the article: a link list
_PROSE_END = re.compile(r"[.!?:;\"\u201d\u2019)\u2026]$")


def _is_prose(line: str) -> bool:
    words = len(line.split())
    return words >= 2 * PROSE_MIN_WORDS or (
        words >= PROSE_MIN_WORDS and bool(_PROSE_END.search(line))
    )


def main_region(text: str) -> str | None:
    """The article's lines of a whole-page copy, or None when text is not one."""
    lines = [line.strip() for line in clean_whitespace(text).split("\n") if line.strip()]
    prose = [_is_prose(line) for line in lines]
    if len(lines) < PAGE_DUMP_MIN_LINES or prose.count(False) < PAGE_DUMP_SHORT_SHARE * len(lines):
        return None
    best, best_start, best_end = 0.0, 0, 0
    running, start = 0.0, 0
    for index, line in enumerate(lines):
        if running <= 0:
            running, start = 0.0, index
        running += len(line.split()) if prose[index] else -SHORT_LINE_PENALTY
        if running > best:
            best, best_start, best_end = running, start, index + 1
    kept: list[str] = []
    index = best_start
    while index < best_end:
        end = index
        while end < best_end and not prose[end]:
            end += 1
        if end - index < LINK_LIST_MIN_LINES:
            kept += lines[index:end]
        if end < best_end:
            kept.append(lines[end])
        index = end + 1
    return "\n\n".join(kept)


def clean_article(
    raw: str,
    *,
    markdown: bool | None = None,
    hints: CleanHints | None = None,
    rules: Rules | None = None,
) -> CleanedArticle:
    """Clean one raw article; markdown=None guesses from the text."""
    hints = hints or CleanHints()
    rules = rules or default_rules()
    if markdown is None:
        markdown = looks_like_markdown(raw)
    region = None if markdown else main_region(raw)
    draft = _Draft(_split_blocks(region if region is not None else raw))
    _apply_hints(draft, hints)
    _cut_trailing_furniture(draft, rules)
    _drop_captions(draft, rules)
    _drop_teasers(draft, rules)
    _filter_lines(
        draft,
        lambda line: _words(line) <= MAX_FURNITURE_WORDS and _fullmatch(rules.lines, _plain(line)),
    )
    draft.keep_blocks(
        lambda b: (
            sum(map(_words, b)) > 2 * MAX_FURNITURE_WORDS
            or not _fullmatch(rules.blocks, _plain(" ".join(b)))
        )
    )
    title = _take_title(draft, rules, markdown)
    author, date = _take_byline(draft)
    _mend_broken_paragraphs(draft, markdown)
    if markdown and title:
        title = "".join(run.text for run in _inline_runs(title))
    return CleanedArticle(
        title=title,
        blocks=_classify(draft, rules, markdown),
        removed=tuple(draft.removed),
        byline_author=author,
        byline_date=date,
    )
