"""Reading input files safely: size, encoding and YAML problems become located Problems."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from .models import BuildError, Problem

DEFAULT_MAX_BYTES = 60_000_000


# What a build reads, in the project folder.
INPUT_PARTS = ("seeds", "content", "themes", "briefing.yaml")


def links_out_of_project(root: Path) -> list[Problem]:
    """Every input that is a symbolic link to something outside the project (the link
    itself, or a folder above it): a briefing cloned from someone else must never read,
    let alone publish, a file of the machine that builds it. Links inside are fine."""
    top = os.path.realpath(root)
    problems = []
    for name in INPUT_PARTS:
        for path, rel in _links_under(os.path.join(top, name), name):
            target = os.path.realpath(path)
            if target != top and not target.startswith(top + os.sep):
                problems.append(_outside(root, rel, target))
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.message))


def _links_under(path: str, rel: str) -> list[tuple[str, str]]:
    """The symbolic links at or below path, which are not followed: (path, relative)."""
    if os.path.islink(path):
        return [(path, rel)]
    found, pending = [], [(path, rel)] if os.path.isdir(path) else []
    while pending:
        folder, below = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_symlink():
                    found.append((entry.path, f"{below}/{entry.name}"))
                elif entry.is_dir():
                    pending.append((entry.path, f"{below}/{entry.name}"))
    return found


def _outside(root: Path, rel: str, target: str) -> Problem:
    """The problem of a link out of the project; a seed file's is located at its entry."""
    message = f"{rel} is a link to {target}, outside the project"
    hint = "copy the file into the project instead of linking to it"
    name = rel.removeprefix("seeds/")
    entry = _entry_line(root / "seeds" / "sources.yaml", name) if rel.startswith("seeds/") else None
    if entry:
        return Problem("seeds/sources.yaml", entry, message, hint)
    return Problem(rel, None, message, hint)


def _entry_line(sources: Path, name: str) -> int | None:
    """The line of sources.yaml that names a seed file, if one does (read as plain text:
    this runs before anything is parsed)."""
    if "/" in name or sources.is_symlink() or not sources.is_file():
        return None
    with open(sources, "rb") as handle:
        lines = handle.read().decode("utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        words = line.strip().lstrip("- ").split(":", 1)
        if len(words) == 2 and words[0].strip() == "file" and words[1].strip(" '\"") == name:
            return number
    return None


def read_bytes(path: Path | str, rel: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a file, refusing ones too large to be a sane input (one open, its size from
    the open file: a rebuild reads every seed file)."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size <= max_bytes:
                return handle.read()
    except OSError as err:
        raise BuildError(
            [
                Problem(
                    rel,
                    None,
                    f"cannot read the file: {err.strerror or err}",
                    "check that it exists and is readable",
                )
            ]
        ) from None
    raise BuildError(
        [
            Problem(
                rel,
                None,
                f"file is {size:,} bytes, over the limit of {max_bytes:,}",
                "split it, or raise max_file_bytes in briefing.yaml",
            )
        ]
    )


def decode_text(data: bytes, rel: str) -> str:
    """Decode UTF-8 (a BOM is allowed) or say exactly where it is not."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise BuildError(
            [
                Problem(
                    rel,
                    line,
                    f"not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start})",
                    "save the file as UTF-8",
                )
            ]
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise BuildError(
            [
                Problem(
                    rel,
                    text.count("\n", 0, nul) + 1,
                    f"contains a NUL byte (character offset {nul})",
                    "this is a binary file or a corrupted text file; remove the NUL bytes",
                )
            ]
        )
    if "\r" not in text:  # the usual case: one scan instead of two copies
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path, rel: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    return decode_text(read_bytes(path, rel, max_bytes), rel)


class LineDict(dict[str, Any]):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


# libyaml's C parser is ~30x faster than the pure-Python one and gives the same marks.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):  # type: ignore[valid-type, misc]
    """A safe loader that records line numbers and refuses duplicate keys."""

    first_line = 1
    duplicate_keys: list[tuple[str, int]]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + loader.first_line
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key_line = key_node.start_mark.line + loader.first_line
        if not isinstance(key, str):
            key = str(key)
        if key in result.key_lines:
            loader.duplicate_keys.append((key, key_line))
        result.key_lines[key] = key_line
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def parse_yaml(text: str, rel: str, first_line: int = 1) -> Any:
    """Parse YAML into plain values (mappings as LineDict); errors name file and line."""
    loader = _LineLoader(text)
    loader.first_line = first_line
    loader.duplicate_keys = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + first_line if mark else None
        what = err.problem or "invalid YAML"
        raise BuildError(
            [
                Problem(
                    rel,
                    line,
                    f"malformed YAML: {what}",
                    "check indentation, and quote values that contain ': ' or start with a symbol",
                )
            ]
        ) from None
    except yaml.YAMLError as err:
        raise BuildError([Problem(rel, first_line, f"malformed YAML: {err}")]) from None
    finally:
        loader.dispose()
    if loader.duplicate_keys:
        raise BuildError(
            [
                Problem(rel, line, f"key {key!r} appears twice", "keep one of them")
                for key, line in loader.duplicate_keys
            ]
        )
    return data
