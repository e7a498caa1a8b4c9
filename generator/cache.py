"""The build cache (.briefing-cache/, git-ignored): skip a build whose inputs did not change,
reuse cleaned articles whose raw text did not change, and hand each build what the last
one left (PreviousBuild, read in one call) and keep what it leaves (BuildRecord, saved in
one call). Nothing else in the build knows about the cache.

Everything is keyed by content hashes, the generator's own code and the build options, so
a stale entry can only be missed, never used. A damaged cache is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from .extract import CleanRequest, clean_request
from .inputs import parse_yaml
from .markdown import Rendered
from .models import CleanedArticle
from .output import folder_identity, spare_folder
from .parallel import parallel_map
from .resolve import QuoteRecord

CACHE_DIR = ".briefing-cache"
_CODE_DIR = Path(__file__).resolve().parent
_MANIFEST = "last-build.json"
# Cleaned articles, in buckets by the first hex digit of their key: an edit rewrites one
# sixteenth of them (pickling all 10,000 articles took half a second of every rebuild).
_ARTICLE_BUCKETS = "0123456789abcdef"


def _articles_file(bucket: str) -> str:
    return f"articles-{bucket}.pickle"


_QUOTES = "verified-quotes.json"
_FEED_HTML = "feed-html.json"
_PARSED_YAML = "parsed-yaml.pickle"
_RENDERED = "rendered-pages.pickle"
_LOCATIONS = "quote-locations.json"


@dataclass(frozen=True)
class PreviousBuild:
    """What the last build into the same output left that this one may reuse (all empty
    when there was none, the cache is off, or the output is gone). Read-only."""

    files: dict[str, int] = field(default_factory=dict)  # its files and their sizes
    # output path -> (the key it was rendered from, its size): files still as written
    outputs: dict[str, tuple[str, int]] = field(default_factory=dict)
    # search index folder -> (its key, its files and sizes): parts still intact
    search: dict[str, tuple[str, dict[str, int]]] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)  # topic and tag page -> sha256
    feed_html: dict[str, str] = field(default_factory=dict)  # key -> feed item HTML
    markdown: dict[str, Rendered] = field(default_factory=dict)  # key -> rendered page
    quotes: QuoteRecord = field(default_factory=QuoteRecord)
    # the paths where the spare (the output before last) differs from the output, or None
    # when there is no spare to trust
    spare_differs: frozenset[str] | None = None


@dataclass(frozen=True)
class BuildRecord:
    """What a build leaves for the next one, saved in one call (see PreviousBuild)."""

    fingerprint: str  # of every input, the code and the options
    summary: dict[str, Any]  # counts and warnings, reported again by a skipped build
    files: dict[str, int]
    spare_differs: frozenset[str] | None  # see PreviousBuild
    keys: dict[str, str]  # output path -> key
    search: dict[str, str]  # search index folder -> key
    digests: dict[str, str]
    feed_html: dict[str, str]
    markdown: dict[str, Rendered]
    quotes: QuoteRecord


@cache
def code_fingerprint() -> str:
    """A hash of the generator's own code and data: a new version invalidates everything.

    Computed once per process: the code a process runs does not change under it.
    """
    digest = hashlib.sha256()
    for path in sorted(_CODE_DIR.rglob("*")):
        if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(_CODE_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _article_key(code: str, request: CleanRequest) -> str:
    """The key of a cleaned article: the code that cleans it and all it is cleaned from."""
    text = f"{code}{(request.markdown, request.hints, request.html)!r}\0{request.raw}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# The libraries that read saved pages: another version may extract other text.
_EXTRACTORS = (
    *("trafilatura", "htmldate", "justext", "readability-lxml", "lxml", "lxml_html_clean"),
    *("webencodings", "beautifulsoup4", "charset-normalizer", "chardet"),
)


@cache
def extractor_versions() -> str:
    """The versions of the libraries that read saved pages, for the keys of their cached
    articles (looked up only for a site with saved pages: it takes a few hundredths of a
    second)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:  # an optional one (a charset detector)
            return "-"

    return " ".join(f"{name} {installed(name)}" for name in _EXTRACTORS)


def _walk(folder: Path) -> list[tuple[str, str]]:
    """Every file under folder, following links and skipping hidden names, in a fixed
    order: (its path, its path relative to folder). Strings, not Paths: pathlib's objects
    were 40% of hashing 11,000 inputs."""
    top = str(folder)
    found = []
    for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        below = dirpath[len(top) + 1 :] + "/" if dirpath != top else ""
        found += [
            (f"{dirpath}/{name}", below + name)
            for name in sorted(filenames)
            if not name.startswith(".")
        ]
    return found


def _bytes_of(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def theme_key(dirs: list[Path]) -> str:
    """A hash of the theme folders' files (templates and static assets)."""
    digest = hashlib.sha256()
    for folder in dirs:
        for path, relative in _walk(folder):
            digest.update(b"\0" + relative.encode() + b"\0")
            digest.update(_bytes_of(path))
    return digest.hexdigest()


def input_fingerprint(
    root: Path, folders: list[Path], files: list[Path], options: dict[str, Any]
) -> str:
    """A hash of every input file's name and bytes, the generator's code and the options.

    folders and files are in root."""
    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(json.dumps(options, sort_keys=True, default=str).encode())
    paths = []
    for folder in folders:
        if folder.is_dir():
            within = folder.relative_to(root).as_posix()
            paths += [(path, f"{within}/{relative}") for path, relative in _walk(folder)]
    paths += [(str(p), str(p.relative_to(root))) for p in files if p.is_file()]
    for path, relative in paths:
        digest.update(b"\0" + relative.encode() + b"\0")
        digest.update(_bytes_of(path))
    return digest.hexdigest()


# What this process last read from or wrote to each cache file, with the file's identity
# then: a build in the same process (serve's rebuilds) takes it from here instead of
# unpickling it again (a second and a half of each rebuild at 10,000 sources), as long as
# the file on disk is still that one.
_LOADED: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}


def _identity(path: str) -> tuple[int, int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)


class BuildCache:
    """Read and write the cache folder; every failure to read it counts as a miss."""

    def __init__(self, root: Path, enabled: bool = True):
        self.folder = root / CACHE_DIR
        self.enabled = enabled
        self._articles: dict[str, CleanedArticle] | None = None
        self._used: dict[str, CleanedArticle] = {}
        self._articles_read: set[str] = set()  # the keys in the cache files when read
        self._json: dict[str, dict[str, Any]] = {}
        self._parsed: dict[str, Any] | None = None
        self._parsed_used: dict[str, Any] = {}
        self._parsed_changed = False
        self._rendered_before: set[str] = set()
        # What was found damaged (or written by another version) and ignored: said under -v.
        self.notes: list[str] = []

    def _read_json(self, name: str) -> dict[str, Any]:
        """A JSON mapping from the cache, read once per build; {} when off, absent or damaged."""
        if name not in self._json:
            self._json[name] = self._read(name, lambda raw: json.loads(raw.decode("utf-8")))
        return self._json[name]

    def _read_pickle(self, name: str) -> dict[str, Any]:
        """A pickled mapping from the cache; {} when off, absent or damaged."""
        return self._read(name, pickle.loads)

    def _read(self, name: str, decode: Callable[[bytes], Any]) -> dict[str, Any]:
        """A mapping decoded from a cache file (a copy: callers add to it), or what this
        process last read from or wrote to that very file; {} when off, absent or damaged."""
        if not self.enabled:
            return {}
        path = str(self.folder / name)
        identity = _identity(path)
        known = _LOADED.get(path)
        if identity and known and known[0] == identity:
            return dict(known[1])
        if identity is None:
            return {}
        try:
            with open(path, "rb") as handle:
                data = decode(handle.read())
        except Exception as err:  # noqa: BLE001 - any damage to the cache is a miss
            return self._ignored(name, f"{type(err).__name__}: {err}")
        if not isinstance(data, dict):
            return self._ignored(name, f"a {type(data).__name__}, not a mapping")
        if identity:
            _LOADED[path] = (identity, data)
        return dict(data)

    def _ignored(self, name: str, why: str) -> dict[str, Any]:
        """Note a cache file that could not be used; nothing of it is."""
        self.notes.append(
            f"ignored the build cache's {name} (damaged, or written by another version: "
            f"{why[:120]}); what it held is made again"
        )
        return {}

    def _write_json_if_changed(self, name: str, data: dict[str, Any]) -> None:
        """Write a JSON mapping unless it equals the one read from the cache this build."""
        if self.enabled and data != self._read_json(name):
            self._write(name, json.dumps(data, sort_keys=True).encode("utf-8"))

    def _manifest_for(self, out: Path) -> dict[str, Any]:
        """The last build's manifest if that build was into out, and out is still the folder
        it wrote (not one a build killed before recording it put there); {} otherwise."""
        manifest = self._read_json(_MANIFEST)
        if manifest.get("output") != str(out) or manifest.get("identity") != folder_identity(out):
            return {}
        return manifest

    # -- whole-build skip -----------------------------------------------------------------

    def unchanged_build(self, fingerprint: str, out: Path) -> dict[str, Any] | None:
        """The last build's summary if it had these inputs and its output is still intact."""
        manifest = self._manifest_for(out)
        if manifest.get("fingerprint") != fingerprint:
            return None
        if any(_size(out, rel) != size for rel, size in manifest.get("files", {}).items()):
            return None
        summary = manifest.get("summary")
        return summary if isinstance(summary, dict) else None

    def folder_for_templates(self) -> Path | None:
        """Where Jinja keeps compiled templates (None when the cache is off)."""
        if not self.enabled:
            return None
        try:
            self.folder.mkdir(exist_ok=True)
        except OSError:
            return None
        return self.folder

    def previous(self, out: Path) -> PreviousBuild:
        """What the last build into out left for this one."""
        if not self.enabled or not out.is_dir():
            return PreviousBuild(markdown=self._markdown(), quotes=self._quote_record())
        return PreviousBuild(
            files=self._previous_files(out),
            outputs=self._reusable_pages(out),
            search=self._reusable_search(out),
            digests=self._page_digests(out),
            feed_html=dict(self._read_json(_FEED_HTML)),
            markdown=self._markdown(),
            quotes=self._quote_record(),
            spare_differs=self._spare_differs(out),
        )

    def _markdown(self) -> dict[str, Rendered]:
        loaded = self._read_pickle(_RENDERED)
        self._rendered_before = set(loaded)
        return loaded

    def _quote_record(self) -> QuoteRecord:
        return QuoteRecord(dict(self._read_json(_QUOTES)), dict(self._read_json(_LOCATIONS)))

    def save(self, out: Path, record: BuildRecord) -> None:
        """Keep what the next build needs: the cleaned articles and parsed YAML this build
        used, its Markdown renderings, quotes, feed item HTML, and the manifest of its
        output (each file written only when it changed)."""
        if not self.enabled:
            return
        self._save_articles()
        if self._parsed_changed:
            self._write_pickle(_PARSED_YAML, self._parsed_used)
        if set(record.markdown) != self._rendered_before:
            self._write_pickle(_RENDERED, record.markdown)
        # Checked quotes of earlier builds stay, so that an error survives a fixed-then-broken
        # edit.
        self._write_json_if_changed(_QUOTES, {**self._read_json(_QUOTES), **record.quotes.checked})
        self._write_json_if_changed(_FEED_HTML, record.feed_html)
        self._write_json_if_changed(_LOCATIONS, record.quotes.locations)
        self.save_manifest(out, record)

    def forget(self) -> None:
        """Drop the record of the last build's output: the output is about to change, and a
        build killed before it saves its own must not trust the old one."""
        if not self.enabled:
            return
        path = self.folder / _MANIFEST
        _LOADED.pop(str(path), None)
        self._json.pop(_MANIFEST, None)
        with contextlib.suppress(OSError):
            path.unlink()

    def save_manifest(self, out: Path, record: BuildRecord) -> None:
        """Record the build's output, its keys and the fingerprint of its inputs (for the
        whole-build skip)."""
        if not self.enabled:
            return
        manifest = {
            "fingerprint": record.fingerprint,
            "output": str(out),
            "files": record.files,
            "summary": record.summary,
            "page_keys": record.keys,
            "search_bundles": record.search,
            "page_digests": record.digests,
            "identity": folder_identity(out),
        }
        if record.spare_differs is not None:
            manifest["spare"] = {
                "identity": folder_identity(spare_folder(out)),
                "differs": sorted(record.spare_differs),
            }
        self._write(_MANIFEST, json.dumps(manifest).encode("utf-8"))

    def _spare_differs(self, out: Path) -> frozenset[str] | None:
        """Where the spare the last build left beside out differs from out (None if there
        is none, or it is not the very folder that build left)."""
        spare = self._manifest_for(out).get("spare")
        if not isinstance(spare, dict) or not isinstance(spare.get("differs"), list):
            return None
        if spare.get("identity") != folder_identity(spare_folder(out)):
            return None
        return frozenset(spare["differs"])

    def _previous_files(self, out: Path) -> dict[str, int]:
        """The last build's files in out and their sizes ({} if it was not into out, or
        out is gone): a rebuild then updates out instead of writing all of it again."""
        if not out.is_dir():
            return {}
        files = self._manifest_for(out).get("files", {})
        return files if isinstance(files, dict) else {}

    def _reusable_pages(self, out: Path) -> dict[str, tuple[str, int]]:
        """Pages of the last build into out that are still there as written: path -> the
        key of everything they were rendered from."""
        manifest = self._manifest_for(out)
        sizes = manifest.get("files", {})
        reusable = {}
        for path, key in manifest.get("page_keys", {}).items():
            size = _size(out, path)
            if size is not None and size == sizes.get(path):
                reusable[path] = (key, size)
        return reusable

    def _page_digests(self, out: Path) -> dict[str, str]:
        """The sha256 of the last build's topic and tag pages in out (for the keys of the
        search index parts); a page is only trusted if reusable_pages() keeps it."""
        digests = self._manifest_for(out).get("page_digests", {})
        return digests if isinstance(digests, dict) else {}

    def _reusable_search(self, out: Path) -> dict[str, tuple[str, dict[str, int]]]:
        """The last build's search index parts still intact in out: folder -> (key, the
        folder's files and sizes)."""
        manifest = self._manifest_for(out)
        by_folder = files_by_folder(manifest.get("files", {}))
        found = {}
        for folder, key in manifest.get("search_bundles", {}).items():
            files = by_folder.get(folder, {})
            intact = bool(files) and all(_size(out, p) == n for p, n in files.items())
            if intact:
                found[folder] = (key, files)
        return found

    def clean_all(self, requests: list[CleanRequest], jobs: int = 1) -> list[CleanedArticle]:
        """Clean requests, reusing cached results; misses run in `jobs` processes."""
        if self._articles is None:
            self._articles = {}
            for bucket in _ARTICLE_BUCKETS:
                self._articles.update(self._read_pickle(_articles_file(bucket)))
            self._articles_read = set(self._articles)
        code = code_fingerprint()
        html_code = code + extractor_versions() if any(r.html for r in requests) else code
        keys = [_article_key(html_code if r.html else code, r) for r in requests]
        missing = [i for i, key in enumerate(keys) if key not in self._articles]
        cleaned = parallel_map(clean_request, [requests[i] for i in missing], jobs)
        for index, article in zip(missing, cleaned, strict=True):
            self._articles[keys[index]] = replace(article, fingerprint=keys[index])
        results = [self._articles[key] for key in keys]
        self._used.update(zip(keys, results, strict=True))
        return results

    def parse_yaml(self, text: str, rel: str) -> Any:
        """parse_yaml, remembered by the text's hash (sources.yaml of a large site takes a
        tenth of a second per thousand entries to parse, a twentieth of that to unpickle)."""
        if self._parsed is None:
            self._parsed = self._read_pickle(_PARSED_YAML)
        # The code too: another version may parse the same text differently.
        key = hashlib.sha256(
            f"{code_fingerprint()}\0{rel}\0{text}".encode("utf-8", "surrogatepass")
        ).hexdigest()
        if key not in self._parsed:
            self._parsed[key] = parse_yaml(text, rel)
            self._parsed_changed = True
        self._parsed_used[key] = self._parsed[key]
        return self._parsed[key]

    def _save_articles(self) -> None:
        """Keep the articles this build used (so deleted sources do not pile up), rewriting
        only the buckets whose articles are not exactly the ones kept already."""
        if not (self.enabled and self._used):
            return
        used: dict[str, dict[str, CleanedArticle]] = {b: {} for b in _ARTICLE_BUCKETS}
        for key, article in self._used.items():
            used[key[0]][key] = article
        read: dict[str, set[str]] = {b: set() for b in _ARTICLE_BUCKETS}
        for key in self._articles_read:
            read[key[0]].add(key)
        for bucket, articles in used.items():
            if set(articles) != read[bucket]:
                self._write_pickle(_articles_file(bucket), articles)

    def _write_pickle(self, name: str, value: dict[str, Any]) -> None:
        """Write value pickled; the next build in this process gets it without unpickling
        (JSON files are decoded again: their types differ from what was encoded)."""
        if self._write(name, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)):
            path = str(self.folder / name)
            identity = _identity(path)
            if identity:
                _LOADED[path] = (identity, dict(value))

    def _write(self, name: str, data: bytes) -> bool:
        """Write a cache file; whether it was written."""
        path = str(self.folder / name)
        _LOADED.pop(path, None)
        try:
            self.folder.mkdir(exist_ok=True)
            temporary = self.folder / f".{name}.tmp"
            temporary.write_bytes(data)
            os.replace(temporary, path)
        except OSError:
            return False  # a cache that cannot be written only costs time
        return True


def files_by_folder(files: dict[str, int]) -> dict[str, dict[str, int]]:
    """An output's files and sizes, grouped by their top-level folder (a search index part
    is one)."""
    grouped: dict[str, dict[str, int]] = {}
    for path, size in files.items():
        grouped.setdefault(path.split("/", 1)[0], {})[path] = size
    return grouped


def _size(out: Path, path: str) -> int | None:
    """The size of out/path, None if it is gone (os.stat on a string: pathlib's joining
    was a second of a rebuild at 60,000 files)."""
    try:
        return os.stat(f"{out}/{path}").st_size
    except OSError:
        return None


def clear(root: Path) -> None:
    """Delete what the cache folder holds (--clean), but the build lock that the caller
    holds: a build that starts meanwhile must wait on the same lock file."""
    import shutil

    from .lock import LOCK_FILE

    folder = root / CACHE_DIR
    for entry in folder.iterdir() if folder.is_dir() else ():
        if entry.name == LOCK_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
