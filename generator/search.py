"""Full-text search with Pagefind: the index is built into the staging folder, so it is
swapped in with the rest of the site or not at all.

Pagefind ships as a binary inside the PyPI packages pagefind / pagefind-bin; nothing is
downloaded at build time. Without it the site builds and says that search is unavailable.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import queue
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cbor2

from .models import BuildError, PartialDate, Problem, Source, Tag
from .pagefind_order import stable_filters

SEARCH_FOLDER = "pagefind"
SHARD_PREFIX = "pagefind-sources-"
TOPIC_SHARD_PREFIX = "pagefind-topics-"
INDEX_TIMEOUT_S = 600
# A search fetches from every part its entry and metadata files (~2 kB) and, for each word
# searched, one index chunk (25-40 kB; the WebAssembly is loaded once, by the first part).
# Measured for a first search: 289 kB in 43 requests at 1,000 sources (5 parts; one index:
# 203 kB), 983 kB in 103 requests at 10,000 (25 parts). So a larger site gets larger parts
# rather than more of them; Pagefind's memory (~150 kB per page indexed) bounds their size.
MAX_SHARDS = 20


@dataclass(frozen=True)
class Bundle:
    """One Pagefind index of some of the site's pages; the search page merges them all."""

    folder: str  # where in the output it is written, e.g. "pagefind-sources-2"
    glob: str  # the pages it indexes
    key: str  # a hash of everything its pages' searchable content is made from
    pages: tuple[str, ...]  # the output paths the glob matches


@dataclass(frozen=True)
class SearchPlan:
    """How the search index is split. A small site gets one index of every searched page;
    a large one gets one of tags (and of whichever of topics and sources are few) in
    pagefind/, plus shards of sources and of topics, each page in the shard its id hashes
    to, so that adding or editing one re-indexes one shard, and Pagefind's memory is
    bounded by the shard size."""

    shards: tuple[tuple[str, tuple[str, ...]], ...]  # (folder, source ids), in folder order
    topic_shards: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (folder, topic slugs)

    @classmethod
    def make(
        cls, source_ids: list[str], shard_size: int, topic_slugs: list[str] | None = None
    ) -> SearchPlan:
        return cls(
            _split(source_ids, shard_size, SHARD_PREFIX),
            _split(topic_slugs or [], shard_size, TOPIC_SHARD_PREFIX),
        )

    @property
    def merged(self) -> list[str]:
        """The folders the search page merges into the main index."""
        return [folder for folder, _ in (*self.shards, *self.topic_shards)]

    @property
    def main_glob(self) -> str:
        kinds = [
            kind
            for kind, sharded in (("topics", self.topic_shards), ("sources", self.shards))
            if not sharded
        ]
        kinds.append("tags")
        # Only these page kinds are searched: leaving out the original-text pages halves
        # Pagefind's time and memory on a large site.
        return f"{_one_of(kinds)}/*/index.html"

    def shard_bundles(self, source_keys: dict[str, str], setup: str) -> list[Bundle]:
        """The shards of sources, with their keys; source_keys: the search key of each
        source's page, setup: what else an index depends on (Pagefind, the language)."""
        return [
            _bundle(folder, "sources", ids, [source_keys[i] for i in ids], setup)
            for folder, ids in self.shards
        ]

    def topic_bundles(self, page_keys: dict[str, str], setup: str) -> list[Bundle]:
        """The shards of topics; page_keys: a hash of each topic page's bytes, by path."""
        return [
            _bundle(
                folder,
                "topics",
                slugs,
                [page_keys[f"topics/{slug}/index.html"] for slug in slugs],
                setup,
            )
            for folder, slugs in self.topic_shards
        ]

    def main_bundle(
        self, main_key: str, main_pages: list[str], source_keys: dict[str, str], setup: str
    ) -> Bundle:
        """The index of tags and of what is not sharded; main_key: a hash of its topic and
        tag pages (main_pages)."""
        if self.shards:
            return Bundle(SEARCH_FOLDER, self.main_glob, _key(setup, main_key), tuple(main_pages))
        every = [f"{i}:{k}" for i, k in sorted(source_keys.items())]
        pages = tuple(main_pages) + tuple(f"sources/{i}/index.html" for i in sorted(source_keys))
        return Bundle(SEARCH_FOLDER, self.main_glob, _key(setup, main_key, *every), pages)


class SearchSchedule:
    """One build's search index: which part each written page goes into, the key of each
    part, and when a part can be handed to index() (as soon as its pages are all written,
    so that Pagefind runs beside the rest of the build). Without index() it only keeps
    track; the plan still decides the search page's parts."""

    def __init__(
        self,
        plan: SearchPlan,
        index: Callable[[list[Bundle]], None] | None,
        setup: str,
        known: dict[str, str] | None = None,
    ):
        self.plan = plan
        self.index = index
        self.setup = setup  # what else every part depends on (Pagefind, the language)
        self.known = known or {}  # the last build's digests (page -> its bytes' sha256)
        self.source_keys: dict[str, str] = {}  # source id -> its page's search key
        self.digests: dict[str, str] = {}  # topic and tag page -> its bytes' sha256
        self._main = hashlib.sha256()  # of the main index's topic and tag pages
        self._main_pages: list[str] = []
        self._topic_keys: dict[str, str] = {}  # a hash of each topic page, when sharded
        self._shards: list[Bundle] = []
        self._last_chunk: list[int] = []  # per shard: the number of its last chunk (-1: none)
        self._indexed = 0  # shards handed to index()

    @staticmethod
    def keys_page(path: str) -> bool:
        """Whether a page's bytes go into a part's key: topic and tag pages (source pages
        are keyed by what they are made from, see source_keys)."""
        return (
            path.count("/") == 2
            and path.startswith(("topics/", "tags/"))
            and path.endswith("/index.html")
        )

    def page_written(self, path: str, data: bytes) -> None:
        """A topic or tag page goes into its part, keyed by its bytes: a tag page that lists
        an edited source is rendered again, but if its bytes are the same, so is the part."""
        if self.keys_page(path):
            self._add(path, hashlib.sha256(data).hexdigest())

    def page_kept(self, path: str, read: Callable[[], bytes]) -> None:
        """page_written() for a page kept from the last build: its digest as the cache
        recorded it, or read() back and hashed when it was not recorded (reading ~1,100
        kept pages back was 0.15 s of an edit at 10,000 sources)."""
        if self.keys_page(path):
            self._add(path, self.known.get(path) or hashlib.sha256(read()).hexdigest())

    def _add(self, path: str, digest: str) -> None:
        self.digests[path] = digest
        if path.startswith("topics/") and self.plan.topic_shards:
            self._topic_keys[path] = digest
        else:
            self._main.update(f"{path}\0{digest}\0".encode())
            self._main_pages.append(path)

    def chunks(self, sources: list[Source], size: int) -> list[list[Source]]:
        """The sources whose pages are to be rendered, in chunks of size, shard by shard
        (once source_keys is complete): each shard is indexed once its last chunk is done."""
        self._shards = self.plan.shard_bundles(self.source_keys, self.setup) if self.index else []
        if not self._shards:
            return [sources[i : i + size] for i in range(0, len(sources), size)]
        shard_of = {i: n for n, (_, ids) in enumerate(self.plan.shards) for i in ids}
        groups: list[list[Source]] = [[] for _ in self.plan.shards]
        for source in sources:
            groups[shard_of[source.id]].append(source)
        chunks: list[list[Source]] = []
        for group in groups:
            chunks += [group[i : i + size] for i in range(0, len(group), size)]
            self._last_chunk.append(len(chunks) - 1 if group else -1)
        return chunks

    def chunk_done(self, number: int) -> None:
        """Chunks up to number are written: index the shards they complete."""
        while self.index and self._indexed < len(self._shards):
            if self._last_chunk[self._indexed] > number:
                break
            self.index([self._shards[self._indexed]])
            self._indexed += 1

    def topics_done(self) -> None:
        """Every topic page is written: index the shards of topics."""
        if self.index and self.plan.topic_shards:
            self.index(self.plan.topic_bundles(self._topic_keys, self.setup))

    def finish(self) -> None:
        """Every page is written: index the main part."""
        if self.index:
            main_key = self._main.hexdigest()
            self.index(
                [self.plan.main_bundle(main_key, self._main_pages, self.source_keys, self.setup)]
            )


def page_filters(
    kind: str, outlet: str | None, tags: list[Tag], date: PartialDate | None
) -> list[tuple[str, str]]:
    """What the search page can narrow results to, for one page (filter name, value): its
    kind (Topic, Tag, or a source's kind), outlet, tags and year."""
    filters = [("kind", kind)]
    if outlet:
        filters.append(("outlet", outlet))
    filters += [("tag", tag.name) for tag in tags]
    if date:
        filters.append(("year", str(date.year)))
    return filters


def _split(ids: list[str], shard_size: int, prefix: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """ids in shards of about shard_size (at most MAX_SHARDS), each id in the shard its hash
    picks; none when one would do."""
    count = min(math.ceil(len(ids) / shard_size), MAX_SHARDS)
    if count <= 1:
        return ()
    groups: list[list[str]] = [[] for _ in range(count)]
    for one in sorted(ids):
        digest = hashlib.sha256(one.encode()).digest()
        groups[int.from_bytes(digest[:8], "big") % count].append(one)
    return tuple(
        (f"{prefix}{number}", tuple(group)) for number, group in enumerate(groups, start=1) if group
    )


def _bundle(folder: str, kind: str, ids: tuple[str, ...], keys: list[str], setup: str) -> Bundle:
    """The index of the pages kind/<id>/index.html; keys: what each page's search content is
    made from."""
    glob = f"{kind}/{_one_of(ids)}/index.html"
    pages = tuple(f"{kind}/{i}/index.html" for i in ids)
    return Bundle(folder, glob, _key(setup, glob, *keys), pages)


def _one_of(names: list[str] | tuple[str, ...]) -> str:
    """A glob part matching any of names (a brace group of one is not a pattern)."""
    return "{" + ",".join(names) + "}" if len(names) > 1 else names[0]


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def pagefind_binary() -> Path | None:
    """The Pagefind executable: $PAGEFIND_BINARY_PATH, the pagefind package's, or None."""
    override = os.environ.get("PAGEFIND_BINARY_PATH")
    if override is not None:
        path = Path(override)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    # The binary packages first, in pagefind.service's order: that module imports asyncio
    # (16 ms of every build, even one that finds nothing changed).
    for package in ("pagefind_bin_extended", "pagefind_bin"):
        if importlib.util.find_spec(package) is not None:
            try:
                found = importlib.import_module(package).get_executable()
            except FileNotFoundError:  # installed without its binary: as if not installed
                return None
            return found if found and Path(found).is_file() else None
    if importlib.util.find_spec("pagefind") is None:
        return None
    from pagefind.service import get_executable

    found = get_executable()
    return found if found and Path(found).is_file() else None


def unavailable_warning() -> Problem:
    return Problem(
        "search",
        None,
        "Pagefind is not installed, so the site was built without search (its search page says so)",
        "pip install 'pagefind[bin]' (it is in Briefing's dependencies), or set search: "
        "false in briefing.yaml to turn search off",
        level="warning",
    )


class Indexer:
    """Pagefind building the site's indexes in the background, each as soon as its pages
    are written (the source shards while the topic and tag pages and the feeds are
    rendered).

    add(site, bundles) queues indexes whose pages are all written; finish() waits for
    them (raising a BuildError if one failed); stop() ends it early when the build fails.
    One Pagefind at a time while the site is rendered: it uses more than one core itself,
    and memory stays that of one shard. Once everything else is done, up to `tail` run at
    once (one Pagefind keeps about one and a half cores busy: at 10,000 sources the build
    then waited 17 s for the last shards with a core partly idle).
    """

    def __init__(self, binary: Path, language: str, tail: int = 1, background: bool = False):
        self.binary = binary
        self.language = language.split("-")[0] or "en"
        self.tail = max(1, tail)
        # Behind the writer's next rebuild (serve): Pagefind yields the cores to it.
        self.background = background
        self._processes: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._queue: queue.Queue[tuple[Path, Path, Bundle] | None] = queue.Queue()
        self._problem: Problem | None = None
        self._stopped = False

    def add(self, site: Path, output: Path, bundle: Bundle) -> None:
        """Index bundle's pages, found in site, into output."""
        if not self._threads:
            self._start_thread()
        self._queue.put((site, output, bundle))

    def _start_thread(self) -> None:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            site, output, bundle = item
            if self._stopped or self._problem:
                continue
            command = [
                str(self.binary),
                "--site",
                str(site),
                "--output-path",
                str(output),
                "--glob",
                bundle.glob,
                "--force-language",
                self.language,
                "--silent",
            ]
            try:
                process = subprocess.Popen(
                    command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                )
            except OSError as err:
                self._problem = Problem(
                    "search",
                    None,
                    f"Pagefind could not run: {err}",
                    "reinstall it with pip install 'pagefind[bin]', or set search: false",
                )
                continue
            if self.background:
                _yield_cpu(process.pid)
            with self._lock:
                self._processes.add(process)
            if self._stopped:  # stop() came between the start and the registration
                process.kill()
            try:
                printed, _ = process.communicate(timeout=INDEX_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                printed = f"no result after {INDEX_TIMEOUT_S} s"
            with self._lock:
                self._processes.discard(process)
            if process.returncode != 0 and not self._stopped:
                detail = (printed or "").strip().splitlines()[-5:]
                self._problem = Problem(
                    "search",
                    None,
                    "Pagefind failed to index the site: "
                    + " | ".join(detail)
                    + f" (while writing {bundle.folder}/)",
                    "set search: false in briefing.yaml to build without search",
                )
            elif process.returncode == 0:
                self._stabilise(output, bundle)

    def _stabilise(self, output: Path, bundle: Bundle) -> None:
        """Put the filter indexes Pagefind wrote in a stable order (see pagefind_order)."""
        try:
            stable_filters(output)
        except (OSError, ValueError, IndexError, TypeError, cbor2.CBORError) as err:
            self._problem = Problem(
                "search",
                None,
                f"the search filters Pagefind wrote could not be read: {err} (in {bundle.folder}/)",
                "reinstall Briefing's pinned Pagefind, or set search: false in briefing.yaml",
            )

    def _join(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        self._threads = []

    def finish(self) -> None:
        """Wait for every queued index, running up to `tail` Pagefinds from now on."""
        if self._threads:
            for _ in range(min(self.tail, 1 + self._queue.qsize()) - len(self._threads)):
                self._start_thread()
            self._join()
        if self._problem:
            raise BuildError([self._problem])

    def stop(self) -> None:
        self._stopped = True
        with self._lock:
            running = list(self._processes)
        for process in running:
            if process.poll() is None:
                process.kill()
        if self._threads:
            self._join()


def _yield_cpu(pid: int) -> None:
    """Lower a process's priority (where the system allows it)."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, 10)
    except (AttributeError, OSError):  # no setpriority (Windows), or the process ended
        pass
