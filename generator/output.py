"""The only writer: build the whole site in a temporary folder, then swap it in."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from .models import BuildError, Problem
from .timings import stage

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


def _copy_tree(src: Path, dest: Path) -> dict[Path, int]:
    """Copy the files under src (but hidden ones) to dest; their new paths and sizes."""
    copied = {}
    for path in sorted(src.rglob("*")):
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(src).parts):
            target = dest / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            copied[target] = path.stat().st_size
    return copied


class StagingFolder:
    """A fresh folder beside the output, written file by file and swapped in by commit().

    Pages are written as they are rendered, so the site never sits whole in memory; the
    output folder itself is only touched by the swap.
    """

    def __init__(self, out: Path, static_dirs: list[Path]):
        with stage("create the staging folder"):
            self._create(out, static_dirs)

    def _create(self, out: Path, static_dirs: list[Path]) -> None:
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-", dir=self.out.parent))
        self._made: set[Path] = set()
        self._written: set[str] = set()
        # Every file of the new site and its size, kept as it is written (the cache records
        # them; walking the finished tree again cost a quarter of a second on 3,000 files).
        self.sizes: dict[str, int] = {}
        # static_dirs go lowest priority first: the default theme, then the site's theme.
        for static in static_dirs:
            if static.is_dir():
                copied = _copy_tree(static, self.path / "static")
                self.sizes.update(
                    (p.relative_to(self.path).as_posix(), size) for p, size in copied.items()
                )

    def write(self, path: str, data: bytes) -> None:
        if path in self._written:
            raise BuildError(
                [
                    Problem(
                        path,
                        None,
                        "two pages of the site want this output path",
                        "rename one of them (slug, tag or file name)",
                    )
                ]
            )
        self._written.add(path)
        target = self.path.joinpath(*safe_relative(path).parts)
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        target.write_bytes(data)
        self.sizes[path] = len(data)

    def adopt(self, paths: list[str]) -> None:
        """Record files that worker processes wrote with their copy of write()."""
        for path in paths:
            if path in self._written:
                raise BuildError(
                    [Problem(path, None, "two pages of the site want this output path")]
                )
            self._written.add(path)
            self.sizes[path] = self.path.joinpath(*safe_relative(path).parts).stat().st_size

    def reuse(self, path: str, previous: Path, size: int) -> None:
        """Put a file of the previous output (of the given size), unchanged, at path (a hard
        link if possible)."""
        if path in self._written:
            raise BuildError([Problem(path, None, "two pages of the site want this output path")])
        self._written.add(path)
        target = self.path.joinpath(*safe_relative(path).parts)
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        try:
            os.link(previous, target)
        except OSError:
            shutil.copyfile(previous, target)
        self.sizes[path] = size

    def commit(
        self, finish: Callable[[Path], None] | None = None, finished: list[str] | None = None
    ) -> int:
        """Run finish(folder) (the search index, written into the subfolders finished), swap
        the folder in; return its file count."""
        if finish:
            finish(self.path)
            for folder in finished or []:
                for path in (self.path / folder).rglob("*"):
                    if path.is_file():
                        self.sizes[path.relative_to(self.path).as_posix()] = path.stat().st_size
        with stage("swap the new site in"):
            _swap(self.path, self.out)
        return len(self.sizes)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


@contextmanager
def staged_output(out: Path, static_dirs: list[Path]) -> Iterator[StagingFolder]:
    """A StagingFolder that is removed, leaving the output as it was, on any error or Ctrl-C."""
    staging = StagingFolder(out, static_dirs)
    try:
        yield staging
    except BaseException:
        staging.discard()
        raise


def write_site(
    files: dict[str, bytes],
    static_dirs: list[Path],
    out: Path,
    finish: Callable[[Path], None] | None = None,
) -> int:
    """Write files (and static assets) to out atomically; return the number of files."""
    with staged_output(out, static_dirs) as staging:
        for path in sorted(files):
            staging.write(path, files[path])
        return staging.commit(finish)


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
