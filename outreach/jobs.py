"""Background work: run a slow task off the request, with its progress in the database.

A job's state lives in the ``job`` table (:class:`outreach.models.Job`), not in memory, so any
web worker can show it and any worker process can write it. Where the work runs:

- *inline* (no ``REDIS_URL``): in a thread of the process that submitted it (:func:`submit`);
- on *RQ* (``OUTREACH_REDIS_URL`` set): :func:`enqueue` stores the row and puts only the job id
  on the Redis queue; a worker on any machine (``flask --app wsgi outreach worker``) runs
  :func:`run_queued`, which reads the job's kind and params from the row and calls the kind's
  function from :mod:`outreach.job_kinds` with the worker's own app config.

:func:`enqueue` picks between the two, so callers describe a job by data (kind + params), never
by a closure.

A job's function gets a session of its own (from the factory) and a :class:`Progress` to report
with; it returns a small JSON-able result. The function's session is committed when it returns
and rolled back when it raises. What users read when a job fails is Indonesian:

- :class:`JobError` carries a text already written for users;
- any other :class:`~outreach.errors.OutreachError` becomes "<what> gagal: <its text>";
- anything else becomes :data:`UNEXPECTED` (the traceback goes to the log only; nothing logged
  here holds personal data: job ids, kinds and offices).

While a job runs, a heartbeat thread touches the row's ``updated_at`` every
``JOB_HEARTBEAT_SECONDS``. :func:`get_job` shows a job as failed when its worker died:

- running, and silent for :data:`DEAD_AFTER_BEATS` heartbeats (the worker process or its
  machine was killed: SIGKILL, OOM, power);
- on RQ, RQ itself says the job failed or no longer knows it (a forking worker's work horse
  killed, a job timeout, Redis emptied);
- queued or running and silent for :data:`STALE_AFTER` (the last resort, e.g. inline jobs of a
  web process restarted before they began).

It can then be submitted again from its stored ``params``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from outreach import models
from outreach.errors import OutreachError

if TYPE_CHECKING:
    from flask import Flask
    from redis import Redis
    from rq import Queue

__all__ = [
    "QUEUE_NAME",
    "STALE_AFTER",
    "UNEXPECTED",
    "WORKER_DIED",
    "JobError",
    "Progress",
    "death_of",
    "enqueue",
    "get_job",
    "job_file",
    "job_payload",
    "redis_connection",
    "rq_queue",
    "run_job",
    "run_queued",
    "submit",
]

logger = logging.getLogger(__name__)

Status = models.JobStatus
JobFunction = Callable[[Session, "Progress"], dict[str, Any]]

#: A queued or running job without progress for this long has died with its process.
STALE_AFTER = dt.timedelta(minutes=30)
UNEXPECTED = "Terjadi kesalahan tak terduga; coba lagi atau hubungi admin."
STALE = "Tugas terhenti sebelum selesai (server dimulai ulang?); silakan coba lagi."
WORKER_DIED = (
    "Pekerja latar yang menjalankan tugas ini berhenti di tengah jalan (prosesnya dimatikan "
    "atau mesinnya mati); silakan coba lagi."
)
TIMED_OUT = "Tugas melewati batas waktu dan dihentikan; silakan coba lagi."
NO_QUEUE = "Antrean tugas (Redis) tidak dapat dihubungi; silakan coba lagi nanti."
#: How a failed job of each kind is named in its error ("Perencanaan gagal: ...").
KIND_LABELS = {
    "plan": "Perencanaan",
    "replan": "Perencanaan",
    "day_pdf": "Pembuatan PDF",
    "export": "Ekspor",
    "region_import": "Impor wilayah",
}
#: The RQ queue every worker listens on.
QUEUE_NAME = "outreach"
#: Default seconds between heartbeats of a running job (config ``JOB_HEARTBEAT_SECONDS``).
HEARTBEAT_SECONDS = 15.0
#: A running job silent for this many heartbeats has lost its worker.
DEAD_AFTER_BEATS = 8
#: Default longest run of one RQ job (config ``JOB_TIMEOUT_SECONDS``).
JOB_TIMEOUT_SECONDS = 3 * 3600


class JobError(OutreachError):
    """Raised by a job's function with the Indonesian text users should read."""


class Progress:
    """Reports a job's progress: ``progress(done, total, text)`` stores it on the job row.

    Writes through a session of its own and commits at once, so other workers see it while
    the job's own session is still open.
    """

    def __init__(self, factory: sessionmaker[Session], job_id: str) -> None:
        self.factory = factory
        self.job_id = job_id

    def __call__(self, done: int, total: int, text: str) -> None:
        """Store ``done`` of ``total`` steps and the text of the step now running."""
        _update(
            self.factory,
            self.job_id,
            done=max(0, int(done)),
            total=max(0, int(total)),
            text=str(text)[:300],
        )


def submit(
    factory: sessionmaker[Session],
    *,
    kind: str,
    office_id: int,
    title: str,
    fn: JobFunction,
    params: dict[str, Any] | None = None,
    app: Flask | None = None,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> str:
    """Store a queued job and start it in a background thread.

    Parameters
    ----------
    factory
        Session factory; the job row is committed through a session of its own before the
        thread starts, and the thread opens its own sessions.
    kind
        What the job does (e.g. ``"plan"``); names it in error texts.
    office_id
        The office the job belongs to (its page is shown to that office only).
    title
        Indonesian title shown on the job page.
    fn
        ``fn(session, progress) -> result``: the work; its session is committed on return.
    params
        The job's inputs (JSON-able, no personal data), kept so it can be run again.
    app
        When given, the thread runs inside its app context (``current_app`` works there).
    heartbeat
        Seconds between the running job's signs of life.

    Returns
    -------
    str
        The job id (uuid4 hex).
    """
    job_id = _store(factory, kind=kind, office_id=office_id, title=title, params=params)

    def target() -> None:
        if app is None:
            run_job(factory, job_id, fn, heartbeat=heartbeat)
            return
        with app.app_context():
            run_job(factory, job_id, fn, heartbeat=heartbeat)

    thread = threading.Thread(target=target, name=f"job-{job_id[:8]}", daemon=True)
    thread.start()
    return job_id


def enqueue(
    app: Flask,
    *,
    kind: str,
    office_id: int,
    title: str,
    params: dict[str, Any],
) -> str:
    """Submit a job of a registered kind (:mod:`outreach.job_kinds`) described by data.

    With ``REDIS_URL`` in ``app.config`` the job goes on the RQ queue :data:`QUEUE_NAME` (any
    worker runs it with its own app); without it, it runs inline in a thread of this process.
    If Redis cannot be reached the job is stored as failed (:data:`NO_QUEUE`), so its page says
    so and offers a retry. Returns the job id.
    """
    from outreach import job_kinds

    job_kinds.get_kind(kind)  # an unknown kind is a programming error: fail here, not later
    factory: sessionmaker[Session] = app.extensions["outreach_sessionmaker"]
    heartbeat = heartbeat_seconds(app.config)
    redis_url = str(app.config.get("REDIS_URL") or "")
    if not redis_url:

        def work(session: Session, progress: Progress) -> dict[str, Any]:
            return job_kinds.run(kind, session, progress, dict(params))

        return submit(
            factory,
            kind=kind,
            office_id=office_id,
            title=title,
            fn=work,
            params=params,
            app=app,
            heartbeat=heartbeat,
        )
    job_id = _store(factory, kind=kind, office_id=office_id, title=title, params=params)
    try:
        rq_queue(redis_url).enqueue(
            run_queued,
            job_id,
            job_id=job_id,
            job_timeout=int(app.config.get("JOB_TIMEOUT_SECONDS") or JOB_TIMEOUT_SECONDS),
            result_ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
            description=f"{kind} office={office_id}",
        )
    except Exception:  # Redis down or refusing: the job is failed, its page offers a retry
        logger.exception("job %s could not be queued", job_id)
        _fail(factory, job_id, NO_QUEUE)
    else:
        logger.info("job %s (%s) queued on RQ", job_id, kind)
    return job_id


def run_queued(job_id: str) -> None:
    """The body of an RQ job: run the stored job ``job_id`` with this worker's app.

    The worker's app is ``current_app`` (``flask outreach worker`` runs in an app context) or,
    for a bare ``rq worker``, an app made here once per process from the worker's own
    configuration. A job already finished (done, or failed because it was found dead) is left
    alone: it is retried as a new job.
    """
    from flask import current_app, has_app_context

    from outreach import job_kinds

    app = current_app._get_current_object() if has_app_context() else _worker_app()  # type: ignore[attr-defined]
    with app.app_context():
        factory: sessionmaker[Session] = app.extensions["outreach_sessionmaker"]
        with factory() as session:
            row = session.get(models.Job, job_id)
            if row is None or row.status in (Status.DONE.value, Status.FAILED.value):
                logger.warning("job %s: nothing to run (missing or finished)", job_id)
                return
            kind, params = row.kind, dict(row.params or {})

        def work(session: Session, progress: Progress) -> dict[str, Any]:
            return job_kinds.run(kind, session, progress, params)

        run_job(factory, job_id, work, heartbeat=heartbeat_seconds(app.config))


_WORKER_APP: Flask | None = None


def _worker_app() -> Flask:
    global _WORKER_APP
    if _WORKER_APP is None:
        from outreach import create_app

        _WORKER_APP = create_app()
    return _WORKER_APP


_CLIENTS: dict[tuple[int, str], Redis] = {}
_CLIENTS_LOCK = threading.Lock()


def redis_connection(url: str) -> Redis:
    """The Redis client for ``url`` (one per process and URL, with its connection pool).

    ``redis+unix://`` (the rate limiter's form of a unix socket URL) is accepted.
    """
    from redis import Redis

    key = (os.getpid(), url)  # a forked process makes its own connections
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            plain = url
            if plain.startswith("redis+unix://"):
                plain = "unix://" + plain.removeprefix("redis+unix://")
            client = _CLIENTS[key] = Redis.from_url(plain)
        return client


def rq_queue(url: str) -> Queue:
    """The RQ queue :data:`QUEUE_NAME` on the Redis at ``url``."""
    from rq import Queue

    return Queue(QUEUE_NAME, connection=redis_connection(url))


def job_file(config: Mapping[str, Any], job_id: str, suffix: str, *, create: bool = False) -> Path:
    """Where job ``job_id`` keeps its file: ``DATA_DIR/jobs/<job id><suffix>``.

    With ``create`` the folder and an empty file are made, readable by the owner only.

    Workers on other machines must share ``DATA_DIR`` (or at least ``DATA_DIR/jobs``) with the
    web servers for the file to be downloaded.
    """
    from outreach.db import private_dir, private_file

    if len(job_id) != 32 or not all(c in "0123456789abcdef" for c in job_id):
        msg = f"not a job id: {job_id!r}"
        raise ValueError(msg)
    path = Path(str(config["DATA_DIR"])) / "jobs" / f"{job_id}{suffix}"
    if create:
        private_dir(path.parent)
        private_file(path)
    return path


def heartbeat_seconds(config: Mapping[str, Any]) -> float:
    """``JOB_HEARTBEAT_SECONDS`` from ``config`` (a positive number; default 15)."""
    try:
        value = float(config.get("JOB_HEARTBEAT_SECONDS") or HEARTBEAT_SECONDS)
    except (TypeError, ValueError):
        value = HEARTBEAT_SECONDS
    return value if value > 0 else HEARTBEAT_SECONDS


def run_job(
    factory: sessionmaker[Session],
    job_id: str,
    fn: JobFunction,
    *,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> None:
    """Run job ``job_id`` now, in this thread: what :func:`submit` starts and RQ workers run.

    A heartbeat thread touches the row every ``heartbeat`` seconds until ``fn`` returns.
    """
    now = models.utcnow()
    _update(factory, job_id, status=Status.RUNNING.value, started_at=now, text="Dimulai ...")
    progress = Progress(factory, job_id)
    stop = threading.Event()
    beating = threading.Thread(
        target=_beat, args=(factory, job_id, heartbeat, stop), name=f"beat-{job_id[:8]}"
    )
    beating.daemon = True
    beating.start()
    session = factory()
    try:
        result = fn(session, progress)
        session.commit()
    except JobError as exc:
        session.rollback()
        _fail(factory, job_id, str(exc))
        logger.info("job %s failed: %s", job_id, exc)
        return
    except OutreachError as exc:
        session.rollback()
        kind = _kind(factory, job_id)
        _fail(factory, job_id, f"{KIND_LABELS.get(kind, 'Tugas')} gagal: {exc}")
        logger.info("job %s (%s) failed: %s", job_id, kind, type(exc).__name__)
        return
    except Exception as exc:  # every failure is recorded; the traceback goes to the log
        session.rollback()
        if type(exc).__name__ == "JobTimeoutException":  # RQ's job_timeout
            logger.warning("job %s timed out", job_id)
            _fail(factory, job_id, TIMED_OUT)
            return
        logger.exception("job %s failed unexpectedly", job_id)
        _fail(factory, job_id, UNEXPECTED)
        return
    finally:
        stop.set()
        session.close()
    _update(
        factory,
        job_id,
        status=Status.DONE.value,
        result=dict(result or {}),
        finished_at=models.utcnow(),
        text="Selesai.",
    )
    logger.info("job %s done", job_id)


def get_job(
    session: Session,
    job_id: str,
    *,
    now: dt.datetime | None = None,
    config: Mapping[str, Any] | None = None,
) -> models.Job | None:
    """The job ``job_id`` (``None`` if there is none).

    An unfinished job whose worker died is marked failed here (flushed, not committed) with a
    message asking to try again (:func:`death_of`). Pass the app's ``config`` for the heartbeat
    and RQ checks; without it only :data:`STALE_AFTER` applies.
    """
    if len(job_id) != 32 or not all(c in "0123456789abcdef" for c in job_id):
        return None
    job = session.get(models.Job, job_id)
    if job is None:
        return None
    if job.status not in (Status.QUEUED.value, Status.RUNNING.value):
        return job
    now = now or models.utcnow()
    error = death_of(job, now, config)
    if error:
        job.status = Status.FAILED.value
        job.error = error
        job.finished_at = now
        job.text = "Gagal."
        session.flush()
        logger.warning("job %s found dead, marked failed", job.id)
    return job


def death_of(job: models.Job, now: dt.datetime, config: Mapping[str, Any] | None) -> str:
    """Why the unfinished ``job`` is dead (the text users read), or ``""`` while it lives.

    - On RQ (``REDIS_URL``): RQ says it failed, was stopped, or no longer has it (a forking
      worker's horse killed, a job timeout, Redis emptied): dead. RQ says it is still waiting
      in the queue: alive, however long the queue (``plan-all`` over many offices).
    - Running (or taken by an RQ worker that never started it) and silent for
      :data:`DEAD_AFTER_BEATS` heartbeats: its worker was killed (SIGKILL, OOM, power). RQ's
      own abandoned-job check would take the job timeout + 60 s for a SimpleWorker.
    - Otherwise silent for :data:`STALE_AFTER`: dead (e.g. an inline job of a restarted web).
    """
    alive = job.updated_at or job.started_at or job.created_at
    silent = now - alive if alive is not None else dt.timedelta(0)
    rq_status = ""
    if config is not None and config.get("REDIS_URL"):
        rq_status, rq_started = _rq_state(str(config["REDIS_URL"]), job.id)
        if rq_status in ("missing", "failed", "stopped", "canceled"):
            return WORKER_DIED
        if rq_status in ("queued", "deferred", "scheduled") and job.status == Status.QUEUED.value:
            return ""
        if rq_status == "started" and job.status == Status.QUEUED.value and rq_started:
            silent = now - rq_started  # taken by a worker that died before it began
    if config is not None and (job.status == Status.RUNNING.value or rq_status == "started"):
        beats = dt.timedelta(seconds=DEAD_AFTER_BEATS * heartbeat_seconds(config))
        if silent > beats:
            return WORKER_DIED
    return STALE if silent > STALE_AFTER else ""


def _rq_state(redis_url: str, job_id: str) -> tuple[str, dt.datetime | None]:
    """RQ's status of job ``job_id`` ("missing" when RQ has no such job) and its start (UTC).

    Redis unreachable: ``("", None)``, no verdict (the heartbeat still tells a dead worker).
    """
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob

    try:
        rq_job = RQJob.fetch(job_id, connection=redis_connection(redis_url))
        status = rq_job.get_status()
    except NoSuchJobError:
        return "missing", None
    except Exception:  # Redis down: no verdict from RQ
        logger.warning("job %s: RQ could not be asked", job_id)
        return "", None
    started = rq_job.started_at
    if started is not None and started.tzinfo is not None:
        started = started.astimezone(dt.UTC).replace(tzinfo=None)
    return str(status.value if status is not None else ""), started


def job_payload(job: models.Job) -> dict[str, Any]:
    """What the job page and its JSON show: status, progress, text, error and result."""
    percent = 0
    if job.status == Status.DONE.value:
        percent = 100
    elif job.total:
        percent = max(0, min(99, round(100 * job.done / job.total)))
    return {
        "id": job.id,
        "kind": job.kind,
        "title": job.title,
        "status": job.status,
        "finished": job.status in (Status.DONE.value, Status.FAILED.value),
        "done": job.done,
        "total": job.total,
        "percent": percent,
        "text": job.text,
        "error": job.error if job.status == Status.FAILED.value else "",
        "result": dict(job.result or {}),
    }


# --- writing the job row ---------------------------------------------------------------------


def _store(
    factory: sessionmaker[Session],
    *,
    kind: str,
    office_id: int,
    title: str,
    params: dict[str, Any] | None,
) -> str:
    job_id = uuid.uuid4().hex
    with factory() as session:
        session.add(
            models.Job(
                id=job_id,
                kind=kind,
                office_id=office_id,
                title=title[:200],
                status=Status.QUEUED.value,
                params=dict(params or {}),
                result={},
                text="Menunggu giliran ...",
            )
        )
        session.commit()
    return job_id


def _beat(factory: sessionmaker[Session], job_id: str, every: float, stop: threading.Event) -> None:
    """Touch the running job's row every ``every`` seconds until ``stop`` is set."""
    while not stop.wait(every):
        try:
            with factory() as session:
                job = session.get(models.Job, job_id)
                if job is None or job.status != Status.RUNNING.value:
                    return
                job.updated_at = models.utcnow()
                session.commit()
        except Exception:  # a busy database: the next beat tries again
            logger.warning("job %s: heartbeat not stored", job_id)


def _update(factory: sessionmaker[Session], job_id: str, **values: Any) -> None:
    with factory() as session:
        job = session.get(models.Job, job_id)
        if job is None:
            return
        for key, value in values.items():
            setattr(job, key, value)
        job.updated_at = models.utcnow()
        session.commit()


def _fail(factory: sessionmaker[Session], job_id: str, error: str) -> None:
    _update(
        factory,
        job_id,
        status=Status.FAILED.value,
        error=error,
        finished_at=models.utcnow(),
        text="Gagal.",
    )


def _kind(factory: sessionmaker[Session], job_id: str) -> str:
    with factory() as session:
        job = session.get(models.Job, job_id)
        return job.kind if job is not None else ""
