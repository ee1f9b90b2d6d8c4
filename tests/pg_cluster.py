"""Run a command against a throwaway PostgreSQL cluster (``make test`` runs the suite this way).

    python -m tests.pg_cluster [--] COMMAND [ARGS...]

Debian's ``postgresql`` is installed with apt-get when ``initdb``/``pg_ctl`` are missing (failing
loudly when it cannot be). A cluster is made in a temporary folder, listens on a unix socket in
that folder only (no TCP port) with trust authentication, and is stopped and removed when the
command ends -- also when it fails or is interrupted. The command gets
``OUTREACH_TEST_DATABASE_URL=postgresql+psycopg://postgres@/postgres?host=<folder>``: the test
fixtures (tests/conftest.py) create one database per test from it and drop it afterwards; and
``OUTREACH_TEST_POSTGRESQL_URL``, a scratch database for the pg_dump/pg_restore backup test.

initdb refuses to run as root: as root, the cluster belongs to the unprivileged ``postgres``
user (created by Debian's package) and runs under ``runuser``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ENV_VAR = "OUTREACH_TEST_DATABASE_URL"
# A database for tests/test_backup.py's pg_dump/pg_restore test (it wants a whole database).
SCRATCH_ENV_VAR = "OUTREACH_TEST_POSTGRESQL_URL"
SCRATCH_DB = "backup_scratch"
CLUSTER_USER = "postgres"


def _say(message: str) -> None:
    print(f"pg_cluster: {message}", file=sys.stderr, flush=True)


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding initdb and pg_ctl, or PATH's."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb).parent
    return None


def install_postgresql() -> Path:
    """Install Debian's postgresql with apt-get; exit with a clear message when that fails."""
    _say("initdb/pg_ctl not found: installing Debian's postgresql (apt-get install postgresql)")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            [*sudo, "apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(
            "ERROR: could not install PostgreSQL (apt-get install postgresql): "
            f"{exc}. The PostgreSQL test run needs initdb and pg_ctl."
        )
    bindir = find_bindir()
    if bindir is None:
        sys.exit("ERROR: PostgreSQL installed but initdb/pg_ctl still not found")
    return bindir


def _as_cluster_user(argv: list[str]) -> list[str]:
    """``argv`` run as the unprivileged cluster owner when we are root."""
    if os.geteuid() != 0:
        return argv
    if shutil.which("runuser"):
        return ["runuser", "-u", CLUSTER_USER, "--", *argv]
    return ["su", CLUSTER_USER, "-s", "/bin/sh", "-c", " ".join(map(shlex.quote, argv))]


@contextlib.contextmanager
def cluster() -> Iterator[str]:
    """Start a throwaway cluster; yield its SQLAlchemy URL; stop and remove it afterwards."""
    bindir = find_bindir() or install_postgresql()
    folder = Path(tempfile.mkdtemp(prefix="outreach-pg-"))
    owner = pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        try:
            entry = pwd.getpwnam(CLUSTER_USER)
        except KeyError:
            shutil.rmtree(folder, ignore_errors=True)
            sys.exit(f"ERROR: running as root and there is no '{CLUSTER_USER}' user for initdb")
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        owner = CLUSTER_USER
    data = folder / "data"
    log = folder / "server.log"
    started = False
    try:
        subprocess.run(
            _as_cluster_user(
                [
                    str(bindir / "initdb"),
                    "--pgdata",
                    str(data),
                    "--username",
                    owner,
                    "--auth",
                    "trust",
                    "--encoding",
                    "UTF8",
                    "--locale",
                    "C.UTF-8",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # Unix socket in the folder only; durability is irrelevant for a throwaway cluster.
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{folder}' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=300 -c shared_buffers=128MB"
        )
        subprocess.run(
            _as_cluster_user(
                [
                    str(bindir / "pg_ctl"),
                    "--pgdata",
                    str(data),
                    "--log",
                    str(log),
                    "--options",
                    options,
                    "--wait",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        started = True
        subprocess.run(
            _as_cluster_user(
                [str(bindir / "createdb"), "--host", str(folder), "--username", owner, SCRATCH_DB]
            ),
            check=True,
        )
        _say(f"PostgreSQL ({bindir.parent.name}) running on a unix socket in {folder}")
        yield f"postgresql+psycopg://{owner}@/postgres?host={folder}"
    except subprocess.CalledProcessError as exc:
        if log.exists():
            sys.stderr.write(log.read_text(errors="replace"))
        sys.exit(f"ERROR: could not start the PostgreSQL test cluster: {exc}")
    finally:
        if started:
            subprocess.run(
                _as_cluster_user(
                    [str(bindir / "pg_ctl"), "--pgdata", str(data), "--mode", "fast", "stop"]
                ),
                check=False,
                stdout=subprocess.DEVNULL,
            )
        shutil.rmtree(folder, ignore_errors=True)
        _say("cluster stopped and removed")


def main(argv: list[str]) -> int:
    """Run ``argv`` with the cluster's URL in the environment; return its exit status."""
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        sys.exit("usage: python -m tests.pg_cluster [--] COMMAND [ARGS...]")

    def _stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    with cluster() as url:
        started = time.monotonic()
        try:
            scratch = url.replace("/postgres?", f"/{SCRATCH_DB}?")
            env = {**os.environ, ENV_VAR: url, SCRATCH_ENV_VAR: scratch}
            status = subprocess.run(argv, env=env, check=False)
        except KeyboardInterrupt:
            return 130
        _say(f"command finished in {time.monotonic() - started:.0f} s (exit {status.returncode})")
        return status.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
