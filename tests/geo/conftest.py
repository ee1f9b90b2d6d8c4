"""Fixtures of the geo tests: tiny region packs (see geo_builders) and a private cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from geo_builders import write_pack


@pytest.fixture
def regions_dir(tmp_path: Path) -> Path:
    """A search folder holding ``kota-uji`` (roads as OSM XML) and ``kota-uji-tanpa-jalan``."""
    root = tmp_path / "regions"
    write_pack(root / "kota-uji")
    write_pack(root / "kota-uji-tanpa-jalan", roads=None)
    return root


@pytest.fixture
def make_pack(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_pack("name", roads="osm.pbf", shift_lon=0.0)`` -> pack folder."""

    def make(name: str = "kota-uji", **kwargs: Any) -> Path:
        return write_pack(tmp_path / "packs" / name, **kwargs)

    return make


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"
