"""Kota Yogyakarta road graph: cold build vs cached load (seconds and peak memory).

Each measurement runs in a fresh Python process (imports excluded from the timings), so the peak
resident memory (``ru_maxrss``) belongs to that step alone. The cache lives in a temporary
folder, emptied before the cold build.

    .venv/bin/python bench/region_import.py
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "regions"
RESULTS = REPO / "bench" / "results"
SLUG = "kota-yogyakarta"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(step: str, cache_dir: str) -> None:
    """One measured step; prints a JSON line."""
    sys.path.insert(0, str(REPO))
    from outreach.geo.network import RoadNetwork
    from outreach.geo.packs import find_pack
    from outreach.geo.roads import load_road_graph

    pack = find_pack(SLUG, search_dirs=[SHARED])
    assert pack.roads_file is not None
    before = _rss_mb()
    started = time.perf_counter()
    G = load_road_graph(pack.roads_file, boundary=pack.boundary, cache_dir=cache_dir)
    if step == "network":
        started = time.perf_counter()  # time only the RoadNetwork set-up on a cached graph
        RoadNetwork(G)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "step": step,
                "seconds": seconds,
                "rss_before_mb": before,
                "peak_rss_mb": _rss_mb(),
                "from_cache": G.graph["loaded_from_cache"],
                "nodes": len(G),
                "edges": G.number_of_edges(),
            }
        )
    )


def run(step: str, cache_dir: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", step, "--cache-dir", str(cache_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child")
    parser.add_argument("--cache-dir")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.cache_dir)
        return

    rows: list[dict[str, object]] = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
            cache_dir = Path(tmp)
            rows.append(run("cold build", cache_dir))
            rows.append(run("cached load", cache_dir))
            rows.append(run("network", cache_dir))
    summary = []
    for step in ("cold build", "cached load", "network"):
        mine = [r for r in rows if r["step"] == step]
        summary.append(
            {
                "step": step,
                "median_s": statistics.median(float(str(r["seconds"])) for r in mine),
                "peak_rss_mb": max(float(str(r["peak_rss_mb"])) for r in mine),
                "rss_before_mb": min(float(str(r["rss_before_mb"])) for r in mine),
                "from_cache": mine[0]["from_cache"],
                "runs": len(mine),
            }
        )
    nodes, edges = rows[0]["nodes"], rows[0]["edges"]
    print(f"\nKota Yogyakarta roads: {nodes:,} nodes, {edges:,} edges ({args.repeat} runs each)\n")
    print("| step | median s | peak RSS MB | RSS before MB | from cache |")
    print("|---|---|---|---|---|")
    labels = {"network": "RoadNetwork set-up (cached graph)"}
    for s in summary:
        label = labels.get(str(s["step"]), s["step"])
        print(
            f"| {label} | {float(str(s['median_s'])):.2f} | {float(str(s['peak_rss_mb'])):.0f} "
            f"| {float(str(s['rss_before_mb'])):.0f} | {s['from_cache']} |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "region_import.json"
    out.write_text(
        json.dumps(
            {
                "machine": platform.platform(),
                "nodes": nodes,
                "edges": edges,
                "summary": summary,
                "runs": rows,
            },
            indent=2,
        )
    )
    print(f"\nwritten {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
