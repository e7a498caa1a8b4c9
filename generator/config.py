"""Site settings: one dataclass holding every default, read from briefing.yaml."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from .feeds import normalise_base_url
from .inputs import parse_yaml, read_text
from .models import BuildError, Problem

SETTINGS_FILE = "briefing.yaml"


@dataclass(frozen=True)
class Settings:
    """Everything a site can configure; the defaults make a first build work unedited."""

    title: str = "Briefing"
    description: str = "A cited briefing built from source articles."
    url: str | None = None  # absolute site URL, used for canonical links and feeds
    language: str = "en"
    author: str | None = None
    theme: str = "default"
    allow_raw_html: bool = False  # raw HTML inside topic Markdown
    max_file_bytes: int = 60_000_000  # larger input files are refused
    latest_sources_on_home: int = 10
    sources_per_page: int = 250  # sources on each page of the sources index and tag pages
    feed_items: int = 50  # newest items per feed (the site's and each tag's)
    search: bool = True  # build a Pagefind search index and show the search box
    # Sources per search index shard (at most MAX_SHARDS shards): an edit re-indexes only
    # its shard, and Pagefind's memory stays bounded; the search page merges the shards.
    search_shard_size: int = 250


_AT_LEAST_ONE = frozenset({"max_file_bytes", "feed_items", "search_shard_size", "sources_per_page"})


def load_settings(root: Path) -> Settings:
    """Read briefing.yaml if it exists; unknown keys and wrong types are errors."""
    path = root / SETTINGS_FILE
    if not path.exists():
        return Settings()
    rel = path.relative_to(root).as_posix()
    data = parse_yaml(read_text(path, rel), rel)
    if data is None:
        return Settings()
    if not isinstance(data, dict):
        raise BuildError([Problem(rel, 1, "settings must be a mapping of key: value")])
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    problems: list[Problem] = []
    values: dict[str, object] = {}
    defaults = Settings()
    for key, value in data.items():
        line = getattr(data, "key_lines", {}).get(key)
        if key not in fields:
            problems.append(
                Problem(
                    rel, line, f"unknown setting {key!r}", f"known settings: {', '.join(fields)}"
                )
            )
            continue
        optional = key in ("url", "author")
        expected = str if optional else type(getattr(defaults, key))
        if (value is None and not optional) or (
            value is not None
            and (not isinstance(value, expected) or isinstance(value, bool) != (expected is bool))
        ):
            problems.append(
                Problem(rel, line, f"setting {key!r} must be a {expected.__name__}, got {value!r}")
            )
            continue
        if key in _AT_LEAST_ONE and isinstance(value, int) and value < 1:
            problems.append(Problem(rel, line, f"setting {key!r} must be 1 or more, got {value}"))
            continue
        values[key] = value
    if values.get("url"):
        try:
            values["url"] = normalise_base_url(str(values["url"]))
        except ValueError as err:
            problems.append(
                Problem(
                    rel,
                    getattr(data, "key_lines", {}).get("url"),
                    f"url: {err}",
                    "write the full address, e.g. https://example.org/briefing/",
                )
            )
    if problems:
        raise BuildError(problems)
    return dataclasses.replace(defaults, **values)  # type: ignore[arg-type]
