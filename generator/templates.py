"""The Jinja environment: autoescaping, StrictUndefined, theme override, relative URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from .models import BuildError, Problem
from .urls import relative_url

DEFAULT_THEME = "default"


def theme_dirs(root: Path, theme: str) -> list[Path]:
    """The site's theme first, then the default theme it may override."""
    names = [theme] if theme == DEFAULT_THEME else [theme, DEFAULT_THEME]
    dirs = [root / "themes" / name for name in names]
    missing = [d for d in dirs if not d.is_dir()]
    if missing:
        raise BuildError(
            [
                Problem(
                    "briefing.yaml",
                    None,
                    f"theme folder {missing[0].relative_to(root).as_posix()} does not exist",
                    "set 'theme:' to a folder name under themes/",
                )
            ]
        )
    return dirs


def theme_static(dirs: list[Path]) -> dict[str, bytes]:
    """The themes' static files (but hidden ones) by output path: the site's theme's files
    override the default theme's."""
    found: dict[str, bytes] = {}
    for theme in reversed(dirs):
        folder = theme / "static"
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and not any(p.startswith(".") for p in relative.parts):
                found[f"static/{relative.as_posix()}"] = path.read_bytes()
    return found


@pass_context
def _url(context: Context, target: str) -> str:
    """Relative link from the page being rendered to another output path.

    A page served at unknown depth (404.html) sets root_prefix instead, the site's path on
    its host, and gets root-relative links.
    """
    prefix = context.get("root_prefix")
    if prefix:
        return prefix + (target[: -len("index.html")] if target.endswith("index.html") else target)
    return relative_url(context["page_path"], target)


def make_environment(dirs: list[Path], compiled: Path | None = None) -> Environment:
    """The theme's templates; compiled templates are kept in the folder compiled, if given
    (Jinja checks each against its source: compiling them took a tenth of a second a build).
    An environment serves one build, whose templates do not change under it: Jinja need not
    look at their files again on every page."""
    env = Environment(
        auto_reload=False,
        loader=FileSystemLoader([str(d / "templates") for d in dirs]),
        bytecode_cache=(
            FileSystemBytecodeCache(str(compiled), "template-%s.cache") if compiled else None
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["url"] = _url
    return env


def render(env: Environment, template: str, page_path: str, **context: Any) -> str:
    """Render a template; a broken theme template is reported with its file and line."""
    try:
        return env.get_template(template).render(page_path=page_path, **context)
    except TemplateSyntaxError as err:
        where = err.filename or err.name or template
        raise BuildError(
            [Problem(_theme_relative(where), err.lineno, f"template error: {err.message}")]
        ) from None
    except TemplateNotFound as err:
        raise BuildError(
            [
                Problem(
                    f"themes/*/templates/{err.name}",
                    None,
                    "template not found",
                    "copy it from themes/default/templates/ into your theme",
                )
            ]
        ) from None
    except UndefinedError as err:
        raise BuildError(
            [
                Problem(
                    f"templates/{template}",
                    None,
                    f"template error: {err.message}",
                    "check the variable names the template uses",
                )
            ]
        ) from None


def _theme_relative(filename: str) -> str:
    parts = Path(filename).parts
    return "/".join(parts[parts.index("themes") :]) if "themes" in parts else filename
