"""Background work: run a slow task off the request, with its progress in the database.

For now a job runs *inline*: in a thread of the web process that submitted it. Its state lives
in the ``job`` table (:class:`outreach.models.Job`), not in memory, so any web worker can show
it and a later RQ worker (issue 12) can write it; moving onto RQ + Redis changes only
:func:`submit`.

A job's function gets a session of its own (from the factory) and a :class:`Progress` to report
with; it returns a small JSON-able result. The function's session is committed when it returns
and rolled back when it raises. What users read when a job fails is Indonesian:

- :class:`JobError` carries a text already written for users;
- any other :class:`~outreach.errors.OutreachError` becomes "<what> gagal: <its text>";
- anything else becomes :data:`UNEXPECTED` (the traceback goes to the log only; nothing logged
  here holds personal data: job ids, kinds and offices).

A job whose process died (queued or running, no sign of life for :data:`STALE_AFTER`) is shown
as failed by :func:`get_job`; it can be submitted again from its stored ``params``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from outreach import models
from outreach.errors import OutreachError

__all__ = [
    "STALE_AFTER",
    "UNEXPECTED",
    "JobError",
    "Progress",
    "get_job",
    "job_payload",
    "run_job",
    "submit",
]

logger = logging.getLogger(__name__)

Status = models.JobStatus
JobFunction = Callable[[Session, "Progress"], dict[str, Any]]

#: A queued or running job without progress for this long has died with its process.
STALE_AFTER = dt.timedelta(minutes=30)
UNEXPECTED = "Terjadi kesalahan tak terduga; coba lagi atau hubungi admin."
STALE = "Tugas terhenti sebelum selesai (server dimulai ulang?); silakan coba lagi."
#: How a failed job of each kind is named in its error ("Perencanaan gagal: ...").
KIND_LABELS = {"plan": "Perencanaan"}


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

    Returns
    -------
    str
        The job id (uuid4 hex).
    """
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
    thread = threading.Thread(
        target=run_job, args=(factory, job_id, fn), name=f"job-{job_id[:8]}", daemon=True
    )
    thread.start()
    return job_id


def run_job(factory: sessionmaker[Session], job_id: str, fn: JobFunction) -> None:
    """Run job ``job_id`` now, in this thread: what :func:`submit` starts (and RQ later will)."""
    now = models.utcnow()
    _update(factory, job_id, status=Status.RUNNING.value, started_at=now, text="Dimulai ...")
    progress = Progress(factory, job_id)
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
    except Exception:  # the thread must record every failure; the traceback goes to the log
        session.rollback()
        logger.exception("job %s failed unexpectedly", job_id)
        _fail(factory, job_id, UNEXPECTED)
        return
    finally:
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


def get_job(session: Session, job_id: str, *, now: dt.datetime | None = None) -> models.Job | None:
    """The job ``job_id`` (``None`` if there is none).

    A queued or running job with no sign of life for :data:`STALE_AFTER` is marked failed here
    (flushed, not committed) with a message asking to try again.
    """
    if len(job_id) != 32 or not all(c in "0123456789abcdef" for c in job_id):
        return None
    job = session.get(models.Job, job_id)
    if job is None:
        return None
    now = now or models.utcnow()
    alive = job.updated_at or job.started_at or job.created_at
    unfinished = job.status in (Status.QUEUED.value, Status.RUNNING.value)
    if unfinished and alive is not None and now - alive > STALE_AFTER:
        job.status = Status.FAILED.value
        job.error = STALE
        job.finished_at = now
        session.flush()
        logger.warning("job %s found stale, marked failed", job.id)
    return job


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
