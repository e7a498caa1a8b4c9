"""URL helpers: safe schemes, relative links between output pages, slugs."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from slugify import slugify as _slugify

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_SLUG_LENGTH = 80
MAX_SLUG_BYTES = 200


def is_safe_url(url: str) -> bool:
    """Allow http(s), mailto and scheme-less (relative) URLs; refuse javascript:, data: etc."""
    cleaned = re.sub(r"[\x00-\x20\x7f]+", "", url)
    if cleaned.startswith("//"):
        return True  # protocol-relative: http or https
    scheme = urlsplit(cleaned).scheme.lower()
    return scheme == "" or scheme in SAFE_SCHEMES


def relative_url(from_page: str, target: str) -> str:
    """Link from one output file to another by a relative path (works in subfolders, file://).

    Both are paths inside the output folder, such as 'topics/x/index.html'. A target
    ending in '/' is a folder; its index.html is linked so file:// viewing works.
    """
    fragment = ""
    if "#" in target:
        target, fragment = target.split("#", 1)
        fragment = "#" + fragment
    if not target:
        return fragment or "#"
    if target.endswith("/"):
        target += "index.html"
    return _relative_path(from_page, target) + fragment


def _relative_path(from_page: str, target: str) -> str:
    """posixpath.relpath for clean relative output paths, without touching the filesystem
    (relpath calls abspath on both; this runs for every link of every page)."""
    here = from_page.split("/")[:-1]
    there = target.split("/")
    common = 0
    for a, b in zip(here, there[:-1], strict=False):
        if a != b:
            break
        common += 1
    return "../" * (len(here) - common) + "/".join(there[common:])


def slugify(text: str) -> str:
    """A URL- and file-safe slug; non-Latin letters are transliterated, length bounded."""
    return _slugify(text, max_length=MAX_SLUG_LENGTH, word_boundary=True, save_order=True)


def unicode_slug(text: str) -> str:
    """A slug that keeps letters of any script readable (for tags), short enough in bytes
    for any filesystem's name limit."""
    slug = _slugify(
        text, allow_unicode=True, max_length=MAX_SLUG_LENGTH, word_boundary=True, save_order=True
    )
    while len(slug.encode("utf-8")) > MAX_SLUG_BYTES:
        slug = slug[:-1].rstrip("-")
    return slug


def is_web_url(url: str) -> bool:
    """An absolute http(s) or mailto URL: the only links kept from scraped source text."""
    return is_safe_url(url) and urlsplit(url.strip()).scheme.lower() in SAFE_SCHEMES


# A text directive's words are percent-encoded, and so are the characters that are its
# syntax ("-" "," "&"): https://wicg.github.io/scroll-to-text-fragment/#syntax
_FRAGMENT_WORDS = 5  # a longer quote is found by its first and last words
_FRAGMENT_MAX_CHARS = 80


def text_fragment(text: str) -> str:
    """The text directive finding text in a page: `:~:text=start` or, for a long quote,
    `:~:text=start,end` (its first and last few words)."""
    words = text.split()
    if len(" ".join(words)) <= _FRAGMENT_MAX_CHARS or len(words) <= 2 * _FRAGMENT_WORDS:
        return ":~:text=" + _directive_part(" ".join(words))
    start = " ".join(words[:_FRAGMENT_WORDS])
    end = " ".join(words[-_FRAGMENT_WORDS:])
    return f":~:text={_directive_part(start)},{_directive_part(end)}"


def _directive_part(text: str) -> str:
    return quote(text, safe="").replace("-", "%2D")


def text_fragment_url(url: str, text: str) -> str:
    """url, opening scrolled to text (a browser without text fragments just opens url)."""
    return url + ("" if "#" in url else "#") + text_fragment(text)
