"""Preview server: build, serve output/ on localhost, rebuild on change, reload the page.

The live-reload script is injected into HTML as it is served; it is never written to the
output folder. A failed rebuild prints its errors and the last good site stays served,
because the build only replaces the output folder when it succeeds.
"""

from __future__ import annotations

import errno
import functools
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

VERSION_PATH = "/__briefing__/version"
RELOAD_SCRIPT = b"""<script>
(function () {
  var seen = null;
  function poll() {
    fetch("%s", {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (v) {
      if (seen !== null && v !== seen) { location.reload(); }
      seen = v;
    }).catch(function () {}).finally(function () { setTimeout(poll, 700); });
  }
  poll();
})();
</script>
""" % VERSION_PATH.encode()


class BuildCounter:
    """How many successful builds there were; pages reload when it changes."""

    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()

    def bump(self) -> None:
        with self.lock:
            self.value += 1


class _BadPath(ValueError):
    """A request path no file of the output can have."""


class PreviewHandler(SimpleHTTPRequestHandler):
    """Serve files from the output folder, with the reload script added to HTML pages."""

    counter: BuildCounter

    def __init__(self, *args: object, counter: BuildCounter, **kwargs: object) -> None:
        self.counter = counter
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        """Any method but GET and HEAD (do_PUT, do_DELETE, ...): 405, not http.server's 501."""
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def translate_path(self, path: str) -> str:
        """http.server's mapping into the output folder (which drops '..'), refusing a path
        that decodes to a NUL or other control character."""
        if any(ord(c) < 32 for c in unquote(path.split("?", 1)[0])):
            raise _BadPath
        return super().translate_path(path)

    def send_head(self) -> Any:
        try:
            return super().send_head()
        except _BadPath:
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad path")
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND)
        return None

    def do_GET(self) -> None:  # noqa: N802 - the http.server naming
        try:
            self._get()
        except _BadPath:
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad path")
        except OSError as err:  # a name too long for the file system, say: no such file
            too_long = err.errno == errno.ENAMETOOLONG
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG if too_long else HTTPStatus.NOT_FOUND)

    def _get(self) -> None:
        if self.path.split("?")[0] == VERSION_PATH:
            self._send(HTTPStatus.OK, str(self.counter.value).encode(), "text/plain")
            return
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            html = path.read_bytes()
            marker = html.rfind(b"</body>")
            if marker >= 0:
                html = html[:marker] + RELOAD_SCRIPT + html[marker:]
            self._send(HTTPStatus.OK, html, "text/html; charset=utf-8")
            return
        if not path.exists() and (Path(self.directory) / "404.html").is_file():
            page = (Path(self.directory) / "404.html").read_bytes()
            self._send(HTTPStatus.NOT_FOUND, page, "text/html; charset=utf-8")
            return
        super().do_GET()

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep the terminal for build messages


def serve(
    out: Path,
    watch_paths: list[Path],
    rebuild: Callable[[str, list[str]], bool],
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Listen on host:port, build (rebuild(address, changed) is True on success; address
    is what the site is served at, changed the names of the files whose change it follows),
    serve out until Ctrl-C, and build again whenever inputs change.

    The socket is bound before the first build, so that the build knows the address (port
    0 picks a free port)."""
    from watchfiles import watch  # imported here: only the preview server watches files

    announce = announce or functools.partial(print, flush=True)  # a pipe is read line by line

    counter = BuildCounter()
    handler = functools.partial(PreviewHandler, directory=str(out), counter=counter)
    server = ThreadingHTTPServer((host, port), handler)
    address = f"http://{_url_host(host)}:{server.server_port}/"
    try:
        if not rebuild(address, []) and not out.is_dir():
            announce("nothing to serve yet: fix the errors above; watching for changes")
            out.mkdir(parents=True, exist_ok=True)
    except BaseException:
        server.server_close()
        raise
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    announce(f"serving {out} at {address} (Ctrl-C to stop)")
    if not _loopback(host):
        announce(
            f"note: listening on {host}, not only on this machine: anyone who can reach it on "
            "your network can read the preview (--host 127.0.0.1 keeps it to this machine)"
        )
    stop = threading.Event()
    try:
        existing = [p for p in watch_paths if p.exists()]
        # The watcher looks every `step` ms and takes a change once a look finds no other
        # (an editor's save is a few writes and a rename within a millisecond or two), at
        # most `debounce` ms after the first: between one and two steps is what a writer
        # waits for before the rebuild starts.
        for changes in watch(*existing, stop_event=stop, debounce=200, step=10):
            names = sorted({Path(path).name for _, path in changes})
            if rebuild(address, names):
                counter.bump()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        announce("stopped")


def _loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def _url_host(host: str) -> str:
    """The host part of the address a browser on this machine opens: a wildcard address
    (all interfaces) is reached at the loopback one."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
