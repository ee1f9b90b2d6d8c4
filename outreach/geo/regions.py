"""Region pack services behind the CLI: import, check, list (the caller commits)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import models
from outreach.geo.boundaries import import_region
from outreach.geo.lines import is_line_config, line_report, load_line_graph
from outreach.geo.packs import PackSummary, RegionPack, find_pack, list_packs
from outreach.geo.roads import check_roads_cover_boundary, load_road_graph


@dataclass(frozen=True)
class RegionReport:
    """What an import or check found."""

    slug: str
    name: str
    code: str
    kecamatan: int
    kelurahan: int
    road_nodes: int | None  # None: no roads, great-circle fallback
    road_edges: int | None
    graph_from_cache: bool
    seconds: float
    roads_note: str = ""  # line layers: what was snapped and dropped (LineReport.describe)

    def describe(self) -> str:
        """One line for the terminal."""
        if self.road_nodes is None:
            roads = "no roads: great-circle fallback"
        else:
            source = "cached" if self.graph_from_cache else "built and cached"
            roads = f"roads {self.road_nodes:,} nodes, {self.road_edges:,} edges ({source})"
            if self.roads_note:
                roads += f" [{self.roads_note}]"
        return (
            f"{self.slug} ({self.name}, {self.code}): {self.kecamatan} kecamatan, "
            f"{self.kelurahan} kelurahan; {roads}; {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class PackListing:
    """A pack found in the search folders and whether it is imported."""

    pack: PackSummary
    imported: bool


def import_pack(
    session: Session,
    slug_or_path: str,
    *,
    search_dirs: Sequence[str | Path],
    cache_dir: str | Path,
) -> RegionReport:
    """Find a pack, build (or load) its road graph, and import its boundaries. Does not commit.

    The road graph is built first: it validates the road file, and it warms the cache the
    planner loads from.

    Raises
    ------
    RegionError
        Anything wrong with the pack; the session is then left untouched.
    """
    started = time.perf_counter()
    pack = find_pack(slug_or_path, search_dirs=search_dirs)
    G = _load_graph(pack, cache_dir=cache_dir)
    import_region(session, pack, G=G)
    return _report(pack, G, started)


def check_pack(
    slug_or_path: str, *, search_dirs: Sequence[str | Path], cache_dir: str | Path
) -> RegionReport:
    """Validate a pack (files, codes, roads) without touching the database.

    The road graph is built (and cached) when it is not in the cache yet.
    """
    started = time.perf_counter()
    pack = find_pack(slug_or_path, search_dirs=search_dirs)
    G = _load_graph(pack, cache_dir=cache_dir)
    if pack.roads_file is not None:
        check_roads_cover_boundary(pack.roads_file, boundary=pack.boundary, G=G)
    return _report(pack, G, started)


def list_regions(session: Session, *, search_dirs: Sequence[str | Path]) -> list[PackListing]:
    """Packs in ``search_dirs``, each with whether it is imported into the database."""
    imported = set(session.scalars(select(models.RegionImport.slug)))
    return [PackListing(p, p.slug in imported) for p in list_packs(search_dirs=search_dirs)]


def _load_graph(pack: RegionPack, *, cache_dir: str | Path) -> nx.MultiDiGraph | None:
    if pack.roads_file is None:
        return None
    if is_line_config(pack.roads_file):
        return load_line_graph(pack.roads_file, boundary=pack.boundary, cache_dir=cache_dir)
    return load_road_graph(pack.roads_file, boundary=pack.boundary, cache_dir=cache_dir)


def _report(pack: RegionPack, G: nx.MultiDiGraph | None, started: float) -> RegionReport:
    lines = line_report(G) if G is not None else None
    return RegionReport(
        slug=pack.slug,
        name=pack.name,
        code=pack.code,
        kecamatan=len(pack.kecamatan),
        kelurahan=len(pack.kelurahan),
        road_nodes=None if G is None else len(G),
        road_edges=None if G is None else G.number_of_edges(),
        graph_from_cache=bool(G is not None and G.graph.get("loaded_from_cache")),
        seconds=time.perf_counter() - started,
        roads_note=f"{G.graph.get('road_source')}: {lines.describe()}" if G and lines else "",
    )
