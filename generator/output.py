"""The only writer. Every build makes the whole new site as a folder beside the output and
swaps it in with one rename, once every page, feed and search index is made: a build that
fails, is interrupted or is killed at any moment leaves the output as it was or as the
finished build makes it, never a mix. A first build writes every file; a rebuild starts
its folder from the last build's (files shared by hard links, so kept files cost no
copy) and writes only the files that changed."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

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


_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def _write_file(target: str, data: bytes) -> None:
    """Write a new file with one system call per step (open() adds a buffer, a stat, a
    seek and a terminal check to each of a site's thousands of files)."""
    handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _O_BINARY, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)


def _inside(folder: str, path: str) -> str:
    """folder/path, for an output path that cannot leave the folder (else ValueError).
    String operations: this runs for every file of the site (pathlib's joins were a second
    of a rebuild at 10,000 sources)."""
    if (
        not path
        or path.startswith("/")
        or "\x00" in path
        or "\\" in path
        or any(part in ("", ".", "..") for part in path.split("/"))
    ):
        raise ValueError(f"unsafe output path {path!r}")
    return f"{folder}/{path}"


class StagingFolder:
    """A fresh folder beside the output, written file by file and swapped in by commit().

    Pages are written as they are rendered, so the site never sits whole in memory; the
    output folder itself is only touched by the swap.
    """

    def __init__(self, out: Path):
        with stage("create the staging folder"):
            self._create(out)

    def _create(self, out: Path) -> None:
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-", dir=self.out.parent))
        self._made: set[str] = set()
        self._written: set[str] = set()
        # Every file of the new site and its size, kept as it is written (the cache records
        # them; walking the finished tree again cost a quarter of a second on 3,000 files).
        self.sizes: dict[str, int] = {}
        # After commit(): the paths where the spare (the output before) differs from the
        # new output, or None when the old output was not kept as a spare.
        self.differs: frozenset[str] | None = None

    def _claim(self, path: str) -> None:
        """Each path is written once (checks.check_paths refused the plan otherwise)."""
        if path in self._written:
            raise RuntimeError(f"{path} was written twice")
        self._written.add(path)

    def kept_bytes(self, path: str) -> bytes:
        """The bytes of a file kept from the previous output."""
        with open(_inside(str(self.out), path), "rb") as handle:
            return handle.read()

    def search_site(self, pages: tuple[str, ...], folder: str) -> Path:
        """A folder holding these pages, written, where Pagefind can index them."""
        return self.path

    def _place(self, path: str) -> str:
        """Where path goes in the temporary folder, its folder made (once)."""
        target = _inside(str(self.path), path)
        self._make_folder(target.rpartition("/")[0])
        return target

    def _make_folder(self, folder: str) -> None:
        """Make folder and those above it in the temporary folder, each once (one mkdir
        each, where os.makedirs looks at every folder above it first)."""
        if folder in self._made or folder == str(self.path):
            return
        self._make_folder(folder.rpartition("/")[0])
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not os.path.isdir(folder):
                raise
        self._made.add(folder)

    def write(self, path: str, data: bytes) -> None:
        self._claim(path)
        _write_file(self._place(path), data)
        self.sizes[path] = len(data)

    def adopt(self, written: dict[str, int]) -> None:
        """Record the files (and their sizes) that worker processes wrote with their copy
        of write()."""
        for path, size in written.items():
            self._claim(path)
            self.sizes[path] = size

    def reuse(self, path: str, size: int) -> None:
        """Put the previous output's file at path (of the given size), unchanged (a hard
        link if possible)."""
        previous = _inside(str(self.out), path)
        self._claim(path)
        target = self._place(path)
        try:
            os.link(previous, target)
        except OSError:
            shutil.copyfile(previous, target)
        self.sizes[path] = size

    def commit(
        self,
        finish: Callable[[Path], None] | None = None,
        finished: list[str] | None = None,
        swapping: Callable[[], None] = lambda: None,
    ) -> int:
        """Run finish(folder) (the search index, written into the subfolders finished),
        then swapping() (the output is about to change), and swap the folder in; return
        its file count."""
        if finish:
            finish(self.path)
            self._take_in(finished or [])
        with stage("swap the new site in"):
            swapping()
            _swap(self.path, self.out)
        return len(self.sizes)

    def _take_in(self, folders: list[str]) -> list[str]:
        """Record the files something else wrote into these subfolders; their paths."""
        found = []
        for folder in folders:
            for path in (self.path / folder).rglob("*"):
                if path.is_file():
                    relative = path.relative_to(self.path).as_posix()
                    self.sizes[relative] = path.stat().st_size
                    found.append(relative)
        return found

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class OutputUpdate(StagingFolder):
    """A rebuild: the new site is a whole tree beside the output, as a first build's is,
    but started from the output before last (kept aside as the spare, brought up to date
    with the paths that changed since) or, without a spare, from hard links to the
    output's files. Only the files that differ are written, each as a new file (the tree
    shares the others with the output). commit() exchanges the tree with the output in
    one step, and the old output becomes the next rebuild's spare.

    previous: the last build's files and sizes, as the cache recorded them (a file whose
    size does not match is not trusted and is written again); spare: the paths where the
    spare differs from the output, or None when there is no spare to trust.
    """

    def __init__(self, out: Path, previous: dict[str, int], spare: frozenset[str] | None):
        self.previous = previous
        self._new: set[str] = set()  # files written into the tree, differing from the output
        self._farms: Path | None = None
        super().__init__(out)
        with stage("start the new tree from the last one"):
            try:
                self._start(spare)
            except BaseException:
                self.discard()
                raise

    def _start(self, spare: frozenset[str] | None) -> None:
        if spare is not None and _move_folder(spare_folder(self.out), self.path):
            _match_output(self.path, self.out, spare, self.previous)
        else:
            self.path.mkdir(exist_ok=True)
            shutil.rmtree(spare_folder(self.out), ignore_errors=True)
            _match_output(self.path, self.out, frozenset(self.previous), self.previous, fresh=True)

    def write(self, path: str, data: bytes) -> None:
        target = _inside(str(self.path), path)
        if _holds(target, data):  # the tree has these bytes there already
            self._claim(path)
            self.sizes[path] = len(data)
            if not _same_file(target, _inside(str(self.out), path)):
                self._new.add(path)
            return
        _make_room(str(self.path), target)  # never written in place: the output shares it
        super().write(path, data)
        self._new.add(path)

    def adopt(self, written: dict[str, int]) -> None:
        """Record the files worker processes wrote (or found unchanged) with write()."""
        for path, size in written.items():
            self._claim(path)
            self.sizes[path] = size
            if not _same_file(_inside(str(self.path), path), _inside(str(self.out), path)):
                self._new.add(path)

    def reuse(self, path: str, size: int) -> None:
        """Keep the previous output's file: the tree already shares it."""
        self._claim(path)
        self.sizes[path] = size

    def search_site(self, pages: tuple[str, ...], folder: str) -> Path:
        """Hard links to the pages in a folder of their own for Pagefind (the tree still
        holds pages the site no longer has). The part's old files leave the tree first,
        so that Pagefind writes new files, never into ones the output shares."""
        shutil.rmtree(self.path / folder, ignore_errors=True)
        if self._farms is None:
            self._farms = Path(
                tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-search-", dir=self.out.parent)
            )
        return _link_pages({page: self.path / page for page in pages}, self._farms / folder)

    def commit(
        self,
        finish: Callable[[Path], None] | None = None,
        finished: list[str] | None = None,
        swapping: Callable[[], None] = lambda: None,
    ) -> int:
        if finish:
            finish(self.path)
            self._new.update(self._take_in(finished or []))
        removed = sorted(self.previous.keys() - self.sizes.keys())
        with stage("swap the new site in"):
            _remove_files(self.path, removed)
            self.path.chmod(0o755)
            swapping()
            _exchange(self.path, self.out)
            if _move_folder(self.path, spare_folder(self.out)):
                self.differs = frozenset(self._new).union(removed)
        self.discard()
        return len(self.sizes)

    def discard(self) -> None:
        super().discard()
        if self._farms is not None:
            shutil.rmtree(self._farms, ignore_errors=True)


def spare_folder(out: Path) -> Path:
    """Where the output before last is kept, to start the next rebuild's tree from."""
    return out.parent / f".{out.name}.spare"


def folder_identity(folder: Path) -> list[int] | None:
    """What tells this folder from another one put at the same path (a swap puts another
    folder there): a record of a folder's files is only trusted for the very folder it
    was made of."""
    try:
        found = os.stat(folder)
    except OSError:
        return None
    return [found.st_dev, found.st_ino]


def remove_leftovers(out: Path, spare: bool = False) -> int:
    """Remove the temporary folders of builds that were killed (and, with spare, the
    spare); how many were removed. Call it only while holding the build lock."""
    patterns = [f".{out.name}.tmp-*", f".{out.name}.old-*"]
    if spare:
        patterns.append(spare_folder(out).name)
    removed = 0
    for pattern in patterns:
        for path in out.parent.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def bring_spare_up_to_date(
    out: Path, differs: frozenset[str], files: dict[str, int], stopped: Callable[[], bool]
) -> bool:
    """Make the spare hold what the output (whose files are these) holds at the paths where
    it differs, so that the next rebuild starts from it at once (serve does this after a
    rebuild, in the background); whether it got through before stopped() was true."""
    spare = spare_folder(out)
    return spare.is_dir() and _match_output(spare, out, differs, files, stopped)


def _match_output(
    tree: Path,
    out: Path,
    paths: frozenset[str],
    files: dict[str, int],
    stopped: Callable[[], bool] = lambda: False,
    fresh: bool = False,
) -> bool:
    """Make tree hold, at these paths, the output's file (shared by a hard link, or a copy
    where the file system has none) or nothing, as the output does (files: the output's
    files; fresh: tree is empty); False if stopped first."""
    if stopped():
        return False
    _remove_files(tree, sorted(paths - files.keys()))
    root, made = str(tree), set()
    for path in sorted(paths & files.keys()):  # a folder before what is in it
        if stopped() or not tree.is_dir():
            return False
        target = _inside(root, path)
        if not fresh:
            _make_room(root, target)
        parent = target.rpartition("/")[0]
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        try:
            os.link(_inside(str(out), path), target)
        except FileNotFoundError:
            pass  # gone from the output: the build writes it again if the site has it
        except OSError:
            shutil.copyfile(_inside(str(out), path), target)
    return True


def _holds(target: str, data: bytes) -> bool:
    """Whether the file at target holds exactly data."""
    try:
        if os.stat(target).st_size != len(data):
            return False
        with open(target, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


def _same_file(first: str, second: str) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _make_room(tree: str, target: str) -> None:
    """Make room in tree for a new file at target: a file there is unlinked (never written
    in place: the output may share it), a folder there goes whole, and so does a file
    where one of target's folders must be (a path that was a file in the last site and
    is a folder now, or the other way round)."""
    try:
        os.unlink(target)
    except FileNotFoundError:
        if os.path.isdir(target.rpartition("/")[0]):
            return
    except (IsADirectoryError, PermissionError):  # a folder (EISDIR; EPERM on macOS)
        if not os.path.isdir(target):
            raise
        shutil.rmtree(target)
        return
    except NotADirectoryError:
        pass
    else:
        return
    folder = tree
    for part in target[len(tree) + 1 :].split("/")[:-1]:
        folder = f"{folder}/{part}"
        if not os.path.isdir(folder):
            if os.path.lexists(folder):
                os.unlink(folder)
            return


def _move_folder(source: Path, target: Path) -> bool:
    """Rename source to target (an empty folder, or nothing); whether it was moved."""
    try:
        target.rmdir()  # Windows renames no folder onto another
    except FileNotFoundError:
        pass
    except OSError:
        return False
    try:
        os.replace(source, target)
    except OSError:
        return False
    return True


def _remove_files(tree: Path, paths: list[str]) -> None:
    """Remove these files from tree, and the folders they leave empty."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
            os.unlink(_inside(str(tree), path))
    _prune(tree, paths)


def _prune(tree: Path, paths: list[str]) -> None:
    """Remove the folders of these paths that are empty (and their parents, if empty)."""
    for path in paths:
        folder = (tree / path).parent
        while folder != tree and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


@contextmanager
def scratch_folder(out: Path) -> Iterator[Path]:
    """A temporary folder beside out, removed afterwards (whatever happens)."""
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-index-", dir=out.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def search_farm(out: Path, pages: tuple[str, ...], farm: Path) -> Path:
    """farm, made to hold these pages of out, for the search indexer to read."""
    return _link_pages({page: Path(_inside(str(out), page)) for page in pages}, farm)


def _link_pages(sources: dict[str, Path], farm: Path) -> Path:
    """farm, holding a hard link to each source at its output path (a copy on a file
    system without hard links)."""
    for page, source in sources.items():
        target = farm / page
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    return farm


def install_folder(out: Path, folder: str, made: Path) -> dict[str, int]:
    """Put the files of made (a search index part) into out/folder, the part's entry file
    last, then remove the old part's files: a reader's search finds the old part or the new
    one whole, never a mix, at every moment. Returns the new files and sizes, by path."""
    target = Path(_inside(str(out), folder))
    new = sorted(_files_under(made), key=lambda name: name == "pagefind-entry.json")
    with _signals_held():
        for name in new:
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(made / name, destination)
        for name in sorted(_files_under(target) - set(new)):
            (target / name).unlink()
    return {f"{folder}/{name}": (target / name).stat().st_size for name in new}


def _files_under(folder: Path) -> set[str]:
    """Every file below folder, as a relative path with forward slashes; like os.walk, a
    link to a folder is not followed (nor counted) and an unreadable folder is skipped.

    scandir with the relative path carried along: os.walk and a relpath per folder took
    0.55 s for the 42,000 files of a 10,000-source site, on every rebuild."""
    found: set[str] = set()
    pending = [(str(folder), "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if not entry.is_dir():
                        found.add(prefix + entry.name)
                    elif not entry.is_symlink():
                        pending.append((entry.path, f"{prefix}{entry.name}/"))
        except OSError:
            continue
    return found


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C (and SIGTERM) while the output is being updated: they take effect after."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):  # only the main thread receives them; Windows has no signal masks
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


@contextmanager
def staged_output(
    out: Path, previous: dict[str, int] | None = None, spare: frozenset[str] | None = None
) -> Iterator[StagingFolder]:
    """A StagingFolder (or, with the previous build's files, an OutputUpdate) that is
    removed, leaving the output as it was, on any error or Ctrl-C."""
    staging = OutputUpdate(out, previous, spare) if previous else StagingFolder(out)
    try:
        yield staging
    except BaseException:
        staging.discard()
        raise


def _swap(staging: Path, out: Path) -> None:
    """Put staging in out's place in one step; the old tree is deleted."""
    staging.chmod(0o755)
    if not out.exists():
        os.replace(staging, out)
        return
    _exchange(staging, out)
    shutil.rmtree(staging, ignore_errors=True)


_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _exchange(first: Path, second: Path) -> None:
    """Swap two folders. On Linux in one step (renameat2 with RENAME_EXCHANGE), so that a
    process killed at any moment leaves each path holding one whole folder; elsewhere (or
    on a file system without it) with three renames, which a kill can interrupt."""
    renameat2 = getattr(_libc(), "renameat2", None)  # glibc 2.28 and later
    if renameat2 is not None:
        done = renameat2(
            _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
        )
        if done == 0:
            return
        error = ctypes.get_errno()
        if error not in (errno.ENOSYS, errno.EINVAL):
            raise OSError(error, os.strerror(error), str(second))
    with _signals_held():
        aside = Path(tempfile.mkdtemp(prefix=f".{second.name}.old-", dir=second.parent))
        aside.rmdir()  # a name of its own; Windows renames no folder onto another
        os.replace(second, aside)
        try:
            os.replace(first, second)
        except BaseException:
            os.replace(aside, second)
            raise
        os.replace(aside, first)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except (OSError, TypeError):  # no C library to load by that name (Windows)
        return None
