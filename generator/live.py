"""serve's builds, in one process: a rebuild puts the changed pages on disk first; the
search index of the pages that changed, and the cache, are brought up to date after it,
in the background, so that a writer never waits for Pagefind. Until a part of the index
is made again, the output keeps its last complete version of that part: the search page
may lag an edit by a moment, and is never broken. What the last build left is kept in
memory (this process wrote the output), not read back from the cache."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from . import (
    BuildOptions,
    BuildResult,
    Built,
    DeferredSearch,
    _build,
    _young_objects_collected_only,
)
from .cache import CACHE_DIR, BuildCache, BuildRecord, PreviousBuild, files_by_folder
from .lock import BuildLock
from .models import BuildError, Problem
from .output import (
    bring_spare_up_to_date,
    folder_identity,
    install_folder,
    scratch_folder,
    search_farm,
    spare_folder,
)
from .resolve import QuoteRecord
from .search import Indexer
from .sources import SeedsSeen


class LiveSite:
    """The site as serve rebuilds it; rebuild() after every change, close() at the end."""

    def __init__(
        self,
        root: Path,
        out: Path,
        options: BuildOptions,
        report: Callable[[list[Problem]], None] = lambda problems: None,
        lock: BuildLock | None = None,
    ):
        self.root, self.out = root, out
        self.lock = lock or BuildLock(root / CACHE_DIR)  # held until the background is done
        self.options = replace(options, live=True)
        self.report = report  # told of a failed search index update
        self._previous: PreviousBuild | None = None
        self._seen = SeedsSeen()
        self._thread: threading.Thread | None = None
        self._indexer: Indexer | None = None
        self._stopped = threading.Event()
        self._installing = threading.Lock()
        # The output and spare folders as this process left them: another build (in
        # another terminal) swaps in folders of its own, and then what is kept in memory
        # no longer describes them.
        self._folders: tuple[object, object] | None = None

    def rebuild(self, waiting: Callable[[str], None] = lambda message: None) -> BuildResult:
        """Build what changed (raising BuildError as build() does); the search index and
        the cache are brought up to date afterwards, in the background."""
        self.close()
        self.lock.acquire(waiting)
        if self._folders != self._folders_now():
            self._previous = None  # read what the other build left from the cache
        try:
            cache = BuildCache(self.root)
            with _young_objects_collected_only():
                built = _build(self.root, self.out, self.options, cache, self._previous, self._seen)
        except BaseException:
            self.lock.release()
            raise
        if built.record is None:
            self.lock.release()
            return built.result
        self._previous = previous_from(built.record, self._previous)
        self._stopped.clear()
        self._thread = threading.Thread(target=self._finish, args=(built, cache), daemon=True)
        self._thread.start()
        return built.result

    def wait(self) -> None:
        """Wait until the search index and the cache are up to date."""
        if self._thread:
            self._thread.join()

    def close(self) -> None:
        """Stop updating the search index (the output keeps its last complete version)."""
        if self._thread:
            with self._installing:
                self._stopped.set()
                indexer = self._indexer
            if indexer:
                indexer.stop()
            self._thread.join()
            self._thread = self._indexer = None

    def _finish(self, built: Built, cache: BuildCache) -> None:
        """Index the deferred search parts and move them in; then save the build's record
        (with the parts as they are now in the output), and let other builds run."""
        assert built.record is not None
        record = built.record
        try:
            if built.deferred:
                record = self._index(built.deferred, record)
        except BuildError as err:
            if not self._stopped.is_set():
                self.report(err.problems)
        finally:
            try:
                record = self._sync_spare(record)
                cache.save(self.out, record)
            finally:
                self._folders = self._folders_now()
                self.lock.release()
        # A build leaves cycles (template environments, the site model) that a long-running
        # server would otherwise keep for a long while: freed now, after the reload.
        gc.collect()

    def _index(self, late: DeferredSearch, record: BuildRecord) -> BuildRecord:
        """Index the parts beside the output, then move them in (unless stopped)."""
        with scratch_folder(self.out) as scratch:
            indexer = Indexer(late.binary, late.language, self.options.jobs, background=True)
            with self._installing:  # close() either sees this indexer and stops it, or ...
                if self._stopped.is_set():  # ... had already asked for the stop
                    return record
                self._indexer = indexer
            for bundle in late.bundles:
                farm = search_farm(self.out, bundle.pages, scratch / "pages" / bundle.folder)
                indexer.add(farm, scratch / "made" / bundle.folder, bundle)
            indexer.finish()
            with self._installing:
                if self._stopped.is_set():
                    return record
                parts = [(bundle.folder, bundle.key) for bundle in late.bundles]
                return self._install(record, parts, scratch / "made")

    def _install(
        self, record: BuildRecord, parts: list[tuple[str, str]], made: Path
    ) -> BuildRecord:
        """Move the new parts into the output; the record of the build now complete."""
        files, search = dict(record.files), dict(record.search)
        changed: set[str] = set()
        for folder, key in parts:
            prefix = folder + "/"
            changed.update(path for path in files if path.startswith(prefix))
            files = {path: size for path, size in files.items() if not path.startswith(prefix)}
            installed = install_folder(self.out, folder, made / folder)
            changed.update(installed)
            files.update(installed)
            search[folder] = key
        spare = None if record.spare_differs is None else record.spare_differs | changed
        record = replace(record, files=files, search=search, spare_differs=spare)
        self._previous = previous_from(record, self._previous)
        return record

    def _folders_now(self) -> tuple[object, object]:
        return folder_identity(self.out), folder_identity(spare_folder(self.out))

    def _sync_spare(self, record: BuildRecord) -> BuildRecord:
        """Bring the spare up to date now, not when the next edit is waiting for it."""
        if not record.spare_differs or not bring_spare_up_to_date(
            self.out, record.spare_differs, record.files, self._stopped.is_set
        ):
            return record
        record = replace(record, spare_differs=frozenset())
        with self._installing:
            if not self._stopped.is_set():
                self._previous = previous_from(record, self._previous)
        return record


def previous_from(record: BuildRecord, before: PreviousBuild | None) -> PreviousBuild:
    """What a build left for the next, as the cache would hand it back (trusting that the
    output is as this process wrote it)."""
    files = record.files
    parts = files_by_folder(files)
    checked = {**(before.quotes.checked if before else {}), **record.quotes.checked}
    return PreviousBuild(
        files=files,
        outputs={path: (key, files[path]) for path, key in record.keys.items() if path in files},
        search={
            folder: (key, parts[folder])
            for folder, key in record.search.items()
            if parts.get(folder)
        },
        digests=record.digests,
        feed_html=record.feed_html,
        markdown=record.markdown,
        quotes=QuoteRecord(checked, record.quotes.locations),
        spare_differs=record.spare_differs,
    )
