"""Load hand-written pages from content/: YAML front matter and a Markdown body."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from .inputs import LineDict, parse_yaml, read_text
from .models import BuildError, Event, Page, PartialDate, Problem
from .sources import parse_date
from .urls import slugify

FRONT_MATTER_KEYS = {"title", "summary", "tags", "date", "updated", "draft", "slug"}
HOME_FILE = "index.md"
SECTIONS: tuple[Literal["topics", "pages"], ...] = ("topics", "pages")


def split_front_matter(text: str, rel: str) -> tuple[LineDict, str, int]:
    """Split '---' fenced YAML from the body; return (metadata, body, body's first line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise BuildError(
            [
                Problem(
                    rel,
                    1,
                    "no front matter",
                    "start the file with a '---' line, then 'title: ...', then another '---' line",
                )
            ]
        )
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            break
    else:
        raise BuildError(
            [Problem(rel, 1, "front matter is not closed", "add a '---' line after the metadata")]
        )
    data = parse_yaml("\n".join(lines[1:index]), rel, first_line=2)
    if data is None:
        data = LineDict()
        data.line, data.key_lines = 1, {}
    if not isinstance(data, LineDict):
        raise BuildError([Problem(rel, 2, "front matter must be a mapping of key: value")])
    return data, "\n".join(lines[index + 1 :]), index + 2


def _date(meta: LineDict, key: str, rel: str, problems: list[Problem]) -> PartialDate | None:
    if meta.get(key) is None:
        return None
    try:
        return parse_date(meta[key])
    except ValueError as err:
        problems.append(
            Problem(rel, meta.key_lines.get(key), f"{key}: {err}", "write it as YYYY-MM-DD")
        )
        return None


def read_page(
    path: Path, root: Path, section: Literal["topics", "pages", "home"], max_bytes: int
) -> Page:
    """Read one Markdown page; raise BuildError listing everything wrong with it."""
    rel = path.relative_to(root).as_posix()
    return _remembered_page(read_text(path, rel, max_bytes), rel, path.stem, section)


# Per file, its last text (with its stem and section) and the Page it gave.
_LAST_PAGES: dict[str, tuple[tuple[str, str, str], Page]] = {}


def _remembered_page(
    text: str, rel: str, stem: str, section: Literal["topics", "pages", "home"]
) -> Page:
    """The page a file holds, remembered: serve reads every page on each rebuild, and an
    unchanged file then gives the very same Page, which later stages compare at once. Only
    each file's last version is kept, so a long editing session does not grow the memory."""
    key = (text, stem, section)
    last = _LAST_PAGES.get(rel)
    if last is not None and last[0] == key:
        return last[1]
    page = _page_of(text, rel, stem, section)
    _LAST_PAGES[rel] = (key, page)
    return page


def _page_of(text: str, rel: str, stem: str, section: Literal["topics", "pages", "home"]) -> Page:
    """The page a file holds."""
    if not text.strip():
        raise BuildError([Problem(rel, None, "file is empty", "add front matter and text")])
    meta, body, body_line = split_front_matter(text, rel)
    problems = _unknown_front_matter_keys(meta, rel)
    title = _title(meta, rel, problems)
    summary = _summary(meta, rel, problems)
    tags = _page_tags(meta, rel, problems)
    draft = _draft(meta, rel, problems)
    slug = _slug(meta, stem, rel, problems)
    date = _date(meta, "date", rel, problems)
    updated = _date(meta, "updated", rel, problems)
    if problems:
        raise BuildError(problems)
    return Page(
        slug=slug if section != "home" else "",
        path=rel,
        section=section,
        title=title,
        summary=summary,
        tags=tags,
        date=date,
        updated=updated,
        draft=draft,
        body=body,
        body_line=body_line,
    )


def _unknown_front_matter_keys(meta: LineDict, rel: str) -> list[Problem]:
    """Flag keys we do not know: most are typos of ones we do."""
    return [
        Problem(
            rel,
            meta.key_lines.get(key),
            f"unknown front matter key {key!r}",
            f"known keys: {', '.join(sorted(FRONT_MATTER_KEYS))}",
        )
        for key in sorted(set(meta) - FRONT_MATTER_KEYS)
    ]


def _title(meta: LineDict, rel: str, problems: list[Problem]) -> str:
    """Require a title: every page is listed and linked by it."""
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(
            Problem(
                rel,
                meta.key_lines.get("title", 2),
                "missing title",
                "add 'title: ...' to the front matter",
            )
        )
        return ""
    return title.strip()


def _summary(meta: LineDict, rel: str, problems: list[Problem]) -> str:
    """Accept the summary only as text: it is the lede, the listing blurb and the feed entry."""
    summary = meta.get("summary") or ""
    if not isinstance(summary, str):
        problems.append(Problem(rel, meta.key_lines.get("summary"), "summary must be text"))
        return ""
    return summary.strip()


def _page_tags(meta: LineDict, rel: str, problems: list[Problem]) -> tuple[str, ...]:
    """Accept tags as a list or as one comma-separated line, the way people write them."""
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, list) or not all(isinstance(t, str | int) for t in tags):
        problems.append(Problem(rel, meta.key_lines.get("tags"), "tags must be a list of words"))
        return ()
    return tuple(str(t).strip() for t in tags if str(t).strip())


def _draft(meta: LineDict, rel: str, problems: list[Problem]) -> bool:
    """Insist on true or false, so whether a page is published is never a guess."""
    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        problems.append(Problem(rel, meta.key_lines.get("draft"), "draft must be true or false"))
        return False
    return draft


def _slug(meta: LineDict, stem: str, rel: str, problems: list[Problem]) -> str:
    """Take the URL from 'slug:' or the file name; an empty one could not be linked to."""
    raw_slug = meta.get("slug", stem)
    slug = slugify(str(raw_slug))
    if not slug:
        problems.append(
            Problem(
                rel,
                meta.key_lines.get("slug"),
                f"cannot make a URL from {raw_slug!r}",
                "set 'slug:' to a few plain words",
            )
        )
    return slug


def load_content(
    root: Path, content_dir: str = "content", *, drafts: bool = False, max_bytes: int = 60_000_000
) -> tuple[Page | None, list[Page], list[Page]]:
    """Read content/index.md, content/topics/*.md and content/pages/*.md (all errors together)."""
    folder = root / content_dir
    problems: list[Problem] = []
    home: Page | None = None
    found: dict[str, list[Page]] = {section: [] for section in SECTIONS}
    if (folder / HOME_FILE).is_file():
        try:
            home = read_page(folder / HOME_FILE, root, "home", max_bytes)
        except BuildError as err:
            problems.extend(err.problems)
    for section in SECTIONS:
        slugs: dict[str, str] = {}
        for path in sorted((folder / section).glob("*.md")):
            try:
                page = read_page(path, root, section, max_bytes)
            except BuildError as err:
                problems.extend(err.problems)
                continue
            if page.slug in slugs:
                problems.append(
                    Problem(
                        page.path,
                        None,
                        f"URL {section}/{page.slug}/ is already used by {slugs[page.slug]}",
                        "rename one file or give it its own 'slug:'",
                    )
                )
                continue
            slugs[page.slug] = page.path
            if page.draft and not drafts:
                continue
            found[section].append(page)
    if problems:
        raise BuildError(problems)
    return home, found["topics"], found["pages"]


TIMELINE_FILE = "timeline.yaml"
EVENT_KEYS = {"date", "date_precision", "text", "tags", "topics"}


def load_timeline(
    root: Path, topics: list[Page], content_dir: str = "content", max_bytes: int = 60_000_000
) -> list[Event]:
    """Read content/timeline.yaml: a list of dated, cited events (errors name the line)."""
    path = root / content_dir / TIMELINE_FILE
    if not path.is_file():
        return []
    rel = path.relative_to(root).as_posix()
    data = parse_yaml(read_text(path, rel, max_bytes), rel)
    if data is None:
        return []
    if not isinstance(data, list):
        raise BuildError(
            [Problem(rel, 1, "must be a list of events, each starting with '- date:'")]
        )
    slugs = {t.slug for t in topics}
    problems: list[Problem] = []
    events: list[Event] = []
    for entry in data:
        event = _check_event(entry, rel, slugs, problems)
        if event is not None:
            events.append(event)
    if problems:
        raise BuildError(problems)
    return sorted(events, key=lambda e: (e.date.sort_key, e.line))


def _check_event(entry: object, rel: str, slugs: set[str], problems: list[Problem]) -> Event | None:
    """Check one timeline entry; None if it lacks the text or date an event needs."""
    if not isinstance(entry, LineDict):
        problems.append(Problem(rel, None, f"event {entry!r} is not a mapping"))
        return None
    for key in sorted(set(entry) - EVENT_KEYS):
        problems.append(
            Problem(
                rel,
                entry.key_lines[key],
                f"unknown key {key!r}",
                f"known keys: {', '.join(sorted(EVENT_KEYS))}",
            )
        )
    text = entry.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(Problem(rel, entry.line, "event has no text", "add 'text: ...'"))
        return None
    date = _event_date(entry, rel, problems)
    if date is None:
        return None
    topic_slugs = _event_topics(entry, rel, slugs, problems)
    tags = entry.get("tags") or []
    if not isinstance(tags, list):
        problems.append(Problem(rel, entry.key_lines.get("tags"), "tags must be a list"))
        tags = []
    return Event(
        date=date,
        text=" ".join(text.split()),
        tags=tuple(str(t) for t in tags),
        topics=tuple(str(s) for s in topic_slugs),
        line=entry.key_lines["text"],
    )


def _event_date(entry: LineDict, rel: str, problems: list[Problem]) -> PartialDate | None:
    """Require a readable date: the timeline is ordered by it."""
    if entry.get("date") is None:
        problems.append(Problem(rel, entry.line, "event has no date", "add 'date: YYYY-MM-DD'"))
        return None
    try:
        return parse_date(entry["date"], entry.get("date_precision"))
    except ValueError as err:
        problems.append(Problem(rel, entry.key_lines["date"], str(err)))
        return None


def _event_topics(
    entry: LineDict, rel: str, slugs: set[str], problems: list[Problem]
) -> list[object]:
    """Return the topics the event links to, flagging any with no page to link to."""
    topic_slugs = entry.get("topics") or []
    if not isinstance(topic_slugs, list):
        topic_slugs = [topic_slugs]
    for slug in topic_slugs:
        if slug not in slugs:
            problems.append(
                Problem(
                    rel,
                    entry.key_lines.get("topics"),
                    f"no topic page {slug!r}",
                    f"topics: {', '.join(sorted(slugs))}",
                )
            )
    return topic_slugs


def timeline_page() -> Page:
    """The page that lists every event; its citations are checked like any page's."""
    return Page(
        slug="timeline",
        path=f"content/{TIMELINE_FILE}",
        section="pages",
        title="Timeline",
        summary="Dated events drawn from the sources, each with its citation.",
        tags=(),
        date=None,
        updated=None,
        draft=False,
        body="",
        body_line=1,
    )
