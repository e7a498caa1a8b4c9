"""Full-text search with Pagefind: the index is built into the staging folder, so it is
swapped in with the rest of the site or not at all.

Pagefind ships as a binary inside the PyPI packages pagefind / pagefind-bin; nothing is
downloaded at build time. Without it the site builds and says that search is unavailable.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

from .models import BuildError, Problem

SEARCH_FOLDER = "pagefind"
# Only the page kinds that are searched; leaving out the original-text pages halves
# Pagefind's time and memory on a large site.
INDEXED_PAGES = "{topics,sources,tags}/*/index.html"
INDEX_TIMEOUT_S = 600


def pagefind_binary() -> Path | None:
    """The Pagefind executable: $PAGEFIND_BINARY_PATH, the pagefind package's, or None."""
    override = os.environ.get("PAGEFIND_BINARY_PATH")
    if override is not None:
        path = Path(override)
        return path if path.is_file() and os.access(path, os.X_OK) else None
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
    """Pagefind indexing the staging folder in the background, while feeds are rendered.

    start() runs once every HTML page is written; finish() waits for it (raising a
    BuildError if it failed); stop() ends it early when the build fails.
    """

    def __init__(self, binary: Path, language: str):
        self.binary = binary
        self.language = language.split("-")[0] or "en"
        self.process: subprocess.Popen[str] | None = None

    def start(self, folder: Path) -> None:
        command = [
            str(self.binary),
            "--site",
            str(folder),
            "--output-subdir",
            SEARCH_FOLDER,
            "--glob",
            INDEXED_PAGES,
            "--force-language",
            self.language,
            "--silent",
        ]
        try:
            self.process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        except OSError as err:
            raise BuildError(
                [
                    Problem(
                        "search",
                        None,
                        f"Pagefind could not run: {err}",
                        "reinstall it with pip install 'pagefind[bin]', or set search: false",
                    )
                ]
            ) from None

    def finish(self) -> None:
        if self.process is None:
            return
        try:
            output, _ = self.process.communicate(timeout=INDEX_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.stop()
            output = f"no result after {INDEX_TIMEOUT_S} s"
        if self.process.returncode != 0:
            detail = (output or "").strip().splitlines()[-5:]
            raise BuildError(
                [
                    Problem(
                        "search",
                        None,
                        "Pagefind failed to index the site: " + " | ".join(detail),
                        "set search: false in briefing.yaml to build without search",
                    )
                ]
            )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
