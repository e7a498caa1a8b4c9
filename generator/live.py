"""serve's builds, in one process: a rebuild puts the changed pages on disk first and
brings the search index up to date after it, in the background, so that a writer never
waits for Pagefind. Until a part of the index is made again, the output keeps its last
complete version of that part: the search page may lag an edit by a moment, and is never
broken."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from . import BuildOptions, BuildResult, DeferredSearch, _build, _young_objects_collected_only
from .cache import BuildCache
from .models import BuildError, Problem
from .output import install_folder, search_farm
from .search import Indexer


class LiveSite:
    """The site as serve rebuilds it; rebuild() after every change, close() at the end."""

    def __init__(
        self,
        root: Path,
        out: Path,
        options: BuildOptions,
        report: Callable[[list[Problem]], None] = lambda problems: None,
    ):
        self.root, self.out = root, out
        self.options = replace(options, live=True)
        self.report = report  # told of a failed search index update
        self._thread: threading.Thread | None = None
        self._indexer: Indexer | None = None
        self._stopped = threading.Event()
        self._installing = threading.Lock()

    def rebuild(self) -> BuildResult:
        """Build what changed (raising BuildError as build() does); the search index of
        the pages that changed is updated afterwards, in the background."""
        self.close()
        cache = BuildCache(self.root)
        with _young_objects_collected_only():
            result, late = _build(self.root, self.out, self.options, cache)
        if late:
            self._stopped.clear()
            self._indexer = Indexer(late.binary, late.language, self.options.jobs)
            self._thread = threading.Thread(
                target=self._index, args=(late, cache, self._indexer), daemon=True
            )
            self._thread.start()
        return result

    def wait(self) -> None:
        """Wait until the search index is up to date."""
        if self._thread:
            self._thread.join()

    def close(self) -> None:
        """Stop updating the search index (the output keeps its last complete version)."""
        if self._thread:
            with self._installing:
                self._stopped.set()
            if self._indexer:
                self._indexer.stop()
            self._thread.join()
            self._thread = self._indexer = None

    def _index(self, late: DeferredSearch, cache: BuildCache, indexer: Indexer) -> None:
        made = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-index-", dir=self.out.parent))
        farms: list[Path] = []
        try:
            for bundle in late.bundles:
                farms.append(search_farm(self.out, bundle.pages))
                indexer.add(farms[-1], made / bundle.folder, bundle)
            indexer.finish()
            with self._installing:
                if not self._stopped.is_set():
                    self._install(late, cache, made)
        except BuildError as err:
            if not self._stopped.is_set():
                self.report(err.problems)
        finally:
            for folder in [made, *farms]:
                shutil.rmtree(folder, ignore_errors=True)

    def _install(self, late: DeferredSearch, cache: BuildCache, made: Path) -> None:
        """Move the new parts into the output and record them: the build is then complete."""
        files, search = dict(late.record.files), dict(late.record.search)
        for bundle in late.bundles:
            prefix = bundle.folder + "/"
            files = {path: size for path, size in files.items() if not path.startswith(prefix)}
            files.update(install_folder(self.out, bundle.folder, made / bundle.folder))
            search[bundle.folder] = bundle.key
        cache.save_manifest(self.out, replace(late.record, files=files, search=search))
