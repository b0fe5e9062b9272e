"""nginx serving canned answers: a server that is not the bottleneck.

The bundled Python server costs about as much CPU per request as the clients it serves, so
against it every client's rate drifts toward the server's and the ratios toward 1. Here the
same answers come from nginx instead:

1. :func:`collect` asks the bundled server (already running) once for every response the
   workloads read: ``GET /datasets/{uid}/`` and every page of the walk at the benchmark's
   page size, following ``next`` to the end;
2. :class:`NginxServer` writes the bodies into a temporary directory, with the ``next`` and
   ``previous`` links rewritten to point at nginx, writes a configuration that serves each
   file at its path (the walk's pages picked by a ``map`` on ``limit`` and ``cursor``), with
   the bundled server's ``Content-Type`` and static ``X-RateLimit-*`` / ``X-Request-Id``
   headers, and runs ``nginx -p DIR -c CONF`` (``daemon off``, one worker) as a child on a
   free loopback port, optionally pinned to given cores. Any other request is a 404.

:func:`locate` finds nginx on ``PATH`` or in the usual sbin directories, or installs
Debian's ``nginx-light`` with apt-get when allowed to (as root, with apt-get present).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, quote, urlsplit

from bench.server import children_of, pin

SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin", "/sbin")
APT_PACKAGE = "nginx-light"
INSTALL_TIMEOUT = 600.0
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
FETCH_TIMEOUT = 60.0
PORT_ATTEMPTS = 5
#: The headers every canned answer carries besides nginx's own (Date, Content-Length, ...).
STATIC_REQUEST_ID = "req_nginx_canned"


# --------------------------------------------------------------------------- finding nginx


@dataclass(frozen=True)
class Located:
    """Where nginx is (``path``), how it was found, or why it is not available."""

    path: str | None
    how: str
    version: str | None = None

    @property
    def available(self) -> bool:
        return self.path is not None


def _find() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    for directory in SBIN_DIRS:
        candidate = os.path.join(directory, "nginx")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _version(path: str) -> str | None:
    try:
        done = subprocess.run([path, "-v"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stderr or done.stdout).strip()
    return text.split("/", 1)[1].split()[0] if "/" in text else (text or None)


def _apt_install(log: _Log) -> str | None:
    """``apt-get install -y nginx-light`` (``apt-get update`` first if apt does not know the
    package yet); the reason it failed, or None."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")

    def apt(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["apt-get", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )

    log(f"nginx not found: installing it with `apt-get install -y {APT_PACKAGE}`")
    try:
        done = apt("install", "-y", "--no-install-recommends", APT_PACKAGE)
        if done.returncode != 0:
            log("  apt-get install failed; running `apt-get update` and trying again")
            apt("update")
            done = apt("install", "-y", "--no-install-recommends", APT_PACKAGE)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"apt-get failed: {exc}"
    if done.returncode != 0:
        tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-2:])
        return f"`apt-get install -y {APT_PACKAGE}` exited {done.returncode}: {tail}"
    return None


class _Log:
    def __call__(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)


def locate(install: bool, log: _Log | None = None) -> Located:
    """nginx on ``PATH`` or in an sbin directory; failing that, with ``install``, as root and
    with apt-get present, Debian's ``nginx-light`` freshly installed."""
    log = log or _Log()
    path = _find()
    if path is not None:
        return Located(path, f"found at {path}", _version(path))
    if not install:
        return Located(None, "nginx is not installed (not on PATH nor in /usr/sbin)")
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return Located(
            None,
            "nginx is not installed, and the bench installs it only when run as root "
            f"(`apt-get install -y {APT_PACKAGE}`)",
        )
    if shutil.which("apt-get") is None:
        return Located(None, "nginx is not installed, and apt-get is not available")
    problem = _apt_install(log)
    path = _find()
    if path is None:
        return Located(None, problem or f"{APT_PACKAGE} installed but no nginx binary found")
    return Located(
        path, f"installed with `apt-get install -y {APT_PACKAGE}` ({path})", _version(path)
    )


# --------------------------------------------------------------------------- canned answers


@dataclass(frozen=True)
class Answer:
    """One response of the bundled server: the path and query it answered, its body."""

    path: str
    query: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class Canned:
    """Every answer the workloads need, and the headers to serve them with."""

    origin: str
    """``scheme://host:port`` of the server they came from (rewritten in links)."""
    api_prefix: str
    content_type: str
    headers: dict[str, str]
    answers: list[Answer] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(len(a.body) for a in self.answers)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _fetch(url: str, headers: Mapping[str, str]) -> tuple[bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=dict(headers))
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:  # loopback only
        if response.status != 200:
            raise RuntimeError(f"GET {url}: HTTP {response.status}")
        return response.read(), {k.lower(): v for k, v in response.headers.items()}


def collect(
    base_url: str,
    headers: Mapping[str, str],
    get_paths: Iterable[str],
    list_paths: Iterable[tuple[str, int]],
) -> Canned:
    """Fetch from the server at ``base_url`` (``.../api/v1``): each of ``get_paths`` once,
    and every page of each ``(path, limit)`` list, following ``next`` to the end."""
    origin = _origin(base_url)
    prefix = urlsplit(base_url).path.rstrip("/")
    answers: list[Answer] = []
    first_headers: dict[str, str] | None = None

    def take(url: str) -> bytes:
        nonlocal first_headers
        body, got = _fetch(url, headers)
        if first_headers is None:
            first_headers = got
        parts = urlsplit(url)
        answers.append(Answer(parts.path, tuple(parse_qsl(parts.query)), body))
        return body

    for path in get_paths:
        take(base_url + path)
    for path, limit in list_paths:
        url: str | None = f"{base_url}{path}?limit={limit}"
        seen: set[str] = set()
        while url is not None:
            if url in seen:
                raise RuntimeError(f"the bundled server's next links loop at {url}")
            seen.add(url)
            url = json.loads(take(url)).get("next")
            if url is not None and not url.startswith(origin + "/"):
                raise RuntimeError(f"a next link points elsewhere: {url}")
    assert first_headers is not None
    static = {
        "X-RateLimit-Limit": first_headers.get("x-ratelimit-limit", "1000"),
        "X-RateLimit-Remaining": first_headers.get("x-ratelimit-remaining", "999"),
        "X-RateLimit-Reset": first_headers.get("x-ratelimit-reset", "0"),
        "X-Request-Id": STATIC_REQUEST_ID,
    }
    return Canned(
        origin=origin,
        api_prefix=prefix,
        content_type=first_headers.get("content-type", "application/json"),
        headers=static,
        answers=answers,
    )


def rewrite_links(body: bytes, old_origin: str, new_origin: str) -> bytes:
    """``body`` with its top-level ``next``/``previous`` links moved from ``old_origin`` to
    ``new_origin``, every other byte unchanged (checked by decoding both)."""
    data = json.loads(body)
    if not isinstance(data, dict):
        return body
    expected = dict(data)
    out = body
    for name in ("next", "previous"):
        link = data.get(name)
        if not isinstance(link, str) or not link.startswith(old_origin):
            continue
        moved = new_origin + link[len(old_origin) :]
        old_text, new_text = json.dumps(link).encode(), json.dumps(moved).encode()
        if out.count(old_text) < 1:
            raise RuntimeError(f"cannot find the {name} link {link!r} in the body")
        # Each link text is unique in practice; replace the key-value pair to be sure.
        pair = f'"{name}":'.encode()
        for separator in (b"", b" "):
            if pair + separator + old_text in out:
                out = out.replace(pair + separator + old_text, pair + separator + new_text, 1)
                break
        else:
            raise RuntimeError(f"cannot find the {name} link {link!r} in the body")
        expected[name] = moved
    if json.loads(out) != expected:
        raise RuntimeError("rewriting the links changed more than the links")
    return out


# --------------------------------------------------------------------------- configuration


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _quote_conf(value: str) -> str:
    """A double-quoted nginx configuration string for a literal ``value``."""
    if "$" in value or any(ord(c) < 32 for c in value):
        raise RuntimeError(f"cannot write {value!r} into an nginx configuration")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value_forms(value: str) -> list[str]:
    """How a query value may appear on the wire: as the server wrote it, and
    percent-encoded the way an HTTP client might send it."""
    forms = [value, quote(value, safe=""), quote(value, safe="-_.~"), quote(value)]
    return list(dict.fromkeys(forms))


def _without_modules(nginx: str) -> set[str]:
    """Modules this nginx was built without (``--without-http_X_module`` -> ``X``)."""
    try:
        done = subprocess.run(
            [nginx, "-V"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    flags = (done.stderr + done.stdout).split()
    return {
        flag[len("--without-http_") : -len("_module")]
        for flag in flags
        if flag.startswith("--without-http_") and flag.endswith("_module")
    }


def write_site(
    root: Path,
    canned: Canned,
    port: int,
    nginx: str,
    cpus: Iterable[int] | None,
) -> Path:
    """The files and the configuration under ``root``; returns the configuration's path."""
    www = root / "www"
    www.mkdir(parents=True, exist_ok=True)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (root / "temp" / sub).mkdir(parents=True, exist_ok=True)
    origin = f"http://127.0.0.1:{port}"

    by_path: dict[str, list[tuple[tuple[tuple[str, str], ...], str]]] = {}
    for index, answer in enumerate(canned.answers):
        name = f"a{index:04d}.json"
        (www / name).write_bytes(rewrite_links(answer.body, canned.origin, origin))
        by_path.setdefault(answer.path, []).append((answer.query, name))

    maps: list[str] = []
    locations: list[str] = []
    for number, (path, variants) in enumerate(by_path.items()):
        if len(variants) == 1 and not variants[0][0]:
            target = "/" + variants[0][1]
        else:
            names = sorted({k for query, _ in variants for k, _ in query})
            variable = f"$avala_answer_{number}"
            key = "|".join(f"$arg_{n}" for n in names)
            entries: list[str] = []
            for query, file_name in variants:
                values = dict(query)
                combos = [""]
                for i, name in enumerate(names):
                    forms = _value_forms(values.get(name, ""))
                    sep = "" if i == 0 else "|"
                    combos = [c + sep + form for c in combos for form in forms]
                entries += [f"        {_quote_conf(c)} {file_name};" for c in combos]
            maps.append(
                f'    map "{key}" {variable} {{\n'
                "        default missing;\n" + "\n".join(entries) + "\n    }"
            )
            target = f"/{variable}"
        locations.append(
            f"        location = {_quote_conf(path)} {{\n"
            f"            try_files {target} =404;\n"
            "        }"
        )

    without = _without_modules(nginx)
    if "map" in without:
        raise RuntimeError(f"{nginx} was built without the map module")
    temp_dirs = [f"    client_body_temp_path {root / 'temp' / 'body'};"]
    for module in ("proxy", "fastcgi", "uwsgi", "scgi"):
        if module not in without:
            temp_dirs.append(f"    {module}_temp_path {root / 'temp' / module};")
    affinity = ""
    if cpus is not None:
        chosen = min(cpus)
        affinity = f"worker_cpu_affinity {'1' + '0' * chosen};\n"
    headers = "\n".join(
        f"        add_header {name} {_quote_conf(value)} always;"
        for name, value in canned.headers.items()
    )
    conf = f"""# written by bench/nginx.py for one benchmark run
daemon off;
master_process on;
worker_processes 1;
{affinity}pid {root / "nginx.pid"};
error_log {root / "error.log"} warn;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    log_not_found off;
    server_tokens off;
    types {{ }}
    default_type {canned.content_type};
    etag off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 100000;
    keepalive_timeout 600s;
    open_file_cache max=4096 inactive=600s;
    open_file_cache_valid 600s;
    open_file_cache_errors on;
{chr(10).join(temp_dirs)}

{chr(10).join(maps)}

    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {www};
{headers}

{chr(10).join(locations)}
        location / {{
            return 404;
        }}
    }}
}}
"""
    conf_path = root / "nginx.conf"
    conf_path.write_text(conf, encoding="utf-8")
    # The worker drops root privileges (to nobody / www-data): let it read the files.
    for directory in (root, www):
        directory.chmod(0o755)
    for entry in www.iterdir():
        entry.chmod(0o644)
    return conf_path


# --------------------------------------------------------------------------- the server


@dataclass(frozen=True)
class NginxInfo:
    base_url: str
    pid: int
    worker_pids: tuple[int, ...]
    files: int
    total_bytes: int

    @property
    def pids(self) -> tuple[int, ...]:
        return (self.pid, *self.worker_pids)


class NginxServer:
    """``with NginxServer(nginx, canned, cpus) as info:`` serves ``canned`` until the block
    ends (SIGTERM, then SIGKILL if it lingers), then removes its directory."""

    def __init__(self, nginx: str, canned: Canned, cpus: Iterable[int] | None = None) -> None:
        self.nginx = nginx
        self.canned = canned
        self.cpus = None if cpus is None else tuple(cpus)
        self._proc: subprocess.Popen[bytes] | None = None
        self._root: Path | None = None

    def __enter__(self) -> NginxInfo:
        self._root = Path(tempfile.mkdtemp(prefix="avala-bench-nginx-"))
        try:
            return self._start()
        except BaseException:
            self._stop()
            raise

    def _start(self) -> NginxInfo:
        assert self._root is not None
        problem = ""
        for _ in range(PORT_ATTEMPTS):  # a free port may be taken before nginx binds it
            port = _free_port()
            conf = write_site(self._root, self.canned, port, self.nginx, self.cpus)
            errors = self._root / "stderr.log"
            with errors.open("wb") as stderr:
                proc = subprocess.Popen(
                    [
                        self.nginx,
                        "-p",
                        str(self._root),
                        "-c",
                        str(conf),
                        "-e",
                        str(self._root / "error.log"),
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    cwd=self._root,
                )
            self._proc = proc
            if self.cpus is not None:
                pin(proc.pid, self.cpus)  # before the master forks its worker
            base_url = f"http://127.0.0.1:{port}{self.canned.api_prefix}"
            if self._wait_ready(proc, base_url):
                workers = tuple(children_of(proc.pid))
                if self.cpus is not None:
                    for pid in (proc.pid, *workers):
                        pin(pid, self.cpus)
                self.verify(base_url)
                return NginxInfo(
                    base_url=base_url,
                    pid=proc.pid,
                    worker_pids=workers,
                    files=len(self.canned.answers),
                    total_bytes=self.canned.total_bytes,
                )
            problem = self._log_text()
            self._stop_process()
            if "Address already in use" not in problem:
                break
        raise RuntimeError(f"nginx did not start: {problem.strip() or 'no message'}")

    def _log_text(self) -> str:
        assert self._root is not None
        text = ""
        for name in ("stderr.log", "error.log"):
            path = self._root / name
            if path.exists():
                text += path.read_text(encoding="utf-8", errors="replace")
        return text

    def _wait_ready(self, proc: subprocess.Popen[bytes], base_url: str) -> bool:
        """Whether nginx answers the first canned path before START_TIMEOUT."""
        first = self.canned.answers[0]
        url = base_url + first.path[len(self.canned.api_prefix) :]
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # loopback only
                    response.read()
                if children_of(proc.pid):
                    return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        return False

    def verify(self, base_url: str) -> None:
        """Every canned answer comes back from nginx as written, with its headers, for the
        query as the bundled server wrote it; an unknown query is a 404."""
        assert self._root is not None
        new_origin = _origin(base_url)
        for index, answer in enumerate(self.canned.answers):
            query = "&".join(f"{k}={v}" for k, v in answer.query)
            url = new_origin + answer.path + (f"?{query}" if query else "")
            body, headers = _fetch(url, {})
            expected = (self._root / "www" / f"a{index:04d}.json").read_bytes()
            if body != expected:
                raise RuntimeError(f"nginx served a different body for {url}")
            for name, value in self.canned.headers.items():
                if headers.get(name.lower()) != value:
                    raise RuntimeError(f"nginx did not send {name}: {value} for {url}")
            if headers.get("content-type") != self.canned.content_type:
                raise RuntimeError(f"nginx sent Content-Type {headers.get('content-type')}")
        lists = [a for a in self.canned.answers if a.query]
        if lists:
            probe = f"{new_origin}{lists[0].path}?limit=1&cursor=not-a-cursor"
            try:
                _fetch(probe, {})
            except urllib.error.HTTPError as exc:
                if exc.code != 404:
                    raise
            else:
                raise RuntimeError(f"nginx answered an unknown query: {probe}")

    def _stop_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        workers = children_of(proc.pid)
        if proc.poll() is None:
            proc.terminate()  # SIGTERM: nginx's fast shutdown, workers included
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for pid in workers:  # a worker outlives a master killed with SIGKILL
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                continue

    def _stop(self) -> None:
        self._stop_process()
        root, self._root = self._root, None
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()
