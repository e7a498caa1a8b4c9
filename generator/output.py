"""The only writer: build the whole site in a temporary folder, then swap it in."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from .models import BuildError, Problem

INPUT_FOLDERS = ("seeds", "content", "themes", "generator", "tests", ".git")


def check_output_dir(out: Path, root: Path) -> None:
    """Refuse an output folder whose replacement would destroy the project or its inputs."""
    out, root = out.resolve(), root.resolve()
    reason = None
    if out == root:
        reason = "is the project folder itself"
    elif out in root.parents:
        reason = "contains the project folder"
    elif out == Path(out.anchor):
        reason = "is a filesystem root"
    else:
        for name in INPUT_FOLDERS:
            folder = root / name
            if out == folder or folder in out.parents or out in folder.parents:
                reason = f"overlaps the input folder {name}/"
                break
    if reason:
        raise BuildError(
            [
                Problem(
                    str(out),
                    None,
                    f"refusing to use this output folder: it {reason}",
                    "choose a folder of its own, such as output/",
                )
            ]
        )
    if out.exists() and not out.is_dir():
        raise BuildError([Problem(str(out), None, "output path exists and is not a folder")])


def safe_relative(path: str) -> PurePosixPath:
    """An output path as a relative path that cannot leave the output folder."""
    pure = PurePosixPath(path)
    if (
        not path
        or pure.is_absolute()
        or any(part in ("", ".", "..") for part in pure.parts)
        or "\x00" in path
        or "\\" in path
    ):
        raise ValueError(f"unsafe output path {path!r}")
    return pure


def _copy_tree(src: Path, dest: Path) -> None:
    for path in sorted(src.rglob("*")):
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(src).parts):
            target = dest / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def write_site(
    files: dict[str, bytes],
    static_dirs: list[Path],
    out: Path,
    finish: Callable[[Path], None] | None = None,
) -> int:
    """Write files and static assets to out atomically; return the number of files written.

    static_dirs are copied lowest priority first (the default theme, then the site theme),
    each into static/. finish(staging), if given, runs on the complete staging folder
    before the swap (the search index). The previous output survives any failure,
    including Ctrl-C.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for static in static_dirs:
            if static.is_dir():
                _copy_tree(static, staging / "static")
        made: set[Path] = set()
        for path in sorted(files):
            target = staging.joinpath(*safe_relative(path).parts)
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_bytes(files[path])
        if finish:
            finish(staging)
        count = sum(1 for p in staging.rglob("*") if p.is_file())
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def _swap(staging: Path, out: Path) -> None:
    """Put staging in out's place; the old tree is renamed aside first, then deleted."""
    staging.chmod(0o755)
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    os.replace(out, retired)
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(retired, out)
        raise
    shutil.rmtree(retired, ignore_errors=True)
