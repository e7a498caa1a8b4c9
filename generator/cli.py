"""The command line: parse arguments, build, report problems; exit 0, 1 or 2."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

from . import BuildResult, __version__, build
from .cache import CACHE_DIR
from .cache import clear as clear_cache
from .config import SETTINGS_FILE
from .extract import HTML_SUFFIXES, extract_html, extract_text, extraction_json
from .inputs import decode_text, read_bytes
from .lock import DEFAULT_WAIT_S, BuildLock
from .models import BuildError, Problem
from .output import check_output_dir, remove_leftovers
from .progress import ProgressLine

EXIT_OK, EXIT_CONTENT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
REPORT_URL = "the project's issue tracker"

DESCRIPTION = """\
Build a static briefing site from source articles (seeds/) and topic pages (content/).
The site is written to output/ (or --output); the previous site is replaced only when
the new one is complete, so a failed build leaves it untouched."""

EPILOG = """\
commands:
  build (default)   build the site once
  serve             build, serve on localhost, rebuild and reload the page on every change
                    (python build.py serve --port 8000)
  extract FILE      print what Briefing extracts from one .html/.txt/.md file, as JSON
  add FILE...       copy saved pages or text files into seeds/ and describe each in
                    seeds/sources.yaml (python build.py add page.html --dry-run)
  check             the editor's report, without building: facts with no citation, claims
                    resting on one source or on opinion only, opinion stated as fact, sources
                    cited out of date order, uncited or undescribed sources, a kind its own
                    note contradicts, repeated citations, topics drawn mostly from one
                    source; each with file:line, most serious first (--report: the same
                    after a build; it is printed, never published)

exit status: 0 built, 1 content errors (each listed with file:line and a fix), 2 usage error;
  check and --report: 0 with warnings, 1 with errors (with --strict, warnings too).
View a built site with:  python -m http.server -d output"""


def add_build_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """The options every command shares; on a subcommand, unset ones keep the main defaults."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "--root",
        type=Path,
        default=default(Path(".")),
        metavar="DIR",
        help="project folder holding seeds/, content/, themes/ (default: .)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=default(None),
        metavar="DIR",
        help="where to write the site (default: ROOT/output)",
    )
    parser.add_argument(
        "--clean",
        action="store_true",
        default=default(False),
        help="rebuild everything: delete the build cache (.briefing-cache/) and leftovers of "
        "interrupted builds first",
    )
    parser.add_argument(
        "--drafts",
        action="store_true",
        default=default(False),
        help="include pages marked 'draft: true'",
    )
    parser.add_argument(
        "--base-url",
        default=default(None),
        metavar="URL",
        help="absolute URL the site will be served from (overrides 'url' in briefing.yaml); "
        "needed for feeds, sitemap.xml and canonical links",
    )
    parser.add_argument(
        "--no-search",
        action="store_true",
        default=default(False),
        help="leave out the search index and search page (as 'search: false' does): a "
        "quicker preview while writing; the published build should have them",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=default(None),
        metavar="N",
        help="processes that clean sources and render their pages: this one and N - 1 "
        "forked workers (default: one per core; 1: no workers)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=default(DEFAULT_WAIT_S),
        metavar="SECONDS",
        help="how long to wait for another build of the same project (another terminal, "
        f"a preview server rebuilding) before giving up (default: {DEFAULT_WAIT_S:g})",
    )
    parser.add_argument(
        "--timings",
        action="store_true",
        default=default(False),
        help="print the wall time of each build stage (to find what makes a build slow)",
    )
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-q", "--quiet", action="store_true", default=default(False), help="print errors only"
    )
    verbosity.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default(False),
        help="print tracebacks of internal errors",
    )


def add_report_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """--report and --strict (the build command's; check has --strict of its own)."""
    parser.add_argument(
        "--report",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="after building, print the editor's report (see 'check'); not published",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="with --report: exit 1 if the report has warnings",
    )


def _add_check_command(commands: Any) -> None:
    """The check subcommand: the editor's report without a build."""
    check = commands.add_parser(
        "check",
        help="print the editor's report on the briefing, without building",
        description="Load and check the site as a build does, writing nothing, and print "
        "the editor's report: each entry with file:line, its level (error, warning, info) "
        "and one line saying why, most serious first. Errors are the build's own.",
    )
    check.add_argument(
        "--root", type=Path, default=argparse.SUPPRESS, metavar="DIR", help="project folder"
    )
    check.add_argument(
        "--drafts", action="store_true", default=argparse.SUPPRESS, help="include drafts"
    )
    check.add_argument(
        "--strict", action="store_true", default=argparse.SUPPRESS, help="exit 1 on warnings too"
    )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefing",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_build_options(parser)
    parser.add_argument("--version", action="version", version=f"briefing {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    build_command = commands.add_parser("build", help="build the site once (the default)")
    add_build_options(build_command, suppress=True)
    add_report_options(parser)
    add_report_options(build_command, suppress=True)
    _add_check_command(commands)
    serve_command = commands.add_parser(
        "serve",
        help="build, serve on localhost, rebuild on changes",
        description="Build the site, serve it on localhost, rebuild when seeds/, content/, "
        "themes/ or briefing.yaml change, and reload open pages. A failed rebuild prints "
        "its errors and keeps serving the last good site. Ctrl-C stops.",
    )
    add_build_options(serve_command, suppress=True)
    extract_command = commands.add_parser(
        "extract",
        help="print what Briefing extracts from one source file, as JSON",
        description="Print the title, author, date, outlet, url, language and articleBody "
        "that Briefing extracts from a saved web page (.html, .htm) or cleans from a text "
        "file (.txt, .md), as JSON.",
    )
    extract_command.add_argument("file", type=Path, help="the file to extract")
    _add_add_command(commands)
    serve_command.add_argument(
        "-p",
        "--port",
        type=int,
        default=8000,
        help="port to listen on (default: 8000; 0 picks a free one)",
    )
    serve_command.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)"
    )
    return parser


def print_problems(problems: Iterable[Problem]) -> None:
    """The one place problems reach the terminal: each with file:line and its hint."""
    for problem in problems:
        print(problem, file=sys.stderr)


def print_timings(stages: Iterable[tuple[str, float]]) -> None:
    """--timings: one line per stage, in the order the stages ended (nested ones first)."""
    for name, seconds in stages:
        print(f"{seconds:8.3f} s  {name}", file=sys.stderr)


def _clean(root: Path, out: Path, wait: float) -> int:
    """--clean: the cache and what builds left beside the output go (once no other build
    of the project runs); how many leftover folders there were."""
    lock = BuildLock(root / CACHE_DIR, wait)
    lock.acquire(_say)
    try:
        removed = remove_leftovers(out, spare=True)
        clear_cache(root)
    finally:
        lock.release()
    return removed


def run() -> NoReturn:
    """The command's entry point: main(), then the process ends at once. A build leaves
    millions of objects behind, and freeing them one by one when Python shuts down took
    0.9 s at 10,000 sources, after the site was written. By then every file is closed and
    every worker and Pagefind has ended; the output streams are flushed here."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said anyway
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    # The libraries' own log lines (readability-lxml logs a traceback for a page it cannot
    # parse, bs4 a warning for undecodable bytes) are not for the writer: what went wrong
    # with an input is reported here, by file and with a hint. A handler on the root
    # logger keeps Python from printing them to stderr.
    logging.getLogger().addHandler(logging.NullHandler())
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command == "extract":
        return _extract(args.file, parser)
    if args.command == "add":
        return _add(args, parser)
    if args.command == "check":
        return _check(args.root, args.drafts, args.strict, None, parser)
    if args.wait < 0:
        parser.error("--wait must be 0 or more")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be 1 or more")
    if args.command == "serve" and not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    root: Path = args.root.resolve()
    if not root.is_dir():
        parser.error(f"--root {args.root} is not a folder")
    if args.base_url and not args.base_url.startswith(("http://", "https://")):
        parser.error("--base-url must start with http:// or https://")
    out = (args.output or root / "output").resolve()
    try:
        check_output_dir(out, root)
    except BuildError as err:
        print_problems(err.problems)
        return EXIT_CONTENT_ERROR
    if args.clean:
        try:
            removed = _clean(root, out, args.wait)
        except BuildError as err:
            print_problems(err.problems)
            return EXIT_CONTENT_ERROR
        if args.verbose:
            print(f"removed the build cache and {removed} leftover folder(s)")

    if args.command != "serve":
        try:
            built = _build_and_report(out, args, lambda: build(root, out, **_options(args)))
            if built and args.report:
                return _check(root, args.drafts, args.strict, args.jobs, parser)
            return EXIT_OK if built else EXIT_CONTENT_ERROR
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
    return _serve(root, out, args)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """build()'s options from the command line."""
    return {
        "drafts": args.drafts,
        "base_url": args.base_url,
        "jobs": args.jobs,
        "search": not args.no_search,
        "wait": args.wait,
        "waiting": _say,
    }


def _say(message: str) -> None:
    """A message about the build's progress, on standard error."""
    print(message, file=sys.stderr, flush=True)


def _serve(root: Path, out: Path, args: argparse.Namespace) -> int:
    """Serve the site and rebuild it on every change; the site's address, unless one is
    set, is the preview's own."""
    from . import BuildOptions
    from .live import LiveSite  # threads and the preview server: only for this command
    from .parallel import default_jobs
    from .serve import serve

    live: LiveSite | None = None
    said = False

    def preview_build(address: str, changed: list[str]) -> bool:
        nonlocal live, said
        if live is None:
            jobs = args.jobs or default_jobs()
            options = BuildOptions(args.drafts, args.base_url, address, not args.no_search, jobs)
            lock = BuildLock(root / CACHE_DIR, args.wait)
            live = LiveSite(root, out, options, report=print_problems, lock=lock)
        built = _build_and_report(out, args, partial(live.rebuild, _say), changed)
        if built and built.url == address and not (said or args.quiet):
            said = True
            print(
                f"no 'url:' in {SETTINGS_FILE}: the preview uses its own address, {address}, "
                "as the site's URL (in feeds, sitemap.xml and canonical links)",
                flush=True,
            )
        return built is not None

    watched = [root / name for name in ("seeds", "content", "themes", SETTINGS_FILE)]
    try:
        serve(out, watched, preview_build, host=args.host, port=args.port)
    except OSError as err:
        print(f"cannot serve on {args.host}:{args.port}: {err.strerror or err}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if live:
            live.close()
    return EXIT_OK


def _check(
    root: Path, drafts: bool, strict: bool, jobs: int | None, parser: argparse.ArgumentParser
) -> int:
    """briefing check (and --report): the editor's report on standard output."""
    from .report import editors_report

    if not root.is_dir():
        parser.error(f"--root {root} is not a folder")
    try:
        report = editors_report(root, drafts=drafts, jobs=jobs)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OSError as err:  # a file that cannot be read
        where = f" ({err.filename})" if err.filename else ""
        print(f"error: could not read the project: {err.strerror or err}{where}", file=sys.stderr)
        return EXIT_CONTENT_ERROR
    except Exception as err:  # noqa: BLE001 - last resort: a short message instead of a traceback
        print(f"internal error: {type(err).__name__}: {err}", file=sys.stderr)
        print(f"please report it to {REPORT_URL}", file=sys.stderr)
        return EXIT_CONTENT_ERROR
    print("\n".join(report.lines()), flush=True)
    return EXIT_CONTENT_ERROR if report.failed(strict) else EXIT_OK


def _extract(path: Path, parser: argparse.ArgumentParser) -> int:
    """briefing extract FILE: the extraction as JSON on standard output."""
    if not path.is_file():
        parser.error(f"{path} is not a file")
    try:
        data = read_bytes(path, str(path))
        if path.suffix.lower() in HTML_SUFFIXES:
            extraction = extract_html(data)
        else:
            text = decode_text(data, str(path))
            extraction = extract_text(text, markdown=True if path.suffix == ".md" else None)
    except BuildError as err:
        print_problems(err.problems)
        return EXIT_CONTENT_ERROR
    print(extraction_json(extraction))
    return EXIT_OK


def _build_and_report(
    out: Path,
    args: argparse.Namespace,
    run: Callable[[], BuildResult],
    changed: list[str] | None = None,
) -> BuildResult | None:
    """Build once with run() and print the outcome (one line for a rebuild that follows
    changed files); the result, None on failure."""
    shown = sys.stderr.isatty() and not args.quiet and not args.timings
    try:
        with ProgressLine() if shown else nullcontext():
            result = run()
    except BuildError as err:
        errors = [p for p in err.problems if p.level == "error"]
        print_problems(err.problems)
        print(f"build failed: {len(errors)} error(s); {out} was left as it was", file=sys.stderr)
        return None
    except KeyboardInterrupt:
        print("interrupted; the previous output was left as it was", file=sys.stderr)
        raise
    except OSError as err:  # the disk, not the input: full, read-only, permissions
        where = f" ({err.filename})" if err.filename else ""
        print(f"error: could not write the site: {err.strerror or err}{where}", file=sys.stderr)
        print(f"build failed; {out} was left as it was", file=sys.stderr)
        return None
    except Exception as err:  # noqa: BLE001 - last resort: a short message instead of a traceback
        print(f"internal error: {type(err).__name__}: {err}", file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        else:
            print(
                f"run again with -v for the traceback, and please report it to {REPORT_URL}",
                file=sys.stderr,
            )
        return None
    if args.timings:
        print_timings(result.stages)
    if args.verbose:
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
    if not args.quiet:
        print_problems(result.warnings)
        if result.skipped:
            print(
                f"nothing changed since the last build: {out} is up to date "
                f"({result.topics} topics, {result.sources} sources; {result.seconds:.2f} s)",
                flush=True,
            )
        elif changed:
            print(f"{', '.join(changed)} changed: rebuilt in {result.seconds:.2f} s", flush=True)
        else:
            print(
                f"built {result.topics} topics, {result.sources} sources, "
                f"{result.tags} tags: {result.files_written} files written to {out} "
                f"in {result.seconds:.2f} s",
                flush=True,
            )
    return result


ADD_DESCRIPTION = """\
Copy saved web pages (.html, .htm) and text files (.txt, .md) into seeds/, each byte for
byte as NNN_HASH.EXT (the next free number, the first 16 hex digits of the file's SHA-256),
and append an entry for each to the end of seeds/sources.yaml, leaving every line already
there as it was. The entry holds what extraction finds (title, author, date and its
precision, outlet, url, language), a suggested kind and tags, retrieved, and a note saying
where each value came from; what is not found is null. Check the entry, then build.

A file already in the site (the same bytes, or the same text once cleaned) is refused, and
so is one nearly the same as a source (the same article saved again) unless --force. On
any refusal nothing is changed."""

ADD_EPILOG = """\
suggestions: kind is news unless the page marks itself opinion, editorial, analysis or
review (its JSON-LD type, article:section, or a label line above a text); tags are the
page's own keywords and the site's tags (in sources.yaml and topic pages) found in the
text; retrieved is the date in the page's saved-from comment, never today's date.

exit status: 0 added (or shown, with --dry-run), 1 refused (nothing changed), 2 usage error."""


def _add_add_command(commands: Any) -> None:
    """The add subcommand and its options."""
    from .models import SOURCE_KINDS

    add = commands.add_parser(
        "add",
        help="copy source files into seeds/ and describe each in sources.yaml",
        description=ADD_DESCRIPTION,
        epilog=ADD_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument("files", type=Path, nargs="+", metavar="FILE", help="the files to add")
    add.add_argument(
        "--root",
        type=Path,
        default=argparse.SUPPRESS,
        metavar="DIR",
        help="project folder holding seeds/ (default: .)",
    )
    add.add_argument(
        "--id", dest="source_id", metavar="ID", help="the new source's id (one FILE only)"
    )
    add.add_argument("--kind", choices=SOURCE_KINDS, help="the kind, instead of the suggestion")
    add.add_argument(
        "--tags", help='comma-separated tags, instead of the suggested ones ("" for none)'
    )
    add.add_argument(
        "--retrieved", metavar="DATE", help="when the files were saved: YYYY-MM-DD, YYYY-MM or YYYY"
    )
    add.add_argument("--dry-run", action="store_true", help="print the entries; change nothing")
    add.add_argument("--force", action="store_true", help="add a file nearly the same as a source")


def _add(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """briefing add FILE...: plan every addition, then write it (or, --dry-run, print it)."""
    from .add import AddOptions, add_files, write_plan
    from .sources import _ID_PATTERN, parse_date

    root: Path = args.root.resolve()
    if not root.is_dir():
        parser.error(f"--root {args.root} is not a folder")
    if args.source_id is not None and not _ID_PATTERN.fullmatch(args.source_id):
        parser.error(f"--id {args.source_id!r}: use lowercase letters, digits and hyphens")
    if args.source_id is not None and len(args.files) > 1:
        parser.error("--id names one source: give one FILE with it")
    try:
        retrieved = parse_date(args.retrieved) if args.retrieved is not None else None
    except ValueError as err:
        parser.error(f"--retrieved: {err}")
    tags = (
        None if args.tags is None else tuple(t.strip() for t in args.tags.split(",") if t.strip())
    )
    options = AddOptions(args.source_id, args.kind, tags, retrieved, args.force)
    try:
        plan = add_files(root, args.files, options)
        print_problems(plan.warnings)
        if not args.dry_run:
            write_plan(plan)
    except BuildError as err:
        print_problems(err.problems)
        print("nothing was added; seeds/ and seeds/sources.yaml are as they were", file=sys.stderr)
        return EXIT_CONTENT_ERROR
    except OSError as err:
        where = f" ({err.filename})" if err.filename else ""
        print(f"error: could not write: {err.strerror or err}{where}", file=sys.stderr)
        print("nothing was added; seeds/ and seeds/sources.yaml are as they were", file=sys.stderr)
        return EXIT_CONTENT_ERROR
    for seed in plan.seeds:
        done = "would copy" if args.dry_run else "copied"
        print(f"{done} {seed.label} to seeds/{seed.name} as source {seed.entry['id']!r}")
    if args.dry_run:
        print(f"would append to seeds/sources.yaml:\n{plan.appended}", end="")
    else:
        print("check the suggested values in seeds/sources.yaml, then build")
    return EXIT_OK
