"""Make Pagefind's filter indexes the same bytes on every run.

Pagefind (1.5) writes each filter's values, and the list of filters in its metadata
file, in the order of a Rust hash map, which changes from run to run ("TODO: Change
filter indexes to BTree to give them a stable hash", pagefind/src/index/mod.rs). The
same pages then give a different index, and a rebuild differs from a clean build. After
Pagefind has written an index, this rewrites those files sorted, names them by their
new contents, as Pagefind does, and points the metadata and entry file at them.

The files are gzip'd CBOR after a "pagefind_dcd" signature: a filter file is
[filter, [[value, [page, ...]], ...]]; the metadata is [version, pages, index chunks,
[[filter, file hash], ...], sorts].
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import cbor2

SIGNATURE = b"pagefind_dcd"
ENTRY_FILE = "pagefind-entry.json"


def _read(path: Path) -> Any:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(SIGNATURE):
        raise ValueError(f"{path.name} is not a Pagefind index file")
    return cbor2.loads(data[len(SIGNATURE) :])


def _encode(value: Any) -> bytes:
    return gzip.compress(SIGNATURE + cbor2.dumps(value), mtime=0)


def _name(language: str, value: Any, length: int) -> str:
    return f"{language}_{hashlib.sha256(cbor2.dumps(value)).hexdigest()[:length]}"


def stable_filters(index: Path) -> None:
    """Rewrite the filter indexes of the Pagefind index in folder index in sorted order."""
    entry_path = index / ENTRY_FILE
    if not entry_path.is_file():
        return
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for language, about in entry.get("languages", {}).items():
        meta_path = index / f"pagefind.{about['hash']}.pf_meta"
        meta = _read(meta_path)
        if not meta[3]:
            continue  # no filters: nothing in hash-map order
        filters = []
        for name, old in sorted(meta[3]):
            old_path = index / "filter" / f"{old}.pf_filter"
            filter_name, values = _read(old_path)
            sorted_values = sorted([value, sorted(pages)] for value, pages in values)
            content = [filter_name, sorted_values]
            new = _name(language, content, 10)
            old_path.unlink()
            (index / "filter" / f"{new}.pf_filter").write_bytes(_encode(content))
            filters.append([name, new])
        meta[3] = filters
        meta_path.unlink()
        about["hash"] = _name(language, meta, 10)
        (index / f"pagefind.{about['hash']}.pf_meta").write_bytes(_encode(meta))
    entry_path.write_text(
        json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
