"""bench/load.py: the exactly-once proof catches losses and duplicates; a small real run passes.

The small run is the real thing at a tiny size: a fresh SQLite database set up by the CLI,
gunicorn, 3 browser-like clients for 3 s, then a SIGKILL of gunicorn 1.5 s into a second run,
a restart, and the clients' retries with the same keys.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import sqlite_only

BENCH = Path(__file__).resolve().parent.parent / "bench" / "load.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_load", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module
    spec.loader.exec_module(module)
    return module


load = _load()
Ack = load.Ack


def test_all_there_once_is_ok() -> None:
    acks = [Ack("k1", "A-1"), Ack("k2", "A-2"), Ack("k2", "A-2")]  # k2 retried, same answer
    proof = load.check_exactly_once(acks, [("A-1", "k1"), ("A-2", "k2")], ["k1", "k2", "k2"])
    assert proof.ok, proof
    assert proof.acknowledged == 2
    assert proof.stored == 2


def test_a_lost_submission_is_found() -> None:
    proof = load.check_exactly_once(
        [Ack("k1", "A-1"), Ack("k2", "A-2")], [("A-1", "k1")], ["k1", "k2"]
    )
    assert not proof.ok
    assert proof.lost == ["A-2"]


def test_a_duplicate_is_found_by_key_and_by_receipt() -> None:
    # One key stored twice under two codes, and the client told two different codes.
    acks = [Ack("k1", "A-1"), Ack("k1", "A-9")]
    rows = [("A-1", "k1"), ("A-9", "k1")]
    proof = load.check_exactly_once(acks, rows, ["k1"])
    assert not proof.ok
    assert proof.duplicate_keys == ["k1"]
    assert proof.two_receipts == ["k1"]


def test_a_duplicate_code_an_extra_and_a_silent_row_are_found() -> None:
    rows = [("A-1", "k1"), ("A-1", "k1b"), ("Z-0", "nobody"), ("A-3", "k3")]
    proof = load.check_exactly_once([Ack("k1", "A-1")], rows, ["k1", "k1b", "k3"])
    assert proof.duplicate_codes == ["A-1"]
    assert proof.extra == ["Z-0"]  # a key no client sent
    assert proof.unacknowledged == ["A-3"]  # sent, stored, never answered (and not retried)
    summary = proof.summary()
    assert summary["ok"] is False
    assert summary["extra"] == 1


def test_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert load.percentile(values, 0.5) == pytest.approx(50.5)
    assert load.percentile(values, 0.95) == pytest.approx(95.05)
    assert load.percentile([], 0.5) is None
    assert load.latency_summary([0.1, 0.2])["p50_ms"] == pytest.approx(150.0)


def test_submissions_are_distinct_and_names_have_no_digits() -> None:
    a, b = load.submission(1), load.submission(2)
    assert a["nik"] != b["nik"]
    assert a["phone"] != b["phone"]
    assert not any(ch.isdigit() for ch in load.submission(123456)["person_name"])


@sqlite_only
def test_three_clients_three_seconds_and_a_kill(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    status = load.main(
        [
            "--database",
            "sqlite",
            "--clients",
            "3",
            "--seconds",
            "3",
            "--workers",
            "1",
            "--threads",
            "2",
            "--kill-after",
            "1.5",
            "--down",
            "0.5",
            "--warmup",
            "0",
            "--out",
            str(out),
        ]
    )
    result = json.loads(out.read_text())
    assert status == 0, result
    assert result["run"]["acknowledged"] > 0
    assert result["run"]["proof"]["ok"]
    assert result["fault"]["kills"][0]["processes_killed"] >= 2  # master and its worker
    assert result["fault"]["acknowledged"] > 0
    assert result["fault"]["proof"]["ok"]
    assert result["proof"]["ok"]
    assert result["proof"]["stored_total"] == result["proof"]["stored"]
