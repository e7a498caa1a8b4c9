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


def index_site(folder: Path, binary: Path, language: str) -> None:
    """Index the finished site in folder into folder/pagefind/."""
    command = [
        str(binary),
        "--site",
        str(folder),
        "--output-subdir",
        SEARCH_FOLDER,
        "--glob",
        INDEXED_PAGES,
        "--force-language",
        language.split("-")[0] or "en",
        "--silent",
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=INDEX_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
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
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
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
