"""The build plan: given the site before and after an edit, the records a rebuild renders
again are exactly those whose inputs differ."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import load_site
from generator.cache import PreviousBuild, theme_key
from generator.checks import check_site
from generator.models import PartialDate
from generator.plan import Plan, make_plan
from generator.schedule import stale_outputs
from generator.templates import make_environment, theme_dirs

from .conftest import edit


def plan_of(project: Path) -> Plan:
    """The plan of the project as it is now (no cache, a fixed site date)."""
    settings, site = load_site(project, base_url="https://example.org/briefing/")
    checked = check_site(site, settings)
    dirs = theme_dirs(project, settings.theme)
    return make_plan(
        site,
        checked.linked,
        settings,
        make_environment(dirs),
        theme_key=theme_key(dirs),
        static={},
        site_date=PartialDate(2026, 11, 26),
        search="off",
    )


def stale_after(project: Path, change: object) -> set[str]:
    """The keyed records a rebuild after change(project) renders again."""
    before = plan_of(project)
    change(project)  # type: ignore[operator]
    after = plan_of(project)
    previous = PreviousBuild(outputs={o.path: (o.key, 0) for o in before.outputs if o.key})
    keyed = {o.path for o in after.outputs if o.key}
    return stale_outputs(after, previous) & keyed


def test_the_same_inputs_make_the_same_keys(project: Path) -> None:
    assert stale_after(project, lambda _: None) == set()


def reword_taiwan(project: Path) -> None:
    """An edit of the Taiwan topic's text that changes no citation."""
    edit(
        project / "content/topics/taiwan.md",
        "Only two of the five sources mention Taiwan",
        "Just two of the five sources mention Taiwan",
    )


def showing_taiwan(project: Path) -> set[str]:
    """The pages that list the Taiwan topic (and may show any of its fields, as a theme
    decides): topics related to it or linking to it, its tags, the lists of topics."""
    plan = plan_of(project)
    linked, site = plan.context.linked, plan.context.site
    taiwan = next(t for t in site.topics if t.slug == "taiwan")
    showing = {
        t.url_path
        for t in site.topics
        if taiwan in linked.related.get(t.path, []) + linked.backlinks.get(t.path, [])
    }
    tagged = {tag.url_path for tag in site.tags if taiwan in tag.topics}
    assert showing and tagged, "the test needs pages listing the topic"
    return showing | tagged | {"index.html", "topics/index.html", "tags/index.html"}


def taiwan_feeds(project: Path) -> set[str]:
    """The feeds carrying the Taiwan topic's text: the site's and its tags'."""
    site = plan_of(project).context.site
    tags = [tag for tag in site.tags if any(t.slug == "taiwan" for t in tag.topics)]
    return {"feed.xml", "atom.xml", "feed.json"} | {
        f"tags/{tag.slug}/{name}" for tag in tags for name in ("feed.xml", "atom.xml")
    }


def test_a_topic_text_edit_renders_the_topic_and_the_feeds_carrying_it(project: Path) -> None:
    """No template of the default theme shows a listed topic's text: the pages listing
    it are kept, and so are the source pages (no citation changed)."""
    stale = stale_after(project, reword_taiwan)
    assert stale == {"topics/taiwan/index.html"} | taiwan_feeds(project)


def test_a_topic_retitled_renders_the_pages_listing_it(project: Path) -> None:
    def retitle(project: Path) -> None:
        edit(project / "content/topics/taiwan.md", "title: Taiwan", "title: Taiwan and China")

    stale = stale_after(project, retitle)
    assert showing_taiwan(project) <= stale
    assert "topics/taiwan/index.html" in stale


def test_a_theme_showing_listed_texts_renders_the_lists_after_a_text_edit(
    project: Path,
) -> None:
    """A theme whose list of topics names a topic's body: a text edit renders the pages
    listing the topic again (a template naming it anywhere is enough)."""
    templates = project / "themes/listing/templates"
    templates.mkdir(parents=True)
    default = (project / "themes/default/templates/topics.html").read_text(encoding="utf-8")
    (templates / "topics.html").write_text(
        default.replace("{{ topic.title }}", "{{ topic.title }} ({{ topic.body|wordcount }})"),
        encoding="utf-8",
    )
    edit(project / "briefing.yaml", "theme: default", "theme: listing")
    stale = stale_after(project, reword_taiwan)
    assert stale == {"topics/taiwan/index.html"} | taiwan_feeds(project) | showing_taiwan(project)


def test_a_topic_edit_renders_only_the_first_page_of_its_tags(project: Path) -> None:
    """A tag's topics are shown on its first page: the later pages, one source each
    here, are kept (and a retitled source renders only the pages it is on)."""
    with (project / "briefing.yaml").open("a", encoding="utf-8") as settings:
        settings.write("sources_per_page: 1\n")

    def retitle(project: Path) -> None:
        edit(project / "content/topics/taiwan.md", "title: Taiwan", "title: Taiwan and China")

    site = plan_of(project).context.site
    tagged = [tag for tag in site.tags if any(t.slug == "taiwan" for t in tag.topics)]
    assert any(len(tag.sources) > 1 for tag in tagged), "the test needs a tag in pages"
    stale = stale_after(project, retitle)
    stale_tag_pages = {p for p in stale if p.startswith("tags/") and p.endswith(".html")}
    assert stale_tag_pages - {"tags/index.html"} == {tag.url_path for tag in tagged}


def test_a_changed_quote_makes_its_source_page_stale(project: Path) -> None:
    def shorten_quote(project: Path) -> None:
        edit(
            project / "content/topics/taiwan.md",
            '"China has avoided criticizing or labelling the war as an invasion."',
            '"China has avoided criticizing or labelling the war"',
        )

    stale = stale_after(project, shorten_quote)
    quoted = "sources/blinken-meets-wang-yi/"
    assert {quoted + "index.html", quoted + "original/index.html"} <= stale
    assert "topics/taiwan/index.html" in stale
    others = {p for p in stale if p.startswith("sources/") and not p.startswith(quoted)}
    assert not others, others
    assert quoted + "original.txt" not in stale, "the original file did not change"


def test_an_edited_source_renders_its_pages_and_the_lists_showing_it(project: Path) -> None:
    def retitle(project: Path) -> None:
        edit(
            project / "seeds/sources.yaml",
            'title: "Blinken Meets China’s Wang Yi to Warn China from Aiding Russia"',
            'title: "Blinken meets Wang Yi"',
        )

    stale = stale_after(project, retitle)
    source = "sources/blinken-meets-wang-yi/"
    assert {source + "index.html", source + "original/index.html", "sources/index.html"} <= stale
    assert source + "original.txt" not in stale
    other_sources = {
        p for p in stale if p.startswith("sources/") and p.count("/") > 1 and source not in p
    }
    assert not other_sources, other_sources
    # Topics citing it list its title in their Sources list.
    assert "topics/taiwan/index.html" in stale


def test_colliding_output_paths_are_refused_before_anything_is_written() -> None:
    from generator import BuildError
    from generator.checks import check_paths

    check_paths(["index.html", "topics/a/index.html", "topics/b/index.html"])
    with pytest.raises(BuildError) as raised:
        check_paths(["topics/a/index.html", "x/index.html", "topics/a/index.html", "x"])
    assert [p.file for p in raised.value.problems] == ["topics/a/index.html", "x"]
