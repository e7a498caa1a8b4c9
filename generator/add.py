"""briefing add: copy saved pages and text files into seeds/ and describe each in sources.yaml.

One stage, in the order of a build: read the project and the files, plan every seed's name
and entry in memory (with all checks, and sources.yaml as it will be), then write. A refusal
raises BuildError before anything is written; a failed write undoes what it wrote.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from .cache import BuildCache
from .config import load_settings
from .content import split_front_matter
from .extract import HTML_SUFFIXES, Extraction, decode_html, extract_html_text, extract_text
from .inputs import decode_text, links_out_of_project, parse_yaml, read_bytes, read_text
from .models import BuildError, PartialDate, Problem, Source
from .sources import _ID_PATTERN, SOURCE_SUFFIXES, SOURCES_FILE, load_sources
from .textnorm import loose_form
from .urls import is_safe_url, slugify

SEEDS = "seeds"
SOURCES_REL = f"{SEEDS}/{SOURCES_FILE}"
HASH_DIGITS = 16  # of the file's SHA-256, in its seed name
NEAR_DUPLICATE = 0.9  # similarity above which a new file is the same article saved again
SHINGLE_WORDS = 5
ID_MAX_LENGTH = 60
NOTE_WIDTH = 88  # the note's folded lines, as the hand-written entries wrap them
# Labels with which a page marks its kind (schema.org types, sections, a label line);
# a review argues a judgement, so it is an opinion piece here.
KIND_WORDS = {
    "opinion": "opinion",
    "opinions": "opinion",
    "op-ed": "opinion",
    "commentary": "opinion",
    "editorial": "editorial",
    "editorials": "editorial",
    "analysis": "analysis",
    "review": "opinion",
    "reviews": "opinion",
}
KIND_TYPES = {
    "opinionnewsarticle": "opinion",
    "analysisnewsarticle": "analysis",
    "reviewnewsarticle": "opinion",
    "review": "opinion",
    "criticreview": "opinion",
}
_SEED_NAME = re.compile(r"^(\d+)_")
_BODY = re.compile(r"<body\b", re.IGNORECASE)
_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
_SAVED_FROM = re.compile(r"saved from url=\((\d+)\)(\S+)", re.IGNORECASE)
_SINGLEFILE_URL = re.compile(r"^\s*url:\s*(\S+)", re.MULTILINE)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_SAVED_DATE = re.compile(
    r"saved date:\s*(?:[A-Za-z]{3},?\s+)?([A-Za-z]{3})\w*\s+(\d{1,2}),?\s+(\d{4})"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True)
class AddOptions:
    """What the command line says about the new entries; None leaves it to extraction."""

    source_id: str | None = None
    kind: str | None = None
    tags: tuple[str, ...] | None = None
    retrieved: PartialDate | None = None
    force: bool = False


@dataclass(frozen=True)
class Project:
    """What add needs to know of the project: its sources and the bytes of sources.yaml."""

    seeds: Path
    yaml_bytes: bytes | None  # None: there is no sources.yaml yet
    sources: tuple[Source, ...]
    site_tags: tuple[str, ...]
    max_bytes: int


@dataclass(frozen=True)
class Marks:
    """What a file says about itself beyond extraction: keywords, its kind, where it was saved."""

    keywords: tuple[str, ...] = ()
    kind: tuple[str, str] | None = None  # (kind, the mark that says so)
    saved_url: str | None = None
    saved_date: PartialDate | None = None
    saved_with: str = ""  # which comment said it


@dataclass(frozen=True)
class Incoming:
    """One file to add, read and extracted."""

    label: str  # as the command line named it
    suffix: str
    data: bytes
    html: bool
    extraction: Extraction
    marks: Marks

    @property
    def text(self) -> str:
        """The cleaned text, which duplicates are found by."""
        return self.extraction.article.text


@dataclass(frozen=True)
class Seed:
    """A file to copy into seeds/ and the entry describing it."""

    label: str
    name: str
    data: bytes
    entry: dict[str, Any]  # plain values, as the build's YAML loader reads them back


@dataclass(frozen=True)
class AddPlan:
    """Everything add would write, and what it has to say about it."""

    seeds_dir: Path
    seeds: tuple[Seed, ...]
    yaml_before: bytes | None
    yaml_after: bytes
    warnings: tuple[Problem, ...]

    @property
    def appended(self) -> str:
        """The text added to the end of sources.yaml: the new entries."""
        return self.yaml_after[len(self.yaml_before or b"") :].decode("utf-8")


def add_files(root: Path, files: list[Path], options: AddOptions) -> AddPlan:
    """Read the project and the files and plan the additions; raise BuildError listing every
    refusal (all files are read, so that each one's problems are said at once)."""
    project = read_project(root)
    incoming: list[Incoming] = []
    problems: list[Problem] = []
    for path in files:
        try:
            incoming.append(read_input(path, project))
        except BuildError as err:
            problems += err.problems
    if problems:
        raise BuildError(problems)
    return plan_add(project, incoming, options)


# -- read ------------------------------------------------------------------------------------


def read_project(root: Path) -> Project:
    """Load the project's sources as a build would (refusing a broken project: the entry
    added to it must build) and the site's tags."""
    settings = load_settings(root)
    outside = links_out_of_project(root)
    if outside:
        raise BuildError(outside)
    cache = BuildCache(root)  # only read: cleaned articles are reused, nothing is saved
    sources = load_sources(
        root, max_bytes=settings.max_file_bytes, clean_all=cache.clean_all, parse=cache.parse_yaml
    )
    yaml_path = root / SEEDS / SOURCES_FILE
    yaml_bytes = read_bytes(yaml_path, SOURCES_REL) if yaml_path.is_file() else None
    tags = [tag for source in sources for tag in source.tags]
    tags += _topic_tags(root, settings.max_file_bytes)
    return Project(
        root / SEEDS, yaml_bytes, tuple(sources), tuple(_unique(tags)), settings.max_file_bytes
    )


def _topic_tags(root: Path, max_bytes: int) -> list[str]:
    """Tags in the topic pages' front matter; a page that cannot be read offers none (they
    are only suggestions, and the build reports that page)."""
    tags: list[str] = []
    for path in sorted((root / "content" / "topics").glob("*.md")):
        rel = path.relative_to(root).as_posix()
        try:
            meta, _, _ = split_front_matter(read_text(path, rel, max_bytes), rel)
        except BuildError:
            continue
        if isinstance(meta.get("tags"), list):
            tags += [str(tag).strip() for tag in meta["tags"] if str(tag).strip()]
    return tags


def read_input(path: Path, project: Project) -> Incoming:
    """Read one file and extract its article, as the build will once it is a seed."""
    label = str(path)
    suffix = path.suffix.lower()
    if suffix not in SOURCE_SUFFIXES:
        raise _refused(
            label,
            f"not a source file ({path.suffix or 'no extension'})",
            "add saved web pages (.html, .htm) or text files (.txt, .md)",
        )
    if path.is_dir():
        raise _refused(label, "is a folder", "name the files in it")
    if path.resolve().parent == project.seeds.resolve():
        raise _refused(
            label,
            f"is already in {SEEDS}/",
            f"move it out of {SEEDS}/: add copies it in under its seed name",
        )
    data = read_bytes(path, label, project.max_bytes)
    html = suffix in HTML_SUFFIXES
    page = decode_html(data) if html else decode_text(data, label)
    if not page.strip():
        raise _refused(label, "file is empty", "save the page or paste the article text again")
    if html:
        extraction = extract_html_text(page)
    else:
        extraction = extract_text(page, markdown=True if suffix == ".md" else None)
    if not extraction.article.blocks:
        raise _refused(
            label,
            "no article found in the file",
            "save the page while the article shows, or paste its text into a .txt",
        )
    keywords, kind = _page_marks(page) if html else ((), _label_kind(page))
    marks = replace(_saved_from(page), keywords=keywords, kind=kind)
    return Incoming(label, suffix, data, html, extraction, marks)


def _refused(label: str, message: str, hint: str = "") -> BuildError:
    """One refusal, named by the file as the command line gave it."""
    return BuildError([Problem(label, None, message, hint)])


def _saved_from(page: str) -> Marks:
    """The address and date in the comment a browser or SingleFile leaves in a saved page."""
    body = _BODY.search(page)
    head = page[: body.start()] if body else page[:65536]  # the comments come first
    for comment in _COMMENT.findall(head):
        saved = _SAVED_FROM.search(comment)
        if saved:
            length, rest = int(saved.group(1)), saved.group(2)
            url = rest[:length] if len(rest) >= length else rest
            return Marks(
                saved_url=url, saved_date=_comment_date(comment), saved_with="saved-from comment"
            )
        if "saved with singlefile" in comment.lower():
            url_match = _SINGLEFILE_URL.search(comment)
            return Marks(
                saved_url=url_match.group(1) if url_match else None,
                saved_date=_comment_date(comment),
                saved_with="SingleFile comment",
            )
    return Marks()


def _comment_date(comment: str) -> PartialDate | None:
    """The day a saved-page comment gives: an ISO date, or SingleFile's 'saved date:'."""
    iso = _ISO_DATE.search(comment)
    if iso:
        year, month, day = map(int, iso.groups())
    else:
        written = _SAVED_DATE.search(comment)
        if not written or written.group(1).lower() not in _MONTHS:
            return None
        year, day = int(written.group(3)), int(written.group(2))
        month = _MONTHS.index(written.group(1).lower()) + 1
    try:
        dt.date(year, month, day)
    except ValueError:
        return None
    return PartialDate(year, month, day)


def _page_marks(page: str) -> tuple[tuple[str, ...], tuple[str, str] | None]:
    """The page's own keywords and the kind it marks itself, from meta tags and JSON-LD."""
    import lxml.html  # imported here, as extraction does: only saved pages need it

    try:
        tree = lxml.html.fromstring(
            page.encode("utf-8", "surrogatepass"),
            parser=lxml.html.HTMLParser(encoding="utf-8"),
        )
    except (ValueError, lxml.etree.ParserError):
        return (), None
    keywords: list[str] = []
    kinds: list[tuple[str | None, str]] = []  # (kind, what says so), the surest first
    for data in _json_ld(tree):
        kinds += [
            (_typed_kind(str(t)), f"its JSON-LD type {t}") for t in _as_list(data.get("@type"))
        ]
        for key in ("articleSection", "genre"):
            kinds += [
                (_named_kind(str(v)), f"its JSON-LD {key} {v!r}") for v in _as_list(data.get(key))
            ]
        words = data.get("keywords")
        keywords += re.split(r"[,;]", words) if isinstance(words, str) else _as_list(words)
    for meta in tree.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = meta.get("content") or ""
        if name in ("keywords", "news_keywords"):
            keywords += re.split(r"[,;]", content)
        elif name == "article:tag":
            keywords.append(content)
        elif name == "article:section":
            kinds.append((_named_kind(content), f"its article:section meta tag {content!r}"))
    marked = [(kind, where) for kind, where in kinds if kind]
    return tuple(_unique(str(k) for k in keywords)), (marked[0] if marked else None)


def _json_ld(tree: Any) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object of the page, @graph members included; unreadable ones skipped."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                yield item
                stack += _as_list(item.get("@graph"))


def _as_list(value: Any) -> list[Any]:
    """JSON-LD gives one value or a list of them."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _typed_kind(schema_type: str) -> str | None:
    """The kind a schema.org type names (OpinionNewsArticle), if any."""
    return KIND_TYPES.get(schema_type.strip().lower())


def _named_kind(section: str) -> str | None:
    """The kind a section name holds as a word ('Opinion', 'News analysis'), if any."""
    for word in re.findall(r"[\w-]+", section.lower()):
        if word in KIND_WORDS:
            return KIND_WORDS[word]
    return None


def _label_kind(text: str) -> tuple[str, str] | None:
    """A label line ('Opinion', 'Editorial') among a text file's first lines."""
    lines = [line.strip(" \t#*|:-") for line in text.splitlines() if line.strip()][:12]
    for line in lines:
        kind = KIND_WORDS.get(line.lower())
        if kind:
            return kind, f"the label line {line!r} at the top of the text"
    return None


# -- plan ------------------------------------------------------------------------------------


def plan_add(project: Project, incoming: list[Incoming], options: AddOptions) -> AddPlan:
    """Check every file against the sources and each other, name its seed and write its
    entry, and make sources.yaml as it will be; raise BuildError on any refusal."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    earlier: list[tuple[str, str, bytes]] = [
        (_source_name(s), s.article.text, s.raw) for s in project.sources
    ]
    for item in incoming:
        for problem in _duplicates(item, earlier, options.force):
            (warnings if problem.level == "warning" else problems).append(problem)
        earlier.append((item.label, item.text, item.data))
    ids = {s.id for s in project.sources}
    if options.source_id in ids:
        problems.append(
            Problem(
                incoming[0].label,
                None,
                f"id {options.source_id!r} is already used",
                "choose another --id",
            )
        )
    if problems:
        raise BuildError(problems + warnings)
    number = _next_number(project)
    seeds: list[Seed] = []
    for item in incoming:
        name = _seed_name(number, item)
        number += 1
        if (project.seeds / name).exists():
            raise _refused(item.label, f"{SEEDS}/{name} exists already", "remove it first")
        source_id = options.source_id or _new_id(item, ids)
        ids.add(source_id)
        seeds.append(
            Seed(item.label, name, item.data, _entry(item, name, source_id, project, options))
        )
    after = _appended_yaml(project.yaml_bytes, [seed.entry for seed in seeds])
    return AddPlan(project.seeds, tuple(seeds), project.yaml_bytes, after, tuple(warnings))


def _source_name(source: Source) -> str:
    """A source as a refusal names it: its id and its file."""
    return f"source {source.id!r} ({SEEDS}/{source.file})"


def _duplicates(
    item: Incoming, earlier: list[tuple[str, str, bytes]], force: bool
) -> Iterator[Problem]:
    """Refuse the same file or the same cleaned text again; warn (refuse without --force)
    when the text is nearly the same, as when one article is saved twice."""
    text = " ".join(item.text.split())
    words = _shingles(item.text)
    for name, other_text, other_bytes in earlier:
        if other_bytes == item.data:
            yield Problem(item.label, None, f"the same file as {name}", "it is in the site already")
            return
        if text == " ".join(other_text.split()):
            yield Problem(
                item.label,
                None,
                f"the same article text as {name}, once cleaned",
                "it is in the site already",
            )
            return
    for name, other_text, _ in earlier:
        score = _similarity(words, other_text)
        if score > NEAR_DUPLICATE:
            yield Problem(
                item.label,
                None,
                f"nearly the same article text as {name} ({score:.0%} alike once cleaned)",
                "added anyway (--force)"
                if force
                else "if it is a different article, add it with --force",
                "warning" if force else "error",
            )
            return


def _shingles(text: str) -> set[str]:
    """The text's runs of SHINGLE_WORDS words, compared in the loose form of headlines."""
    words = loose_form(text).split()
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)}
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def _similarity(words: set[str], other_text: str) -> float:
    """The share of word runs two texts have in common, 2 x common / total (as difflib's
    ratio counts); texts too different in length are not compared at all."""
    other_count = max(len(other_text.split()) - SHINGLE_WORDS + 1, 1)
    if min(len(words), other_count) * (2 - NEAR_DUPLICATE) < NEAR_DUPLICATE * max(
        len(words), other_count
    ):
        return 0.0  # even if every run of the shorter were in the longer, not alike enough
    other = _shingles(other_text)
    return 2 * len(words & other) / (len(words) + len(other))


def _next_number(project: Project) -> int:
    """One more than the highest NNN_ of a seed file or entry, 0 in an empty project."""
    names = [s.file for s in project.sources]
    if project.seeds.is_dir():
        names += os.listdir(project.seeds)
    numbers = [int(m.group(1)) for m in map(_SEED_NAME.match, names) if m]
    return max(numbers, default=-1) + 1


def _seed_name(number: int, item: Incoming) -> str:
    """NNN_ and the first digits of the file's SHA-256: the same file, the same hash."""
    digest = hashlib.sha256(item.data).hexdigest()[:HASH_DIGITS]
    return f"{number:03d}_{digest}{item.suffix}"


def _new_id(item: Incoming, taken: set[str]) -> str:
    """A slug of the title (else of the file's name), made unique with -2, -3..."""
    base = (
        _short_slug(item.extraction.title or "") or _short_slug(Path(item.label).stem) or "source"
    )
    source_id, count = base, 1
    while source_id in taken:
        count += 1
        source_id = f"{base[: ID_MAX_LENGTH - len(str(count)) - 1].rstrip('-')}-{count}"
    return source_id


def _short_slug(text: str) -> str:
    """A slug of at most ID_MAX_LENGTH characters, cut at a hyphen, valid as an id."""
    slug = slugify(text)
    while len(slug) > ID_MAX_LENGTH and "-" in slug:
        slug = slug.rsplit("-", 1)[0]
    slug = slug[:ID_MAX_LENGTH]
    return slug if _ID_PATTERN.fullmatch(slug) else ""


def _entry(
    item: Incoming, name: str, source_id: str, project: Project, options: AddOptions
) -> dict[str, Any]:
    """The entry for one file, every key the hand-written entries have, unknowns null."""
    found = item.extraction
    url = found.url or _web_address(item.marks.saved_url)
    retrieved = options.retrieved or item.marks.saved_date
    kind = options.kind or (item.marks.kind[0] if item.marks.kind else "news")
    if options.tags is not None:
        tags = list(options.tags)
    else:
        own, found_in_text = _suggested_tags(item, project.site_tags)
        tags = own + found_in_text
    return {
        "id": source_id,
        "file": name,
        "title": found.title,
        "outlet": found.outlet,
        "author": found.author,
        "date": _yaml_date(found.date),
        "date_precision": found.date.precision if found.date else None,
        "retrieved": _yaml_date(retrieved),
        "url": url,
        "kind": kind,
        "language": found.language,
        "tags": tags,
        "note": _note(item, url, project.site_tags, options),
    }


def _web_address(url: str | None) -> str | None:
    """An http(s) address, the only kind the build accepts as a source's url."""
    return url if url and url.startswith(("http://", "https://")) and is_safe_url(url) else None


def _yaml_date(date: PartialDate | None) -> dt.date | str | int | None:
    """A date as the build's YAML loader reads it back: a date, 'YYYY-MM' or a year."""
    if date is None:
        return None
    if date.precision == "day":
        return dt.date(date.year, date.month, date.day)
    return date.iso if date.precision == "month" else date.year


def _suggested_tags(item: Incoming, site_tags: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(the page's own keywords, the site's tags that occur in the text), spelled as the
    site spells a tag it has already."""
    spelling = {tag.casefold(): tag for tag in site_tags}
    own = [spelling.get(k.casefold(), k) for k in item.marks.keywords]
    text = f"{item.extraction.title or ''}\n{item.text}"
    seen = {tag.casefold() for tag in own}
    found = [t for t in site_tags if t.casefold() not in seen and _occurs(t, text)]
    return own, found


def _occurs(tag: str, text: str) -> bool:
    """Whether a tag occurs as words of the text; an all-capital tag (NATO, US) only as
    written, others in any case."""
    pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, tag.split())) + r"(?!\w)"
    flags = 0 if tag.isupper() else re.IGNORECASE
    return re.search(pattern, text, flags) is not None


def _note(item: Incoming, url: str | None, site_tags: tuple[str, ...], options: AddOptions) -> str:
    """Where each value came from, in the plain words of the hand-written notes."""
    found = item.extraction
    what = "saved web page" if item.html else "text file"
    sentences = [f"Filled in by briefing add from the {what} {Path(item.label).name!r}."]
    if item.html:
        values = {
            "title": found.title,
            "author": found.author,
            "date": found.date,
            "outlet": found.outlet,
            "URL": found.url,
            "language": found.language,
        }
        known = [k for k, v in values.items() if v is not None]
        if known:
            sentences.append(
                f"{_names(known)}: what the page says about itself (its meta tags, JSON-LD, "
                "title and html lang), as trafilatura reads them; a site's name at the end "
                "of the title is left out."
            )
    else:
        values = {
            "title": found.title,
            "author": found.author,
            "date": found.date,
            "outlet": None,
            "URL": None,
            "language": None,
        }
        if found.title:
            sentences.append("Title: the headline the cleaner found at the top of the text.")
        byline = [k for k in ("author", "date") if values[k] is not None]
        if byline:
            sentences.append(f"{_names(byline)}: the byline under the headline.")
    if found.date:
        sentences.append(f"The date is known to the {found.date.precision}.")
    if url and url != found.url:
        sentences.append(f"URL: the page's {item.marks.saved_with}.")
        values["URL"] = url
    unknown = [k for k, v in values.items() if v is None]
    if unknown:
        sentences.append(f"{_names(unknown)}: not found in the file, so null.")
    sentences.append(_kind_note(item, options))
    sentences.append(_tags_note(item, site_tags, options))
    sentences.append(_retrieved_note(item, options))
    return " ".join(sentences)


def _kind_note(item: Incoming, options: AddOptions) -> str:
    """Why the entry has its kind."""
    if options.kind:
        return f"Kind: {options.kind}, as given with --kind."
    if item.marks.kind:
        kind, where = item.marks.kind
        return f"Kind: the {'page' if item.html else 'file'} marks itself {kind} ({where})."
    return "Kind: nothing in the file marks it opinion, editorial, analysis or review, so news."


def _tags_note(item: Incoming, site_tags: tuple[str, ...], options: AddOptions) -> str:
    """Where each suggested tag came from."""
    if options.tags is not None:
        return "Tags: as given with --tags."
    own, found = _suggested_tags(item, site_tags)
    parts = []
    # listed with semicolons: a tag may hold a comma (NYT's article:tag "Bevin, Matthew")
    if own:
        parts.append(f"the page's own keywords ({'; '.join(own)})")
    if found:
        parts.append(f"the site's tags that occur in the text ({'; '.join(found)})")
    return f"Tags: {' and '.join(parts)}." if parts else "Tags: none found."


def _retrieved_note(item: Incoming, options: AddOptions) -> str:
    """Where the retrieval date came from, or why there is none."""
    if options.retrieved:
        return "Retrieved: as given with --retrieved."
    if item.marks.saved_date:
        return f"Retrieved: the date in the page's {item.marks.saved_with}."
    return "Retrieved: not known (no saved date in the file, no --retrieved)."


def _names(keys: list[str]) -> str:
    """'Title, author and date'."""
    words = [keys[0].capitalize() if keys[0] != "URL" else "URL", *keys[1:]]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


# -- sources.yaml ----------------------------------------------------------------------------


def _appended_yaml(before: bytes | None, entries: list[dict[str, Any]]) -> bytes:
    """sources.yaml with the entries appended by a round-trip edit; refused unless its bytes
    so far are kept exactly and the build's own loader reads back exactly these entries."""
    from ruamel.yaml import YAML  # imported here: only add edits YAML in place
    from ruamel.yaml.comments import CommentedSeq
    from ruamel.yaml.error import YAMLError

    rt = YAML()
    rt.preserve_quotes = True
    rt.indent(mapping=2, sequence=2, offset=0)
    rt.width = 4096  # never re-wrap a line; the note's folds are set by _folded
    rt.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    text = before or b""
    rt.explicit_start = text.startswith(b"---")
    try:
        document: Any = rt.load(text) if text.strip() else None
    except YAMLError as err:
        raise _cannot_edit(f"cannot read it for editing: {str(err).splitlines()[0]}") from None
    kept = text if not text or text.endswith(b"\n") else text + b"\n"
    fresh = document is None  # no entries yet (perhaps comments): a new list goes below
    if fresh:
        document = CommentedSeq()
    elif not isinstance(document, CommentedSeq):
        raise _cannot_edit("is not a list of entries")
    for index, entry in enumerate(entries):
        document.append(_yaml_node(entry))
        # A blank line above each entry, as between the hand-written ones.
        if index or (kept.strip() and not kept.endswith(b"\n\n")):
            document.yaml_set_comment_before_after_key(len(document) - 1, before="\n")
    out = io.BytesIO()
    rt.dump(document, out)
    after = kept + out.getvalue() if fresh else out.getvalue()
    if not after.startswith(kept):
        line = _first_changed_line(kept, after)
        raise _cannot_edit(f"appending would change line {line} of it")
    _check_reads_back(text, after, entries)
    return after


def _cannot_edit(message: str) -> BuildError:
    """A refusal to edit sources.yaml, with the way to add the entry by hand."""
    return BuildError(
        [
            Problem(
                SOURCES_REL,
                None,
                f"cannot append to it safely: {message}",
                "nothing was changed; run add with --dry-run and paste the entry it prints "
                "at the end of the file",
            )
        ]
    )


def _first_changed_line(before: bytes, after: bytes) -> int:
    """Where the round trip would have rewritten the file, for the message."""
    for number, (old, new) in enumerate(
        zip(before.split(b"\n"), after.split(b"\n"), strict=False), 1
    ):
        if old != new:
            return number
    return before.count(b"\n") + 1


def _check_reads_back(before: bytes, after: bytes, entries: list[dict[str, Any]]) -> None:
    """The build reads YAML 1.1 (PyYAML), ruamel writes 1.2: make sure they agree."""
    try:
        old = parse_yaml(before.decode("utf-8-sig"), SOURCES_REL) or []
        new = parse_yaml(after.decode("utf-8-sig"), SOURCES_REL) or []
    except BuildError:
        new, old = None, []
    if not isinstance(new, list) or new[len(old) :] != entries:
        raise _cannot_edit("the entry written would not read back as planned")


def _yaml_node(entry: dict[str, Any]) -> Any:
    """An entry as ruamel nodes in the hand-written style: titles in double quotes, tags in
    a flow list, the note folded."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    node = CommentedMap()
    for key, value in entry.items():
        if key == "title" and value is not None:
            value = DoubleQuotedScalarString(value)
        elif key == "tags":
            value = CommentedSeq(_scalar(tag) for tag in value)
            value.fa.set_flow_style()
        elif key == "note":
            value = _folded(value)
        elif isinstance(value, str):
            value = _scalar(value)
        node[key] = value
    return node


def _scalar(value: str) -> Any:
    """A string plain when YAML 1.1 reads it back as that string ('no', '1.0' and dates do
    not), else double-quoted."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    try:
        plain = yaml.safe_load(value) == value and "\n" not in value
    except yaml.YAMLError:
        plain = False
    return value if plain else DoubleQuotedScalarString(value)


def _folded(text: str) -> Any:
    """The note as a '>-' block folded at NOTE_WIDTH, as the hand-written notes are."""
    from ruamel.yaml.scalarstring import FoldedScalarString

    text = " ".join(text.split())
    folded = FoldedScalarString(text)
    lines = textwrap.wrap(text, NOTE_WIDTH, break_long_words=False, break_on_hyphens=False)
    positions, at = [], 0
    for line in lines[:-1]:
        at += len(line)
        positions.append(at)
        at += 1
    folded.fold_pos = positions
    return folded


# -- write -----------------------------------------------------------------------------------


def write_plan(plan: AddPlan) -> None:
    """Copy the seed files, then replace sources.yaml at once; on any failure remove what
    was written, so that seeds/ is as it was."""
    created = not plan.seeds_dir.exists()
    written: list[Path] = []
    try:
        plan.seeds_dir.mkdir(exist_ok=True)
        for seed in plan.seeds:
            path = plan.seeds_dir / seed.name
            with open(path, "xb") as handle:  # x: never over a file that appeared meanwhile
                written.append(path)
                handle.write(seed.data)
        _replace(plan.seeds_dir / SOURCES_FILE, plan.yaml_before, plan.yaml_after)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        if created:
            plan.seeds_dir.rmdir()
        raise


def _replace(path: Path, before: bytes | None, after: bytes) -> None:
    """Write after to a temporary file beside path and move it over path in one step,
    unless path changed since it was read."""
    now = path.read_bytes() if path.exists() else None
    if now != before:
        raise BuildError(
            [
                Problem(
                    SOURCES_REL, None, "changed while add ran", "nothing was changed; run add again"
                )
            ]
        )
    temporary = path.with_name(f".{path.name}.add-{os.getpid()}.tmp")
    try:
        with open(temporary, "xb") as handle:
            handle.write(after)
            handle.flush()
            os.fsync(handle.fileno())
        if before is not None:
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _unique(values: Iterable[str]) -> list[str]:
    """Values stripped, blanks dropped, each once whatever its case, in first-seen order."""
    seen: set[str] = set()
    kept = []
    for value in values:
        value = " ".join(value.split())
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return kept
