"""Reusable parts of the HTTP benchmarks (DESIGN.md, Tests and benchmarks).

A benchmark here:

* runs against its own PostgreSQL database (created if missing, migrated, seeded by ``zhujian seed``);
* runs the platform the way production does: ``zhujian serve`` (gunicorn) with ``ZHUJIAN_MODE=production``
  and fixed bench secrets; only the TLS redirect is off (there is none yet; ``ZHUJIAN_SSL_REDIRECT=0`` is
  set for when there is), and only on 127.0.0.1;
* authenticates with an API token minted for the run (``mint_token``);
* drives N concurrent keep-alive clients, each in its own process (``run_load``), and reports p50, p95
  and requests/s next to a baseline endpoint measured on the same server in the same run.

Everything Django-side runs in subprocesses with the bench environment (``BenchEnv``), so the
benchmark process itself never imports the settings and can be pointed at any database.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import multiprocessing as mp
import os
import platform
import resource
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zhujian_bench"
HOST = "127.0.0.1"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ----------------------------------------------------------------- environment


def _zhujian_bin() -> str:
    candidate = Path(sys.executable).with_name("zhujian")
    return str(candidate) if candidate.exists() else "zhujian"


@dataclass
class BenchEnv:
    """The environment every subprocess of a benchmark runs with (production mode, bench secrets)."""

    database_url: str = DEFAULT_DATABASE_URL
    data_dir: Path = ROOT / "var" / "bench"
    extra: dict[str, str] = field(default_factory=dict)

    def secrets(self) -> dict[str, str]:
        """Fixed per data directory, so encrypted seed data stays readable from one run to the next."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "bench-secrets.json"
        if not path.exists():
            values = {
                "ZHUJIAN_SECRET_KEY": secrets.token_urlsafe(50),
                "ZHUJIAN_FIELD_KEYS": "k1:" + secrets.token_hex(16),
                "ZHUJIAN_INDEX_KEY": secrets.token_hex(32),
            }
            path.write_text(json.dumps(values), encoding="utf-8")
            path.chmod(0o600)
        return json.loads(path.read_text(encoding="utf-8"))

    def vars(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.secrets())
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "zhujian.settings",
                "DATABASE_URL": self.database_url,
                "ZHUJIAN_MODE": "production",
                "ZHUJIAN_DATA_DIR": str(self.data_dir),
                "ZHUJIAN_ALLOWED_HOSTS": HOST,
                "ZHUJIAN_SSL_REDIRECT": "0",  # the one production setting a loopback bench turns off
                "ZHUJIAN_LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
                # gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), so
                # a command meant for another gunicorn on the machine could stop ours: keep it private.
                "XDG_RUNTIME_DIR": str(self._runtime_dir()),
            }
        )
        env.update(self.extra)
        return env

    def _runtime_dir(self) -> Path:
        path = self.data_dir / "run"
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)
        return path

    def zhujian(self, *args: str, quiet: bool = False) -> str:
        """Run a ``zhujian`` management command; its output, or a failure with that output."""
        proc = subprocess.run(
            [_zhujian_bin(), *args], env=self.vars(), cwd=ROOT, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"zhujian {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        if not quiet and proc.stdout.strip():
            print(textwrap.indent(proc.stdout.rstrip(), "    "), flush=True)
        return proc.stdout

    def django(self, code: str) -> Any:
        """Run ``code`` after ``django.setup()`` in a subprocess; it must ``emit(value)`` once (JSON)."""
        prelude = (
            "import json, sys, django\n"
            "django.setup()\n"
            "def emit(value):\n"
            "    text = json.dumps(value, ensure_ascii=False, default=str)\n"
            "    sys.stdout.write('\\n@@RESULT@@' + text + '\\n')\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", prelude + textwrap.dedent(code)],
            env=self.vars(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"Django snippet failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        for line in proc.stdout.splitlines():
            if line.startswith("@@RESULT@@"):
                return json.loads(line[len("@@RESULT@@") :])
        return None


# ----------------------------------------------------------------- database


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database of ``url`` if missing; True if it was created."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"need a PostgreSQL URL, got {url!r}")
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def psql_execute(url: str, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """One statement in autocommit (VACUUM works too); the rows, if any."""
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True) as conn:
        cur = conn.execute(statement, params)  # type: ignore[call-overload]
        return cur.fetchall() if cur.description else []


def mint_token(env: BenchEnv, username: str, name: str = "bench") -> str:
    """A fresh personal API token for ``username``; earlier bench tokens of that user are revoked."""
    return str(
        env.django(f"""
        from zhujian.accounts.models import ApiToken, User
        from zhujian.accounts.services import mint_personal_token, revoke_token
        user = User.objects.get(username={username!r})
        for old in ApiToken.objects.filter(user=user, name={name!r}, revoked_at__isnull=True):
            revoke_token(token=old, actor=user)
        # The bench user stands for someone who logged in with a second factor and then minted it.
        token, raw = mint_personal_token(user=user, name={name!r}, mfa_verified=True)
        emit(raw)
    """)
    )


# ----------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1  # what ``zhujian serve`` uses by default


@dataclass
class Server:
    """``zhujian serve`` on 127.0.0.1 in production mode; a context manager that always stops it."""

    env: BenchEnv
    workers: int = field(default_factory=default_workers)
    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Server:
        self.log_path = self.log_path or self.env.data_dir / "gunicorn.log"
        logfile = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [_zhujian_bin(), "serve", "--bind", f"{HOST}:{self.port}", "--workers", str(self.workers)],
            env=self.env.vars(),
            cwd=ROOT,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        logfile.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log_path}")
            with contextlib.suppress(OSError):
                status, _ = get(self.port, "/api/v1/ping")
                if status == 200:
                    return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log_path}")

    def check_alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError(
                f"gunicorn stopped during the run (exit {self.proc and self.proc.returncode}); "
                f"see {self.log_path}"
            )

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # the gunicorn master, which stops its workers
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own session only
            self.proc.wait(timeout=5)

    def __exit__(self, *exc: object) -> None:
        self.stop()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


# ----------------------------------------------------------------- load


@dataclass
class CpuUse:
    """CPU seconds over a run: the server (gunicorn + its PostgreSQL backends), the load clients, and
    everything else on the machine (other people's work: it makes the figures lower and noisier)."""

    gunicorn: float = 0.0
    postgres: float = 0.0
    clients: float = 0.0
    machine: float = 0.0  # all busy CPU time, from /proc/stat

    @property
    def background(self) -> float:
        return max(0.0, self.machine - self.gunicorn - self.postgres - self.clients)

    def __add__(self, other: CpuUse) -> CpuUse:
        return CpuUse(
            self.gunicorn + other.gunicorn,
            self.postgres + other.postgres,
            self.clients + other.clients,
            self.machine + other.machine,
        )


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _machine_busy() -> float:
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    return (sum(values[:8]) - values[3] - values[4]) / _TICK  # minus idle and iowait; no guest double count


def children_of(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(entry.name))
    return kids


@dataclass
class CpuWatch:
    """What to measure: the gunicorn master and workers, and the database's backends."""

    server_pid: int
    database_url: str

    def _backends(self) -> list[int]:
        name = urlsplit(self.database_url).path.lstrip("/")
        rows = psql_execute(
            self.database_url,
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        return [int(r[0]) for r in rows]

    def snapshot(self) -> tuple[dict[int, float], dict[int, float], float]:
        web = [self.server_pid, *children_of(self.server_pid)]
        return ({p: _proc_cpu(p) for p in web}, {p: _proc_cpu(p) for p in self._backends()}, _machine_busy())

    @staticmethod
    def between(
        before: tuple[dict[int, float], dict[int, float], float],
        after: tuple[dict[int, float], dict[int, float], float],
        clients: float,
    ) -> CpuUse:
        def delta(a: dict[int, float], b: dict[int, float]) -> float:
            return sum(max(0.0, cpu - a.get(pid, 0.0)) for pid, cpu in b.items())

        return CpuUse(delta(before[0], after[0]), delta(before[1], after[1]), clients, after[2] - before[2])


@dataclass
class Result:
    label: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    cpu: CpuUse | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the successful requests' latencies, in ms."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        rank = max(1, -(-len(ordered) * p // 100))  # ceil
        return ordered[int(rank) - 1]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    def line(self) -> str:
        return (
            f"{pad(self.label, 34)} p50 {self.p50:7.2f} ms   p95 {self.p95:7.2f} ms   "
            f"p99 {self.p99:7.2f} ms   {self.rps:8.1f} req/s   "
            f"({self.requests} requests, {self.errors} errors, {self.seconds:.1f} s)"
        )

    def cpu_line(self) -> str:
        """Server CPU per request (robust to background load, unlike requests/s) and the background."""
        if self.cpu is None or not self.requests:
            return f"{pad(self.label, 34)} (no CPU figures)"
        c, n = self.cpu, self.requests
        cores = os.cpu_count() or 1
        return (
            f"{pad(self.label, 34)} CPU per request: gunicorn {c.gunicorn * 1000 / n:6.2f} ms + postgres "
            f"{c.postgres * 1000 / n:6.2f} ms (clients {c.clients * 1000 / n:5.2f} ms);   background load "
            f"{c.background / self.seconds / cores:4.0%} of the machine"
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": self.label,
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50, 2),
            "p95_ms": round(self.p95, 2),
            "p99_ms": round(self.p99, 2),
        }
        if self.cpu is not None and self.requests:
            out.update(
                {
                    "gunicorn_cpu_ms_per_request": round(self.cpu.gunicorn * 1000 / self.requests, 3),
                    "postgres_cpu_ms_per_request": round(self.cpu.postgres * 1000 / self.requests, 3),
                    "client_cpu_ms_per_request": round(self.cpu.clients * 1000 / self.requests, 3),
                    "background_cpu_share": round(
                        self.cpu.background / self.seconds / (os.cpu_count() or 1), 3
                    ),
                }
            )
        return out


def _client(
    port: int,
    paths: list[str],
    headers: dict[str, str],
    offset: int,
    start_at: float,
    stop_at: float,
    out: Any,
) -> None:
    """One client: a persistent connection (re-opened when the server closes it), one request at a time."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    lat: list[float] = []
    errors = failing = 0
    i = offset
    n = len(paths)
    perf = time.perf_counter
    while time.time() < start_at:
        time.sleep(0.0005)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = usage.ru_utime + usage.ru_stime
    while True:
        t0 = perf()
        if time.time() >= stop_at:
            break
        try:
            conn.request("GET", paths[i % n], headers=headers)
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
            if resp.will_close:
                conn.close()
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
        if ok:
            lat.append((perf() - t0) * 1000.0)
            failing = 0
        else:
            errors += 1
            failing += 1
            if failing >= 100:  # the server is gone: stop rather than spin
                break
            time.sleep(0.01)
        i += 1
    conn.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.send((lat, errors, time.time(), usage.ru_utime + usage.ru_stime - cpu0))
    out.close()


def run_load(
    port: int,
    paths: Sequence[str],
    *,
    label: str,
    clients: int = 4,
    seconds: float = 10.0,
    headers: dict[str, str] | None = None,
    watch: CpuWatch | None = None,
) -> Result:
    """``clients`` processes send GETs back to back for ``seconds`` (cycling through ``paths``).

    With ``watch``, the CPU time of the server and of the rest of the machine is measured too.
    """
    ctx = mp.get_context("fork")
    start_at = time.time() + 0.3
    stop_at = start_at + seconds
    pipes, procs = [], []
    for k in range(clients):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_client, args=(port, list(paths), dict(headers or {}), k, start_at, stop_at, send)
        )
        proc.start()
        send.close()
        pipes.append(recv)
        procs.append(proc)
    before = None
    if watch is not None:
        while time.time() < start_at - 0.05:
            time.sleep(0.005)
        before = watch.snapshot()
    latencies: list[float] = []
    errors = 0
    ended = stop_at
    client_cpu = 0.0
    for recv in pipes:
        lat, err, end, cpu = recv.recv()
        latencies.extend(lat)
        errors += err
        ended = max(ended, end)
        client_cpu += cpu
    cpu_use = CpuWatch.between(before, watch.snapshot(), client_cpu) if watch is not None and before else None
    for proc in procs:
        proc.join()
    # Requests in flight at stop_at finish a little later; they count, and so does their time.
    elapsed = ended - start_at
    return Result(label, len(latencies), errors, elapsed, latencies, cpu_use)


def pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (CJK characters take two)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def machine_busy_share(seconds: float = 1.0) -> float:
    """How busy the whole machine is over ``seconds`` (0..1), e.g. before a run starts."""
    before = _machine_busy()
    time.sleep(seconds)
    return (_machine_busy() - before) / seconds / (os.cpu_count() or 1)


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({cpu or platform.processor()}), Python {platform.python_version()}"


@contextlib.contextmanager
def section(title: str) -> Iterator[None]:
    log(title)
    started = time.perf_counter()
    yield
    log(f"{title}: {time.perf_counter() - started:.1f} s")
