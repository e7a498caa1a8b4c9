"""The search filters (kind, outlet, tag, year) as Pagefind indexes them, in the same
bytes on every build (Pagefind writes them in hash-map order; pagefind_order sorts them)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import cbor2
import pytest
from bs4 import BeautifulSoup

from generator import build
from generator.pagefind_order import SIGNATURE

from .conftest import BASE_URL, ROOT, tree_digest


def read_index_file(path: Path) -> Any:
    data = gzip.decompress(path.read_bytes())
    assert data.startswith(SIGNATURE)
    return cbor2.loads(data[len(SIGNATURE) :])


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("filters")
    for name in ("one", "two"):
        build(ROOT, folder / name, base_url=BASE_URL, use_cache=False)
    return folder / "one", folder / "two"


def indexed_filters(site: Path) -> dict[str, dict[str, list[int]]]:
    """Each filter's values and their pages, read from the index's own files."""
    found = {}
    for path in sorted((site / "pagefind/filter").glob("*.pf_filter")):
        name, values = read_index_file(path)
        assert [v for v, _ in values] == sorted(v for v, _ in values), "values in order"
        found[name] = {value: pages for value, pages in values}
    return found


def test_pages_carry_their_filters(two_builds: tuple[Path, Path]) -> None:
    site, _ = two_builds
    source = BeautifulSoup(
        (site / "sources/wang-yi-signals-support-for-russia/index.html").read_text("utf-8"),
        "html.parser",
    )
    carried = [
        (s["data-pagefind-filter"], s.get_text()) for s in source.select("[data-pagefind-filter]")
    ]
    assert ("kind", "Opinion") in carried and ("outlet", "World Socialist Web Site") in carried
    assert ("year", "2022") in carried and ("tag", "Taiwan") in carried
    assert source.select_one("[data-pagefind-filter]").find_parent(hidden=True)


def test_the_index_has_every_filter(two_builds: tuple[Path, Path]) -> None:
    filters = indexed_filters(two_builds[0])
    assert set(filters) == {"kind", "outlet", "tag", "year"}
    assert {"Topic", "Tag", "News", "Opinion"} <= set(filters["kind"])
    assert {"Kyiv Post", "World Socialist Web Site"} == set(filters["outlet"])
    assert {"2022", "2023"} <= set(filters["year"])
    assert "Spy balloon" in filters["tag"]


def test_the_index_is_the_same_bytes_on_every_build(two_builds: tuple[Path, Path]) -> None:
    one, two = two_builds
    index_one = {k: v for k, v in tree_digest(one).items() if k.startswith("pagefind/")}
    index_two = {k: v for k, v in tree_digest(two).items() if k.startswith("pagefind/")}
    assert index_one == index_two
    meta = read_index_file(next((one / "pagefind").glob("*.pf_meta")))
    assert [name for name, _ in meta[3]] == ["kind", "outlet", "tag", "year"]
