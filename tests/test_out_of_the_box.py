"""The product's promise on a fresh clone, nothing configured: the README's three steps
(build, serve output/, subscribe to the feed), run as written."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import feedparser
import pytest
from bs4 import BeautifulSoup

from .conftest import ROOT, wait_for_server

README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_command(containing: str) -> str:
    """The first shell command of the README's code blocks that contains the words."""
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL):
        for line in block.splitlines():
            if containing in line:
                return line.strip()
    raise AssertionError(f"the README has no command with {containing!r}")


@pytest.fixture
def fresh_clone(tmp_path: Path) -> Path:
    """The project as a clone has it: every file git tracks (or would: not ignored), and
    nothing built or cached."""
    clone = tmp_path / "clone"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    return clone


@pytest.fixture
def fresh_python(tmp_path: Path) -> dict[str, str]:
    """A new virtual environment first on PATH, which sees the packages already installed
    here (so that pip finds Briefing's dependencies satisfied without downloading them)
    but not Briefing itself: the README's install command installs that."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.fixture
def served(fresh_clone: Path, fresh_python: dict[str, str]) -> Iterator[str]:
    """Steps one and two: install and build, then serve output/ as the README says."""
    build = subprocess.run(
        readme_command("build.py"),
        shell=True,
        cwd=fresh_clone,
        env=fresh_python,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    assert (fresh_clone / "output/feed.xml").is_file(), "a fresh clone's build writes the feed"
    port = _free_port()  # http.server cannot say which port 0 gave it
    server = subprocess.Popen(
        f"{readme_command('http.server')} {port}",
        shell=True,
        cwd=fresh_clone,
        env=fresh_python,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://localhost:{port}/"
    try:
        wait_for_server(base, 20)
        yield base
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, ""


def test_the_readme_three_steps_work_on_a_fresh_clone(served: str) -> None:
    """Step three: a reader subscribes to the feed; every item, and every link inside
    every item, opens (and a link to a passage lands on an element with that id)."""
    pages: dict[str, str] = {}

    def follow(link: str) -> None:
        url, fragment = urldefrag(link)
        if url not in pages:
            status, pages[url] = fetch(url)
            assert status == 200, (link, status)
        if fragment:
            assert BeautifulSoup(pages[url], "html.parser").find(id=fragment), link

    for feed_name in ("feed.xml", "atom.xml", "tags/china/feed.xml"):
        feed = feedparser.parse(served + feed_name)
        assert feed.bozo == 0 and feed.status == 200, feed.get("bozo_exception")
        assert len(feed.entries) >= 9, feed_name
        for entry in feed.entries:
            assert entry.link.startswith(served), entry.link
            follow(entry.link)
            content = BeautifulSoup(entry.content[0].value, "html.parser")
            for tag in content.find_all(href=True):
                target = urljoin(served + feed_name, tag["href"])
                if target.startswith(served):
                    follow(target)
    status, body = fetch(served + "feed.json")
    assert status == 200
    import json

    for item in json.loads(body)["items"]:
        follow(urljoin(served + "feed.json", item["url"]))
    home = BeautifulSoup(fetch(served)[1], "html.parser")
    advertised = {link["href"] for link in home.find_all("link", rel="alternate")}
    assert advertised == {"feed.xml", "atom.xml", "feed.json"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
