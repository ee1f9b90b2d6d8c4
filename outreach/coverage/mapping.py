"""The coverage page's map: kelurahan shaded by the share of wajib KTP not yet recorded.

A folium map built like the other maps of the app (:mod:`outreach.render.maps`: the app's own
Leaflet, the road layer as base without tiles); only area figures, no resident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import folium
from folium.features import GeoJsonTooltip

from outreach.coverage.ranking import AreaCoverage
from outreach.render.elements import Legend
from outreach.render.mapdata import AreaShape, MapAssets, MapView
from outreach.render.maps import add_depot, base_map

# Share not recorded -> colour (ColorBrewer OrRd, 5 classes); the upper bounds are shares.
SHARE_CLASSES: tuple[tuple[float, str], ...] = (
    (0.01, "#fef0d9"),
    (0.02, "#fdcc8a"),
    (0.04, "#fc8d59"),
    (0.08, "#e34a33"),
    (float("inf"), "#b30000"),
)
NO_DATA = "#d9d9d9"


@dataclass(frozen=True)
class ShareArea:
    """A kelurahan outline with its figures (None: not in the import)."""

    shape: AreaShape
    figures: AreaCoverage | None


def share_color(share: float | None) -> str:
    """Fill colour of a share not recorded (grey when the area has no figures)."""
    if share is None:
        return NO_DATA
    return next(color for bound, color in SHARE_CLASSES if share < bound)


def percent(share: float) -> str:
    """``3,4%``: a share as read in Indonesian."""
    return f"{share * 100:.1f}%".replace(".", ",")


def _legend() -> str:
    items = []
    lower = 0.0
    for bound, color in SHARE_CLASSES:
        label = (
            f"{percent(lower)} – {percent(bound)}"
            if bound != float("inf")
            else f"≥ {percent(lower)}"
        )
        items.append(f'<li><span class="jb-dot" style="background:{color}"></span>{label}</li>')
        lower = bound
    items.append(f'<li><span class="jb-dot" style="background:{NO_DATA}"></span>tanpa data</li>')
    return (
        "<details open><summary>Belum rekam e-KTP</summary>"
        f"<ul>{''.join(items)}</ul>"
        '<p class="jb-note">Persentase wajib KTP yang belum rekam, per kelurahan.</p></details>'
    )


def make_coverage_map(
    *, view: MapView, assets: MapAssets, areas: Sequence[ShareArea]
) -> folium.Map:
    """A choropleth of the share not recorded per kelurahan, with the office marked."""
    m = base_map(view, assets)
    features = []
    for area in areas:
        fig = area.figures
        features.append(
            {
                "type": "Feature",
                "geometry": area.shape.geometry,
                "properties": {
                    # folium's GeoJsonTooltip writes these as HTML: escaped here.
                    "nama": escape(area.shape.name),
                    "kecamatan": escape(area.shape.kecamatan),
                    "belum": "-" if fig is None else f"{fig.not_recorded:,}".replace(",", "."),
                    "persen": "-" if fig is None else percent(fig.share),
                    "sisa": "-" if fig is None else f"{fig.remaining:,}".replace(",", "."),
                    "warna": share_color(None if fig is None else fig.share),
                },
            }
        )
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="Belum rekam per kelurahan",
        style_function=lambda f: {
            "color": "#5a3b1e",
            "weight": 1,
            "opacity": 0.7,
            "fillColor": f["properties"]["warna"],
            "fillOpacity": 0.65,
        },
        highlight_function=lambda _f: {"weight": 2.5, "opacity": 1.0},
        tooltip=GeoJsonTooltip(
            fields=["nama", "kecamatan", "belum", "persen", "sisa"],
            aliases=["Kelurahan", "Kecamatan", "Belum rekam", "Dari wajib KTP", "Sisa (perkiraan)"],
            sticky=False,
        ),
        overlay=True,
    ).add_to(m)
    add_depot(m, view)
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    Legend(_legend()).add_to(m)
    return m
