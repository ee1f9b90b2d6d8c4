"""Front-end assets served by the app itself from XStatic and npm packages (no CDN)."""

from __future__ import annotations

from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet
from flask import Blueprint, abort, send_from_directory
from flask.typing import ResponseReturnValue

from outreach.config import PROJECT_ROOT

bp = Blueprint("assets", __name__, url_prefix="/vendor")

# npm packages (package.json at the project root, installed by `make install` with `npm ci`).
NODE_MODULES = PROJECT_ROOT / "node_modules"

VENDOR_DIRS: dict[str, Path] = {
    "leaflet": Path(xs_leaflet.BASE_DIR),
    # IndexedDB key-value store: the field page's offline queue of outcomes.
    "idb-keyval": NODE_MODULES / "idb-keyval" / "dist",
    # Marker clusters on the coordinator's map (thousands of requests).
    "leaflet.markercluster": NODE_MODULES / "leaflet.markercluster" / "dist",
}


@bp.route("/<name>/<path:filename>")
def vendor(name: str, filename: str) -> ResponseReturnValue:
    """Serve a file of an installed front-end package."""
    base = VENDOR_DIRS.get(name)
    if base is None:
        abort(404)
    return send_from_directory(base, filename, max_age=86400)
