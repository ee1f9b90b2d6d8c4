"""Load and faults: the public form under gunicorn, N concurrent residents, then SIGKILL.

A fresh data folder and database (SQLite in WAL mode, or a throwaway PostgreSQL cluster from
tests/pg_cluster.py) gets the schema (``outreach init-db``), Kota Yogyakarta (``region import``,
the road graph from the project's cache when it is there) and an office (``office set``). The app
then runs under gunicorn (gthread: ``--workers`` processes x ``--threads`` threads) and
``--clients`` threads submit the public form like a browser for ``--seconds``: GET the form (its
CSRF token and one-time submission key ``kunci``), POST it, follow the 303 to the receipt. Every
acknowledged submission (a 303 to ``/terima/<code>``) is recorded with its tracking code and key.

The rate limiter is switched off with the app's own setting (``OUTREACH_RATELIMIT_ENABLED=false``):
50 clients from one loopback address would otherwise hit the per-address limit, which is what it
is for. Each submission has its own NIK and phone number (the per-contact limit and the
duplicate check would otherwise answer, correctly, with the first request).

Reported: form posts/s (acknowledged), all requests/s, p50/p95/p99 latency of the POST and of
the GETs, and the proof that every acknowledged submission is in the database exactly once (by
tracking code and by submission key) and nothing else is. With ``--kill-after S[,S...]`` a fault
run follows: gunicorn's master and workers are SIGKILLed S seconds into the run and restarted;
clients retry every POST that got no answer with the same key and form, and the proof is run
again over both runs.

    .venv/bin/python bench/load.py --database sqlite --clients 50 --seconds 30 --kill-after 10,20
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import datetime as dt  # noqa: E402

import requests  # noqa: E402
from sqlalchemy import create_engine, select  # noqa: E402

from outreach import models  # noqa: E402
from outreach.intake.nik import make_nik  # noqa: E402

VENV_BIN = REPO / ".venv" / "bin"
RESULTS = REPO / "bench" / "results"
FORM_PATH = "/layanan/"
DEPOT = "110.3905,-7.8002"  # Jl. Kenari, Umbulharjo
KECAMATAN, KELURAHAN, KEC_CODE = "34.71.13", "34.71.13.1001", "347113"  # Umbulharjo, Semaki
_HIDDEN = re.compile(r'name="(csrf_token|kunci)" value="([^"]*)"')
_RECEIPT = re.compile(r"/terima/([A-Z0-9-]+)")
_SERIAL = itertools.count(1)


# --- the exactly-once proof (pure; tests/test_bench_load.py feeds it hand-made data) ----------


@dataclass(frozen=True)
class Ack:
    """A submission the app acknowledged: its one-time key and the tracking code it answered."""

    key: str
    code: str


@dataclass
class Proof:
    acknowledged: int
    stored: int
    lost: list[str] = field(default_factory=list)  # acknowledged codes not in the database
    duplicate_codes: list[str] = field(default_factory=list)  # a code stored more than once
    duplicate_keys: list[str] = field(default_factory=list)  # a key stored more than once
    two_receipts: list[str] = field(default_factory=list)  # one key answered with two codes
    wrong_key: list[str] = field(default_factory=list)  # code stored under another key
    extra: list[str] = field(default_factory=list)  # stored codes nobody sent (unknown key)
    unacknowledged: list[str] = field(default_factory=list)  # sent, stored, never answered

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.duplicate_codes
            or self.duplicate_keys
            or self.two_receipts
            or self.wrong_key
            or self.extra
            or self.unacknowledged
        )

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok}
        for name, value in asdict(self).items():
            out[name] = len(value) if isinstance(value, list) else value
        return out


def check_exactly_once(
    acks: Iterable[Ack], rows: Iterable[tuple[str, str | None]], sent_keys: Iterable[str]
) -> Proof:
    """Compare what clients were told with what the database holds.

    ``acks``: every acknowledgement a client saw (a retried key may appear more than once);
    ``rows``: (tracking_code, submission_key) of every stored request; ``sent_keys``: every key
    a client POSTed, answered or not.
    """
    acks = list(acks)
    rows = list(rows)
    sent = set(sent_keys)
    code_count = Counter(code for code, _ in rows)
    key_count = Counter(key for _, key in rows if key)
    key_of_code = {code: key for code, key in rows}
    codes_of_key: dict[str, set[str]] = {}
    for ack in acks:
        codes_of_key.setdefault(ack.key, set()).add(ack.code)
    acked_codes = {ack.code for ack in acks}
    proof = Proof(acknowledged=len(codes_of_key), stored=len(rows))
    proof.lost = sorted(code for code in acked_codes if code not in code_count)
    proof.duplicate_codes = sorted(code for code, n in code_count.items() if n > 1)
    proof.duplicate_keys = sorted(key for key, n in key_count.items() if n > 1)
    proof.two_receipts = sorted(key for key, codes in codes_of_key.items() if len(codes) > 1)
    proof.wrong_key = sorted(
        ack.code for ack in acks if ack.code in key_of_code and key_of_code[ack.code] != ack.key
    )
    for code, key in rows:
        if key is None or key not in sent:
            proof.extra.append(code)
        elif code not in acked_codes:
            proof.unacknowledged.append(code)
    return proof


def stored_rows(database_url: str) -> list[tuple[str, str | None]]:
    """(tracking_code, submission_key) of every request in the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            result = conn.execute(
                select(models.ServiceRequest.tracking_code, models.ServiceRequest.submission_key)
            )
            return [(str(code), key) for code, key in result]
    finally:
        engine.dispose()


# --- the clients ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def latency_summary(values: list[float]) -> dict[str, Any]:
    def ms(q: float) -> float | None:
        v = percentile(values, q)
        return None if v is None else round(v * 1000, 1)

    return {"n": len(values), "p50_ms": ms(0.5), "p95_ms": ms(0.95), "p99_ms": ms(0.99)}


def _letters(n: int) -> str:
    """A name part from a number (names may not hold digits): 1 -> "Ab", 2 -> "Ac", ..."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = "abcdefghijklmnopqrstuvwxyz"[r] + out
        if n == 0:
            return "A" + out


def submission(serial: int) -> dict[str, Any]:
    """A valid public form with its own NIK and phone number."""
    born = dt.date(1940, 1, 1) + dt.timedelta(days=serial // 9000)
    return {
        "person_name": f"Warga {_letters(serial)}",
        "nik": make_nik(KEC_CODE, born, female=serial % 2 == 0, serial=serial % 9000 + 1),
        "category": "sakit",
        "description": "Stroke sejak 2023, hanya bisa berbaring.",
        "services": ["perekaman_ktp"],
        "applicant_relation": "anak",
        "applicant_name": "Budi Santoso",
        "phone": f"0812{serial:08d}",
        "kecamatan": KECAMATAN,
        "kelurahan": KELURAHAN,
        "rt": str(serial % 20 + 1),
        "rw": str(serial % 9 + 1),
        "address_street": f"Jl. Kenari Gg. Mawar No. {serial % 200 + 1}",
        "landmark": "dekat masjid",
        "lon": "",
        "lat": "",
        "location_source": "",
        "avail-0-days": ["0", "1", "2"],
        "avail-0-start": "09:00",
        "avail-0-end": "12:00",
        "consent": "ya",
    }


@dataclass
class Tally:
    """What the clients saw; appended to from many threads (list.append is atomic)."""

    acks: list[Ack] = field(default_factory=list)
    sent_keys: list[str] = field(default_factory=list)
    post_latency: list[float] = field(default_factory=list)
    get_latency: list[float] = field(default_factory=list)
    receipt_latency: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)  # keys of POSTs without an answer
    retried: list[str] = field(default_factory=list)  # keys POSTed again after no answer
    gave_up: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Clients:
    """``n`` browser-like residents in threads, each with its own cookie jar."""

    def __init__(self, base: str, n: int, *, retry_for: float = 120.0) -> None:
        self.base = base
        self.n = n
        self.retry_for = retry_for
        self.tally = Tally()

    def run(self, seconds: float) -> float:
        """Submit until ``seconds`` have passed (requests in flight finish); wall time."""
        start = time.monotonic()
        deadline = start + seconds
        threads = [
            threading.Thread(target=self._client, args=(deadline,), daemon=True)
            for _ in range(self.n)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + self.retry_for + 60)
        return time.monotonic() - start

    def _client(self, deadline: float) -> None:
        http = requests.Session()
        url = self.base + FORM_PATH
        while time.monotonic() < deadline:
            try:
                self._one(http, url, deadline)
            except Exception as exc:  # a bench client keeps going; the error is counted
                self.tally.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                time.sleep(0.2)

    def _one(self, http: requests.Session, url: str, deadline: float) -> None:
        tally = self.tally
        t0 = time.perf_counter()
        try:
            page = http.get(url, timeout=30)
        except requests.RequestException:
            time.sleep(0.2)  # server down: try the form again
            return
        tally.get_latency.append(time.perf_counter() - t0)
        if page.status_code != 200:
            tally.statuses.append(page.status_code)
            time.sleep(0.2)
            return
        hidden = dict(_HIDDEN.findall(page.text))
        data = submission(next(_SERIAL))
        data["csrf_token"] = hidden.get("csrf_token", "")
        data["kunci"] = key = hidden.get("kunci", "")
        tally.sent_keys.append(key)
        give_up = max(deadline, time.monotonic()) + self.retry_for
        answered = False
        while not answered:
            t0 = time.perf_counter()
            try:
                res = http.post(url, data=data, allow_redirects=False, timeout=30)
            except requests.RequestException:
                res = None
            if res is None or res.status_code >= 500:
                # No answer (connection refused/reset, or the server failed): the browser's
                # "try again" -- the same form, the same key.
                tally.unanswered.append(key)
                if time.monotonic() > give_up:
                    tally.gave_up.append(key)
                    return
                time.sleep(0.3)
                tally.retried.append(key)
                continue
            answered = True
            tally.post_latency.append(time.perf_counter() - t0)
            tally.statuses.append(res.status_code)
            found = _RECEIPT.search(res.headers.get("Location", ""))
            if res.status_code != 303 or not found:
                return
            code = found.group(1)
            tally.acks.append(Ack(key=key, code=code))
            t0 = time.perf_counter()
            with contextlib.suppress(requests.RequestException):
                receipt = http.get(self.base + res.headers["Location"], timeout=30)
                if receipt.status_code == 200:
                    tally.receipt_latency.append(time.perf_counter() - t0)


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def uptime_load() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def children_of(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


class Server:
    """gunicorn with the app, started and SIGKILLed on demand."""

    def __init__(self, env: dict[str, str], port: int, workers: int, threads: int) -> None:
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
        self.base = f"http://127.0.0.1:{port}"
        self.workers = workers
        self.threads = threads
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(env["OUTREACH_DATA_DIR"]) / "gunicorn.log"

    def start(self) -> float:
        """Start and wait until the form answers; seconds it took."""
        t0 = time.monotonic()
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(VENV_BIN / "gunicorn"),
                    "-c",
                    "gunicorn.conf.py",
                    "--worker-class",
                    "gthread",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                    "--log-level",
                    "warning",
                    "wsgi:app",
                ],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        while time.monotonic() - t0 < 60:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {self.log}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.base + FORM_PATH, timeout=5).status_code == 200:
                    return time.monotonic() - t0
            time.sleep(0.1)
        raise SystemExit(f"gunicorn did not answer within 60 s; see {self.log}")

    def cpu_s(self) -> float:
        """CPU seconds (user + system) used so far by the master and its workers."""
        if self.proc is None:
            return 0.0
        total = 0
        for pid in [self.proc.pid, *children_of(self.proc.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        return total / os.sysconf("SC_CLK_TCK")

    def kill(self) -> int:
        """SIGKILL the master and every worker at once; how many processes were killed."""
        assert self.proc is not None
        pids = [self.proc.pid, *children_of(self.proc.pid)]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait()
        return len(pids)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def flask_cli(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", "outreach", *args],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database URL of ``kind`` (the PostgreSQL cluster is removed afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'outreach.db'}"
        return
    from tests.pg_cluster import cluster

    with cluster() as url:
        yield url


def app_env(folder: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    env.update(
        OUTREACH_DATA_DIR=str(folder),
        OUTREACH_DATABASE_URL=url,
        OUTREACH_SECRET_KEY="bench-load-secret-key-not-for-production",
        # Built road graphs are keyed by the source file's SHA-256: the project's cache is safe
        # to share and saves the 5 s cold build.
        OUTREACH_CACHE_DIR=str(REPO / "data" / "cache"),
        OUTREACH_MAP_TILES="none",
        # 50 clients on one loopback address: the per-address limits would stop them (as they
        # should stop one address flooding the form); the app's own switch turns them off.
        OUTREACH_RATELIMIT_ENABLED="false",
    )
    return env


def setup(env: dict[str, str]) -> None:
    flask_cli(env, "init-db")
    flask_cli(env, "region", "import", "kota-yogyakarta")
    flask_cli(
        env,
        "office",
        "set",
        "--name",
        "Disdukcapil Kota Yogyakarta",
        "--region",
        "kota-yogyakarta",
        "--depot",
        DEPOT,
        "--work-hours",
        "08:00-15:00",
    )


def run_summary(
    clients: Clients, wall: float, cpu_before: float, server_cpu: float | None = None
) -> dict[str, Any]:
    t = clients.tally
    client_cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu_before
    n_get, n_post, n_rec = len(t.get_latency), len(t.post_latency), len(t.receipt_latency)
    return {
        "wall_s": round(wall, 2),
        "acknowledged": len(t.acks),
        "form_posts_per_s": round(len(t.acks) / wall, 1),
        "requests_per_s": round((n_get + n_post + n_rec) / wall, 1),
        "post": latency_summary(t.post_latency),
        "get_form": latency_summary(t.get_latency),
        "get_receipt": latency_summary(t.receipt_latency),
        "statuses": dict(Counter(t.statuses)),
        "unanswered_posts": len(t.unanswered),
        "retried_posts": len(t.retried),
        "gave_up": len(t.gave_up),
        "client_errors": len(t.errors),
        "client_cpu_s": round(client_cpu, 1),
        # CPU the server spent per acknowledged submission (its GET, POST and receipt): a
        # figure the machine's other load does not change much. 2 cores / (server + client
        # CPU per submission) bounds the form posts/s this machine can do.
        "server_cpu_s": None if server_cpu is None else round(server_cpu, 1),
        "server_cpu_ms_per_submission": None
        if server_cpu is None or not t.acks
        else round(1000 * server_cpu / len(t.acks), 1),
        "client_cpu_ms_per_submission": round(1000 * client_cpu / len(t.acks), 1)
        if t.acks
        else None,
        "load_after": uptime_load(),
    }


def bench(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="outreach-load-"))
    with database(args.database, folder) as url:
        env = app_env(folder, url)
        setup(env)
        server = Server(env, free_port(), args.workers, args.threads)
        result: dict[str, Any] = {
            "database": args.database,
            "clients": args.clients,
            "seconds": args.seconds,
            "gunicorn": {
                "worker_class": "gthread",
                "workers": args.workers,
                "threads": args.threads,
            },
            "rate_limiter": "off (OUTREACH_RATELIMIT_ENABLED=false)",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "load_before": uptime_load(),
        }
        all_acks: list[Ack] = []
        all_sent: list[str] = []
        try:
            result["start_s"] = round(server.start(), 2)
            # Warm-up: every worker thread loads its templates and connections once.
            warm = Clients(server.base, args.clients)
            if args.warmup > 0:
                warm.run(args.warmup)
            all_acks += warm.tally.acks
            all_sent += warm.tally.sent_keys
            cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime
            server_cpu = server.cpu_s()
            clients = Clients(server.base, args.clients)
            wall = clients.run(args.seconds)
            all_acks += clients.tally.acks
            all_sent += clients.tally.sent_keys
            result["run"] = run_summary(clients, wall, cpu, server.cpu_s() - server_cpu)
            result["run"]["proof"] = check_exactly_once(
                clients.tally.acks, _fresh_rows(url, set(clients.tally.sent_keys)), all_sent
            ).summary()
            if args.kill_after:
                result["fault"] = fault_run(args, server, url, all_acks, all_sent)
        finally:
            server.stop()
            rows = stored_rows(url)
        # Over everything: warm-up, the measured run and the fault run.
        proof = check_exactly_once(all_acks, rows, all_sent)
        result["proof"] = proof.summary()
        result["proof"]["stored_total"] = len(rows)
    shutil.rmtree(folder, ignore_errors=True)
    return result


def _fresh_rows(url: str, keys: set[str]) -> list[tuple[str, str | None]]:
    """Stored rows of this run's keys (the warm-up's rows are left out)."""
    return [row for row in stored_rows(url) if row[1] in keys]


def fault_run(
    args: argparse.Namespace,
    server: Server,
    url: str,
    all_acks: list[Ack],
    all_sent: list[str],
) -> dict[str, Any]:
    kills = sorted(float(x) for x in str(args.kill_after).split(",") if x.strip())
    clients = Clients(server.base, args.clients)
    events: list[dict[str, Any]] = []

    def killer() -> None:
        start = time.monotonic()
        for at in kills:
            time.sleep(max(0.0, at - (time.monotonic() - start)))
            n = server.kill()
            down = time.monotonic()
            time.sleep(args.down)
            up = server.start()
            events.append(
                {
                    "killed_at_s": round(down - start, 2),
                    "processes_killed": n,
                    "down_s": round(time.monotonic() - down, 2),
                    "restart_s": round(up, 2),
                }
            )

    cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    k = threading.Thread(target=killer)
    k.start()
    wall = clients.run(args.seconds)
    k.join()
    all_acks += clients.tally.acks
    all_sent += clients.tally.sent_keys
    out = run_summary(clients, wall, cpu)
    out["kills"] = events
    out["proof"] = check_exactly_once(
        clients.tally.acks, _fresh_rows(url, set(clients.tally.sent_keys)), all_sent
    ).summary()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument(
        "--kill-after", default="", help="seconds into the fault run to SIGKILL (comma list)"
    )
    parser.add_argument("--down", type=float, default=1.0, help="seconds the server stays down")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    result = bench(args)
    out = args.out or RESULTS / f"load-{args.database}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    run = result["run"]
    print(
        f"{args.database}: {run['form_posts_per_s']} form posts/s, {run['requests_per_s']} req/s; "
        f"POST p50/p95/p99 {run['post']['p50_ms']}/{run['post']['p95_ms']}/"
        f"{run['post']['p99_ms']} ms; form GET p95 {run['get_form']['p95_ms']} ms; "
        f"proof {run['proof']}"
    )
    if "fault" in result:
        f = result["fault"]
        print(
            f"fault run: kills {f['kills']}; unanswered {f['unanswered_posts']}; proof {f['proof']}"
        )
    print(f"all: {result['proof']}; load before {result['load_before']}; wrote {out}")
    return 0 if result["proof"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
