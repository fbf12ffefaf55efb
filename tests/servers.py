"""Real SPARQL servers for tests: an Oxigraph server and Virtuoso open source, on loopback.

The tests start and stop these themselves (no mocks of what users run). Both bind
127.0.0.1 on free ports and keep every file in a directory the caller gives (tmp_path).

Test modules load the session fixtures below with ``pytest_plugins = ("servers",)`` (one
server of each kind per test session) and import the classes with ``from servers import``.
:class:`FaultProxy` sits in front of a real server to fail chosen requests.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

START_TIMEOUT = 30.0  # seconds; Oxigraph starts in ~0.1 s, Virtuoso in 2-5 s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} while starting:\n{_tail(log)}")
        if _answers(url):
            return
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{what} did not answer {url} within {START_TIMEOUT} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen | None, grace: float = 15.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


# --------------------------------------------------------------------------- Oxigraph


def oxigraph_binary() -> str:
    """The ``oxigraph`` server from the PyPI wheel, installed next to this Python."""
    candidate = Path(sys.executable).parent / "oxigraph"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("oxigraph")
    if found:
        return found
    raise RuntimeError(f"no 'oxigraph' server next to {sys.executable}; pip install 'oxigraph>=0.5,<0.6'")


class OxigraphServer:
    """``oxigraph serve --location DIR --bind 127.0.0.1:PORT``; restartable on the same data."""

    def __init__(self, workdir: Path, read_only: bool = False):
        self.workdir = Path(workdir)
        self.data = self.workdir / "data"
        self.log = self.workdir / "oxigraph.log"
        self.read_only = read_only
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return f"{self.base}/query"

    @property
    def update_url(self) -> str:
        return f"{self.base}/update"

    @property
    def store_url(self) -> str:
        return f"{self.base}/store"

    def start(self) -> "OxigraphServer":
        self.data.mkdir(parents=True, exist_ok=True)
        command = "serve-read-only" if self.read_only else "serve"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [oxigraph_binary(), command, "--location", str(self.data), "--bind", f"127.0.0.1:{self.port}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        _wait_until_up(f"{self.query_url}?query=ASK%7B%7D", self.proc, self.log, "oxigraph")
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def stop(self) -> None:
        _stop(self.proc)


def load_into_oxigraph(server_dir: Path, ntriples: bytes, graph: str) -> None:
    """Preload a graph offline (the server must not be running on that directory)."""
    src = Path(server_dir) / "preload.nt"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_bytes(ntriples)
    subprocess.run(
        [oxigraph_binary(), "load", "--location", str(Path(server_dir) / "data"), "--file", str(src), "--graph", graph],
        check=True, capture_output=True,
    )


# --------------------------------------------------------------------------- Virtuoso

VIRTUOSO_USER = "dba"
VIRTUOSO_PASSWORD = "dba"  # the default account of a database created from scratch

_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/db/virtuoso.db
ErrorLogFile = {d}/db/virtuoso.log
LockFile = {d}/db/virtuoso.lck
TransactionFile = {d}/db/virtuoso.trx
xa_persistent_file = {d}/db/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/db/virtuoso-temp.db
TransactionFile = {d}/db/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {d}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
MaxQueryMem = 500M
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}/vsp
MaxClientConnections = 10
ServerThreads = 10
EnabledDavVSP = 0
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


class VirtuosoServer:
    """Virtuoso open source from Debian with its own generated virtuoso.ini, loopback only.

    Endpoints: ``/sparql`` (anonymous queries), ``/sparql-auth`` (digest-authenticated
    updates), ``/sparql-graph-crud-auth`` (digest-authenticated Graph Store Protocol).
    """

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.http_port = free_port()
        self.sql_port = free_port()
        while self.sql_port == self.http_port:
            self.sql_port = free_port()
        self.log = self.workdir / "virtuoso.out"
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        return f"{self.base}/sparql"

    @property
    def update_url(self) -> str:
        return f"{self.base}/sparql-auth"

    @property
    def store_url(self) -> str:
        return f"{self.base}/sparql-graph-crud-auth"

    def start(self) -> "VirtuosoServer":
        binary = virtuoso_binary()
        if binary is None:
            raise RuntimeError("virtuoso-t not found (apt-get install virtuoso-opensource)")
        (self.workdir / "db").mkdir(parents=True, exist_ok=True)
        (self.workdir / "vsp").mkdir(parents=True, exist_ok=True)
        ini = self.workdir / "virtuoso.ini"
        ini.write_text(_VIRTUOSO_INI.format(d=self.workdir, sql_port=self.sql_port, http_port=self.http_port))
        with open(self.log, "ab") as log:
            # +foreground keeps it our child, so the fixture can stop exactly this process.
            self.proc = subprocess.Popen(
                [binary, "+foreground", "+configfile", str(ini)],
                cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        query = urllib.parse.quote("ASK {}")
        _wait_until_up(f"{self.query_url}?query={query}", self.proc, self.workdir / "db" / "virtuoso.log", "virtuoso")
        return self

    def stop(self) -> None:
        _stop(self.proc)


def virtuoso_required() -> bool:
    """In CI (CI=true) a missing Virtuoso is a failure, not a skip."""
    return os.environ.get("CI", "").lower() == "true"


# --------------------------------------------------------------------------- session fixtures


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    """One Oxigraph server for the session (empty at start)."""
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory):
    """One Virtuoso for the session. Skipped, visibly, only when virtuoso-t is absent outside CI."""
    if virtuoso_binary() is None:
        message = "virtuoso-t not installed (apt-get install --no-install-recommends virtuoso-opensource)"
        if virtuoso_required():
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso")).start()
    yield server
    server.stop()


# --------------------------------------------------------------------------- fault injection


class FaultProxy:
    """An HTTP proxy in front of a real server that fails the requests a rule picks.

    ``rule(method, path, body)`` returns None (forward), ``("fail", status)`` (answer
    ``status`` without forwarding), ``("lose", status)`` (forward, then answer ``status``
    as if the reply was lost) or ``("stall", seconds)`` (wait, then forward). Every request
    is recorded in ``seen`` as (method, path, body).
    """

    def __init__(self, upstream: str, rule):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        proxy = self
        self.upstream, self.rule, self.seen = upstream.rstrip("/"), rule, []
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = self._read_chunked()  # a streamed upload (push's one PUT)
                else:
                    length = int(self.headers.get("Content-Length") or 0)
                    body = self.rfile.read(length) if length else b""
                with proxy._lock:
                    proxy.seen.append((self.command, self.path, body))
                action = proxy.rule(self.command, self.path, body)
                if action and action[0] == "fail":
                    return self._reply(action[1], b"injected failure", {"Content-Type": "text/plain"})
                if action and action[0] == "stall":
                    time.sleep(action[1])
                status, headers, data = proxy._forward(self.command, self.path, body, self.headers)
                if action and action[0] == "lose":
                    return self._reply(action[1], b"injected: reply lost", {"Content-Type": "text/plain"})
                self._reply(status, data, headers)

            def _read_chunked(self) -> bytes:
                parts = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()  # the CRLF after each chunk

            def _reply(self, status, data, headers):
                self.upstream_server = headers.get("Server")  # the product the client sees, as without the proxy
                self.send_response(status)
                for key in ("Content-Type", "WWW-Authenticate"):
                    if headers.get(key):
                        self.send_header(key, headers[key])
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

            def version_string(self):  # the Server header send_response writes
                return getattr(self, "upstream_server", None) or super().version_string()

            def log_message(self, *args):  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _forward(self, method, path, body, headers):
        request = urllib.request.Request(self.upstream + path, data=body or None, method=method)
        for key in ("Content-Type", "Accept", "Authorization"):
            if headers.get(key):
                request.add_header(key, headers[key])
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=30) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
