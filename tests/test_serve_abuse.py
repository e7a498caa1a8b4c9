"""The preview server under abuse and load: odd paths and methods get a 4xx and never a
file outside the output folder; pages requested while rebuilds swap files in arrive whole;
listening beyond this machine is said."""

from __future__ import annotations

import http.client
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import start_serve

SECRET = "outside-the-output-folder"


@pytest.fixture
def served(project: Path) -> Iterator[tuple[str, int, Path, subprocess.Popen[str]]]:
    """build.py serve on the project (with a file beside the output a path might reach)."""
    (project / "secret.txt").write_text(SECRET, encoding="utf-8")
    served = start_serve(project, "--no-search")
    process, port = served.process, int(served.base.rsplit(":", 1)[1].strip("/"))
    try:
        yield "127.0.0.1", port, project, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise


def request(host: str, port: int, method: str, path: str) -> tuple[int, bytes]:
    """A raw request: the path is sent exactly as given."""
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/../secret.txt"),
        ("GET", "/%2e%2e/secret.txt"),
        ("GET", "/%2E%2E%2Fsecret.txt"),
        ("GET", "/..%2f..%2fsecret.txt"),
        ("GET", "/topics/../../secret.txt"),
        ("GET", "/index.html%00.txt"),
        ("GET", "/%0a../secret.txt"),
        ("GET", "/" + "a" * 5000),
        ("GET", "/" + "a/" * 30000),
        ("HEAD", "/%00"),
        ("DELETE", "/index.html"),
        ("PUT", "/index.html"),
        ("POST", "/"),
        ("OPTIONS", "/"),
        ("TRACE", "/"),
        ("BREW", "/"),
    ],
)
def test_odd_requests_get_a_4xx_and_nothing_from_outside(
    served: tuple[str, int, Path, subprocess.Popen[str]], method: str, path: str
) -> None:
    host, port, project, _ = served
    status, body = request(host, port, method, path)
    assert 400 <= status < 500, (status, body[:200])
    assert SECRET.encode() not in body
    assert (project / "output/index.html").is_file(), "nothing was deleted"


def test_pages_arrive_whole_while_rebuilds_swap_files_in(
    served: tuple[str, int, Path, subprocess.Popen[str]],
) -> None:
    """200 requests from 20 threads while three rebuilds rewrite the pages requested."""
    host, port, project, _ = served
    pages = ["/", "/topics/taiwan/", "/about/", "/tags/china/", "/sources/"]
    failures: list[str] = []

    def reader(number: int) -> None:
        for count in range(10):
            path = pages[(number + count) % len(pages)]
            status, body = request(host, port, "GET", path)
            if status != 200 or not body.rstrip().endswith(b"</html>"):
                failures.append(f"{path}: {status}, {len(body)} bytes")

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    about = project / "content/pages/about.md"
    for edit in range(3):
        with about.open("a", encoding="utf-8") as handle:
            handle.write(f"\nA line added while readers read, number {edit}.\n")
        time.sleep(0.4)
    for thread in threads:
        thread.join()
    assert not failures, failures[:5]


def test_listening_beyond_this_machine_is_said(project: Path) -> None:
    served = start_serve(project, "--host", "0.0.0.0", "--no-search", "-q")
    said_next = served.process.stdout.readline() if served.process.stdout else ""
    served.process.send_signal(signal.SIGINT)
    served.process.communicate(timeout=20)
    stdout = served.said + said_next
    assert "note: listening on 0.0.0.0, not only on this machine" in stdout
