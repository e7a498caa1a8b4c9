"""Load seeds/: validate sources.yaml against the files beside it, then clean each article."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from .cleaning import CleanHints
from .extract import HTML_SUFFIXES, CleanRequest, clean_articles, decode_html
from .inputs import LineDict, decode_text, parse_yaml, read_bytes
from .models import (
    EMPTY_ARTICLE,
    SOURCE_KINDS,
    BuildError,
    CleanedArticle,
    PartialDate,
    Problem,
    Source,
)
from .textnorm import split_sentences
from .urls import is_safe_url, slugify

SOURCES_FILE = "sources.yaml"
SOURCE_SUFFIXES = (".txt", ".md", ".html", ".htm")
ENTRY_KEYS = {
    "id",
    "file",
    "title",
    "outlet",
    "author",
    "date",
    "date_precision",
    "url",
    "kind",
    "language",
    "tags",
    "note",
    "clean",
    "retrieved",
}
REQUIRED_KEYS = ("id", "file", "kind")
HINT_KEYS = {"cut_before", "cut_after", "drop", "format"}
TITLE_WORDS_FROM_FIRST_SENTENCE = 14
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def parse_date(value: Any, precision: Any = None) -> PartialDate:
    """Accept a YAML date, 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY'; raise ValueError otherwise."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        parsed = PartialDate(value.year, value.month, value.day)
    elif isinstance(value, int) and 1000 <= value <= 9999:
        parsed = PartialDate(value, precision="year")
    elif isinstance(value, str):
        match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value.strip())
        if not match:
            raise ValueError(f"cannot read {value!r} as a date")
        year, month, day = match.groups()
        try:
            dt.date(int(year), int(month or 1), int(day or 1))
        except ValueError as err:
            raise ValueError(f"{value!r} is not a real date ({err})") from None
        precision_found: Literal["day", "month", "year"] = (
            "day" if day else "month" if month else "year"
        )
        parsed = PartialDate(int(year), int(month or 1), int(day or 1), precision_found)
    else:
        raise ValueError(f"cannot read {value!r} as a date")
    if precision is not None:
        if precision not in ("day", "month", "year"):
            raise ValueError(f"date_precision must be day, month or year, not {precision!r}")
        order = ["year", "month", "day"]
        if order.index(precision) > order.index(parsed.precision):
            raise ValueError(f"date_precision {precision!r} is finer than the date {value!r}")
        parsed = PartialDate(parsed.year, parsed.month, parsed.day, precision)
    return parsed


def _first_sentence_title(text: str) -> str:
    sentence = (split_sentences(text) or [""])[0]
    words = sentence.split()
    if len(words) > TITLE_WORDS_FROM_FIRST_SENTENCE:
        return " ".join(words[:TITLE_WORDS_FROM_FIRST_SENTENCE]) + "\u2026"
    return sentence


def _text_field(entry: LineDict, key: str, rel: str, problems: list[Problem]) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(
            Problem(rel, entry.key_lines.get(key, entry.line), f"{key} must be text or null")
        )
        return None
    return value.strip()


def _hints(entry: LineDict, rel: str, problems: list[Problem]) -> CleanHints:
    raw = entry.get("clean")
    if raw is None:
        return CleanHints()
    line = entry.key_lines.get("clean", entry.line)
    if not isinstance(raw, dict):
        problems.append(Problem(rel, line, "clean must be a mapping of cleaning hints"))
        return CleanHints()
    for key in sorted(set(raw) - HINT_KEYS):
        problems.append(
            Problem(
                rel,
                line,
                f"unknown cleaning hint {key!r}",
                f"known: {', '.join(sorted(HINT_KEYS))}",
            )
        )
    drop = raw.get("drop") or []
    if isinstance(drop, str):
        drop = [drop]
    fmt = raw.get("format")
    if fmt not in (None, "markdown", "text"):
        problems.append(Problem(rel, line, "clean.format must be 'markdown' or 'text'"))
        fmt = None
    return CleanHints(
        cut_before=raw.get("cut_before"),
        cut_after=raw.get("cut_after"),
        drop=tuple(str(d) for d in drop),
        format=fmt,
    )


def _tags(entry: LineDict, rel: str, problems: list[Problem]) -> tuple[str, ...]:
    value = entry.get("tags")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(t, str | int) for t in value):
        problems.append(
            Problem(rel, entry.key_lines.get("tags", entry.line), "tags must be a list of words")
        )
        return ()
    return tuple(str(t).strip() for t in value if str(t).strip())


@dataclass(frozen=True)
class _Seeds:
    """Where the seed files are, and the names problems give them."""

    folder: Path
    seeds_dir: str
    rel: str  # sources.yaml as problems name it
    max_bytes: int


@dataclass
class SeedsSeen:
    """What one process last loaded from seeds/: the identity of each file there (name,
    size, times, inode) and the sources made of them. serve's rebuilds load them again
    only when an identity changed (an edit of a topic leaves the sources as they were)."""

    identity: tuple[tuple[str, int, int, int, int], ...] = ()
    sources: list[Source] = field(default_factory=list)

    def unchanged(
        self, identity: tuple[tuple[str, int, int, int, int], ...]
    ) -> Callable[[str], Source | None]:
        """The source last made of a seed file (by name), if neither it nor sources.yaml
        nor the settings (the last row of identity) changed since; None otherwise."""
        last = {row[0]: row for row in self.identity}
        now = {row[0]: row for row in identity}
        if not self.identity or self.identity[-1] != identity[-1]:
            return lambda name: None
        if SOURCES_FILE not in now or last.get(SOURCES_FILE) != now[SOURCES_FILE]:
            return lambda name: None
        by_file = {source.file: source for source in self.sources}
        return lambda name: (
            by_file.get(name) if name in now and last.get(name) == now[name] else None
        )


def seeds_identity(
    root: Path, seeds_dir: str = "seeds"
) -> tuple[tuple[str, int, int, int, int], ...]:
    """The identity of every file in the seeds folder (sources.yaml included)."""
    try:
        entries = sorted(os.scandir(root / seeds_dir), key=lambda entry: entry.name)
    except OSError:
        return ()
    found = []
    for entry in entries:
        status = entry.stat()
        found.append(
            (entry.name, status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
        )
    return tuple(found)


def load_sources(
    root: Path,
    seeds_dir: str = "seeds",
    max_bytes: int = 60_000_000,
    clean_all: Callable[[list[CleanRequest]], list[CleanedArticle]] = clean_articles,
    parse: Callable[[str, str], Any] = parse_yaml,
    unchanged: Callable[[str], Source | None] = lambda name: None,
) -> list[Source]:
    """Read and check sources.yaml and every seed file; raise BuildError with all problems.

    Cleaning runs once every entry has been checked, through clean_all: plain, cached or
    in parallel processes, always with the same result. parse reads sources.yaml
    (parse_yaml, or the cache's memo of it). unchanged gives the source last made of a
    file whose entry and bytes are as they were (SeedsSeen.unchanged): it is taken as it
    is, neither checked nor read again.
    """
    seeds = _Seeds(root / seeds_dir, seeds_dir, f"{seeds_dir}/{SOURCES_FILE}", max_bytes)
    data = _read_entries(seeds, parse)
    if data is None:
        return []
    problems: list[Problem] = []
    seen_ids: dict[str, int] = {}  # the line that first claimed each id and file
    seen_files: dict[str, int] = {}
    pending: list[Source] = []  # checked entries, waiting for their cleaned text
    requests: list[CleanRequest] = []
    kept: list[Source | None] = []  # in order: a source taken as it was, or None (pending)
    for entry in data:
        same = _unchanged_source(entry, unchanged, seen_ids, seen_files)
        checked = None if same else _check_entry(entry, seeds, seen_ids, seen_files, problems)
        if checked is not None:
            pending.append(checked[0])
            requests.append(checked[1])
        if same or checked:
            kept.append(same)
    problems.extend(_files_without_entry(seeds, set(seen_files)))
    if problems:
        raise BuildError(problems)
    made = iter(clean_all(requests))
    ready = iter(pending)
    return [same or _with_article(next(ready), next(made)) for same in kept]


def _unchanged_source(
    entry: Any,
    unchanged: Callable[[str], Source | None],
    seen_ids: dict[str, int],
    seen_files: dict[str, int],
) -> Source | None:
    """The source last made of the entry's file, if it is unchanged and still described
    by this entry (with the id and file no other entry took: else it is checked again)."""
    if not isinstance(entry, LineDict) or "file" not in entry:
        return None
    source = unchanged(str(entry["file"]))
    if source is None or source.line != entry.line or source.id != str(entry.get("id")):
        return None
    if source.id in seen_ids or source.file in seen_files:
        return None
    seen_ids[source.id] = entry.key_lines["id"]
    seen_files[source.file] = entry.key_lines["file"]
    return source


def _read_entries(seeds: _Seeds, parse: Callable[[str, str], Any]) -> list[Any] | None:
    """Parse sources.yaml into its list of entries; None when there are no seeds at all."""
    meta_path = seeds.folder / SOURCES_FILE
    if not meta_path.exists():
        if not seeds.folder.exists() or not any(seeds.folder.iterdir()):
            return None
        raise BuildError(
            [Problem(seeds.rel, None, "missing", "describe each seed file in seeds/sources.yaml")]
        )
    data = parse(
        decode_text(read_bytes(meta_path, seeds.rel, seeds.max_bytes), seeds.rel), seeds.rel
    )
    if data is None:
        return []
    if not isinstance(data, list):
        raise BuildError(
            [Problem(seeds.rel, 1, "must be a list of entries, each starting with '- id:'")]
        )
    return data


def _check_entry(
    entry: Any,
    seeds: _Seeds,
    seen_ids: dict[str, int],
    seen_files: dict[str, int],
    problems: list[Problem],
) -> tuple[Source, CleanRequest] | None:
    """Check one entry and read its file; None once what stops it is in problems."""
    rel = seeds.rel
    if not isinstance(entry, LineDict):
        problems.append(Problem(rel, None, f"entry {entry!r} is not a mapping"))
        return None
    if not _check_keys(entry, rel, problems):
        return None
    source_id = _check_id(entry, rel, seen_ids, problems)
    if source_id is None:
        return None
    named = _check_file(entry, seeds, seen_files, problems)
    if named is None:
        return None
    file_name, path = named
    described = _check_described(entry, rel, problems)
    if described is None:
        return None
    hints = _hints(entry, rel, problems)
    is_html = file_name.lower().endswith(HTML_SUFFIXES)
    read = _read_seed(file_name, path, is_html, seeds, problems)
    if read is None:
        return None
    raw_bytes, raw = read
    fmt = hints.format or ("markdown" if file_name.endswith(".md") else None)
    request = CleanRequest(raw, None if fmt is None else fmt == "markdown", hints, html=is_html)
    source = _pending_source(entry, rel, source_id, file_name, described, raw_bytes, problems)
    return source, request


def _check_keys(entry: LineDict, rel: str, problems: list[Problem]) -> bool:
    """Flag keys we do not know (likely typos); False if a required key is missing."""
    for key in sorted(set(entry) - ENTRY_KEYS):
        problems.append(
            Problem(
                rel,
                entry.key_lines[key],
                f"unknown key {key!r}",
                f"known keys: {', '.join(sorted(ENTRY_KEYS))}",
            )
        )
    missing = [k for k in REQUIRED_KEYS if entry.get(k) in (None, "")]
    for key in missing:
        problems.append(Problem(rel, entry.line, f"entry has no {key!r}", f"add '{key}:' to it"))
    return not missing


def _check_id(
    entry: LineDict, rel: str, seen_ids: dict[str, int], problems: list[Problem]
) -> str | None:
    """Return the id if it can name the source's URL and no other entry has it."""
    source_id = str(entry["id"])
    id_line = entry.key_lines["id"]
    if not _ID_PATTERN.fullmatch(source_id):
        problems.append(
            Problem(
                rel,
                id_line,
                f"id {source_id!r} is not a slug",
                f"use lowercase letters, digits and hyphens, e.g. {slugify(source_id)!r}",
            )
        )
        return None
    if source_id in seen_ids:
        problems.append(
            Problem(
                rel,
                id_line,
                f"duplicate id {source_id!r} (first used on line {seen_ids[source_id]})",
                "give each source its own id",
            )
        )
        return None
    seen_ids[source_id] = id_line
    return source_id


def _check_file(
    entry: LineDict, seeds: _Seeds, seen_files: dict[str, int], problems: list[Problem]
) -> tuple[str, str] | None:
    """Return (name, path) if the entry names a seed file of its own that exists."""
    file_name = str(entry["file"])
    file_line = entry.key_lines["file"]
    if "/" in file_name or "\\" in file_name or file_name.startswith(".") or "\x00" in file_name:
        problems.append(
            Problem(
                seeds.rel,
                file_line,
                f"file {file_name!r} must be a plain name in {seeds.seeds_dir}/",
            )
        )
        return None
    if file_name in seen_files:
        problems.append(
            Problem(
                seeds.rel,
                file_line,
                f"file {file_name!r} is already described on line {seen_files[file_name]}",
            )
        )
        return None
    # Recorded before the existence check: a second entry naming the same file is a
    # duplicate whether or not the file exists.
    seen_files[file_name] = file_line
    path = os.path.join(seeds.folder, file_name)  # a string: Paths cost 0.1 s at 10,000
    if not os.path.isfile(path):
        problems.append(
            Problem(
                seeds.rel,
                file_line,
                f"file {file_name!r} does not exist in {seeds.seeds_dir}/",
                "fix the name or remove the entry",
            )
        )
        return None
    return file_name, path


def _check_described(
    entry: LineDict, rel: str, problems: list[Problem]
) -> tuple[str, PartialDate | None, str | None] | None:
    """Return (kind, date, url); None if the kind or the date cannot be used."""
    kind = entry["kind"]
    if kind not in SOURCE_KINDS:
        problems.append(
            Problem(
                rel,
                entry.key_lines["kind"],
                f"kind {kind!r} is not one of {', '.join(SOURCE_KINDS)}",
            )
        )
        return None
    date = None
    if entry.get("date") is not None:
        try:
            date = parse_date(entry["date"], entry.get("date_precision"))
        except ValueError as err:
            problems.append(
                Problem(
                    rel,
                    entry.key_lines["date"],
                    str(err),
                    "write dates as YYYY-MM-DD, YYYY-MM or YYYY",
                )
            )
            return None
    return kind, date, _url(entry, rel, problems)


def _url(entry: LineDict, rel: str, problems: list[Problem]) -> str | None:
    """Keep only web addresses, so a link on the site cannot run script or open a local file."""
    url = _text_field(entry, "url", rel, problems)
    if url and not (is_safe_url(url) and url.startswith(("http://", "https://"))):
        problems.append(
            Problem(rel, entry.key_lines["url"], f"url {url!r} must be an http(s) address")
        )
        return None
    return url


def _read_seed(
    file_name: str, path: str, is_html: bool, seeds: _Seeds, problems: list[Problem]
) -> tuple[bytes, str] | None:
    """Return the seed file as saved and as text; None if it is unreadable or blank."""
    file_rel = f"{seeds.seeds_dir}/{file_name}"
    try:
        raw_bytes = read_bytes(path, file_rel, seeds.max_bytes)
        # A saved page is decoded in the charset it declares; text files must be UTF-8.
        raw = decode_html(raw_bytes) if is_html else decode_text(raw_bytes, file_rel)
    except BuildError as err:
        problems.extend(err.problems)
        return None
    if not raw.strip():
        problems.append(
            Problem(
                file_rel,
                None,
                "file is empty",
                "paste the article text into it, or remove it and its entry",
            )
        )
        return None
    return raw_bytes, raw


def _pending_source(
    entry: LineDict,
    rel: str,
    source_id: str,
    file_name: str,
    described: tuple[str, PartialDate | None, str | None],
    raw_bytes: bytes,
    problems: list[Problem],
) -> Source:
    """Build the Source as sources.yaml describes it; its article comes after cleaning."""
    kind, date, url = described
    retrieved = None
    if entry.get("retrieved") is not None:
        try:
            retrieved = parse_date(entry["retrieved"])
        except ValueError as err:
            problems.append(Problem(rel, entry.key_lines["retrieved"], f"retrieved: {err}"))
    return Source(
        id=source_id,
        file=file_name,
        title=_text_field(entry, "title", rel, problems) or "",
        title_origin="metadata",
        outlet=_text_field(entry, "outlet", rel, problems),
        author=_text_field(entry, "author", rel, problems),
        date=date,
        url=url,
        kind=kind,
        language=_text_field(entry, "language", rel, problems),
        tags=_tags(entry, rel, problems),
        note=_text_field(entry, "note", rel, problems),
        retrieved=retrieved,
        article=EMPTY_ARTICLE,
        raw=raw_bytes,
        line=entry.line,
    )


def _files_without_entry(seeds: _Seeds, described: set[str]) -> list[Problem]:
    """Flag seed files sources.yaml does not mention, so no article is silently left out."""
    # Names, not Paths: sorting 10,000 Paths took a tenth of a second.
    return [
        Problem(
            f"{seeds.seeds_dir}/{name}",
            None,
            f"seed file has no entry in {SOURCES_FILE}",
            f"add an entry with 'file: {name}' to {seeds.rel}",
        )
        for name in sorted(os.listdir(seeds.folder))
        if os.path.splitext(name)[1] in SOURCE_SUFFIXES and name not in described
    ]


def _with_article(source: Source, article: CleanedArticle) -> Source:
    """Fill in what the cleaned text (or the saved page) supplies where sources.yaml is
    silent; sources.yaml wins where it says something."""
    title, origin = source.title, "metadata"
    if not title and article.title:
        title, origin = article.title, "headline"
    elif not title:
        title, origin = _first_sentence_title(article.text), "first sentence"
    return replace(
        source,
        title=title,
        title_origin=origin,  # type: ignore[arg-type]
        author=source.author or article.byline_author,
        date=source.date or article.byline_date,
        outlet=source.outlet or article.page_outlet,
        url=source.url or article.page_url,
        language=source.language or article.page_language,
        article=article,
    )
