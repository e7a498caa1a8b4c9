"""The command line: parse arguments, build, report problems; exit 0, 1 or 2."""

from __future__ import annotations

import argparse
import shutil
import sys
import traceback
from pathlib import Path

from . import __version__, build
from .models import BuildError

EXIT_OK, EXIT_CONTENT_ERROR, EXIT_USAGE = 0, 1, 2
REPORT_URL = "the project's issue tracker"

DESCRIPTION = """\
Build a static briefing site from source articles (seeds/) and topic pages (content/).
The site is written to output/ (or --output); the previous site is replaced only when
the new one is complete, so a failed build leaves it untouched."""

EPILOG = """\
exit status: 0 built, 1 content errors (each listed with file:line and a fix), 2 usage error.
View the result with:  python -m http.server -d output"""


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefing",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="project folder holding seeds/, content/, themes/ (default: .)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="DIR",
        help="where to write the site (default: ROOT/output)",
    )
    parser.add_argument(
        "--clean",
        action="store_true",
        help="first remove leftovers of interrupted builds beside the output folder",
    )
    parser.add_argument("--drafts", action="store_true", help="include pages marked 'draft: true'")
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="absolute URL the site will be served from (overrides 'url' in "
        "briefing.yaml); used for canonical links",
    )
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    verbosity.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print each stage, and tracebacks of internal errors",
    )
    parser.add_argument("--version", action="version", version=f"briefing {__version__}")
    return parser


def _remove_leftovers(out: Path) -> int:
    removed = 0
    for pattern in (f".{out.name}.tmp-*", f".{out.name}.old-*"):
        for path in out.parent.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    if not root.is_dir():
        parser.error(f"--root {args.root} is not a folder")
    if args.base_url and not args.base_url.startswith(("http://", "https://")):
        parser.error("--base-url must start with http:// or https://")
    out = (args.output or root / "output").resolve()
    if args.clean:
        removed = _remove_leftovers(out)
        if args.verbose:
            print(f"removed {removed} leftover folder(s)")
    try:
        result = build(root, out, drafts=args.drafts, base_url=args.base_url)
    except BuildError as err:
        errors = [p for p in err.problems if p.level == "error"]
        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f"build failed: {len(errors)} error(s); {out} was left as it was", file=sys.stderr)
        return EXIT_CONTENT_ERROR
    except KeyboardInterrupt:
        print("interrupted; the previous output was left as it was", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - last resort: a short message instead of a traceback
        print(f"internal error: {type(err).__name__}: {err}", file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        else:
            print(
                f"run again with -v for the traceback, and please report it to {REPORT_URL}",
                file=sys.stderr,
            )
        return EXIT_CONTENT_ERROR
    if not args.quiet:
        for warning in result.warnings:
            print(warning, file=sys.stderr)
        site = result.site
        print(
            f"built {len(site.topics)} topics, {len(site.sources)} sources, "
            f"{len(site.tags)} tags: {result.files_written} files written to {out} "
            f"in {result.seconds:.2f} s"
        )
    return EXIT_OK
