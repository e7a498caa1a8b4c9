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
from .test_incremental import retitle_topic


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


def retitle_source(project: Path) -> None:
    """A new title for the source the Taiwan topic quotes (blinken-meets-wang-yi)."""
    edit(
        project / "seeds/sources.yaml",
        'title: "Blinken Meets China’s Wang Yi to Warn China from Aiding Russia"',
        'title: "Blinken meets Wang Yi"',
    )


def reword_taiwan(project: Path) -> None:
    """An edit of the Taiwan topic's text that changes no citation."""
    edit(
        project / "content/topics/taiwan.md",
        "Only two of the five sources mention Taiwan",
        "Just two of the five sources mention Taiwan",
    )


def listing_taiwan(project: Path) -> set[str]:
    """The pages that list the Taiwan topic (and may show any of its fields, as a theme
    decides): the home page, the lists of topics and tags, its tags' first pages."""
    site = plan_of(project).context.site
    tagged = {tag.url_path for tag in site.tags if any(t.slug == "taiwan" for t in tag.topics)}
    assert tagged, "the test needs a tag on the topic"
    return tagged | {"index.html", "topics/index.html", "tags/index.html"}


def linking_taiwan(project: Path) -> set[str]:
    """The topic pages that link to the Taiwan topic as a related topic or a page linking
    there: they are given its PageLink, all of it but its text."""
    plan = plan_of(project)
    linked, site = plan.context.linked, plan.context.site
    taiwan = next(t for t in site.topics if t.slug == "taiwan")
    linking = {
        t.url_path
        for t in site.topics
        if taiwan in linked.related.get(t.path, []) + linked.backlinks.get(t.path, [])
    }
    assert linking, "the test needs topics linking to the topic"
    return linking


def taiwan_feeds(project: Path) -> set[str]:
    """The feeds carrying the Taiwan topic's text: the site's and its tags'."""
    site = plan_of(project).context.site
    tags = [tag for tag in site.tags if any(t.slug == "taiwan" for t in tag.topics)]
    return {"feed.xml", "atom.xml", "feed.json"} | {
        f"tags/{tag.slug}/{name}" for tag in tags for name in ("feed.xml", "atom.xml")
    }


def test_a_topic_text_edit_leaves_the_topics_linking_to_it_alone(project: Path) -> None:
    """Lists of topics (home, topics, a tag's page, related topics, pages linking here)
    are given PageLinks (no Markdown text): a text edit renders the topic, the feeds
    carrying it and the tags page (given whole tags), not the pages listing or linking to
    it, nor the source pages (no citation changed)."""
    stale = stale_after(project, reword_taiwan)
    assert stale == {"topics/taiwan/index.html", "tags/index.html"} | taiwan_feeds(project)
    assert listing_taiwan(project) and linking_taiwan(project)


def test_a_topic_retitled_renders_the_pages_listing_or_linking_to_it(project: Path) -> None:
    stale = stale_after(project, retitle_topic)
    assert listing_taiwan(project) | linking_taiwan(project) <= stale
    assert "topics/taiwan/index.html" in stale


def test_a_link_list_is_not_given_the_pages_text(project: Path, tmp_path: Path) -> None:
    """A theme that shows a related topic's Markdown text is told, with its template, that
    links carry no text (rather than getting a list that goes stale)."""
    from generator import BuildError, build

    templates = project / "themes/default/templates"
    topic = (templates / "topic.html").read_text(encoding="utf-8")
    needle = "{{ other.title }}"
    assert needle in topic
    (templates / "topic.html").write_text(
        topic.replace(needle, "{{ other.title }} {{ other.body }}"), encoding="utf-8"
    )
    with pytest.raises(BuildError) as raised:
        build(project, tmp_path / "out", use_cache=False)
    problem = raised.value.problems[0]
    assert problem.file.endswith("topic.html") and "body" in problem.message


def test_a_topic_edit_renders_only_the_first_page_of_its_tags(project: Path) -> None:
    """A tag's topics are shown on its first page: the later pages, one source each
    here, are kept (and a retitled source renders only the pages it is on)."""
    with (project / "briefing.yaml").open("a", encoding="utf-8") as settings:
        settings.write("sources_per_page: 1\n")

    site = plan_of(project).context.site
    tagged = [tag for tag in site.tags if any(t.slug == "taiwan" for t in tag.topics)]
    assert any(len(tag.sources) > 1 for tag in tagged), "the test needs a tag in pages"
    stale = stale_after(project, retitle_topic)
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
    stale = stale_after(project, retitle_source)
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
