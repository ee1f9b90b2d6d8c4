"""Colours and Indonesian labels shared by every map and legend.

Kept in one place so a category has the same colour on the home map, the route map and the
printed sheet. Colours are from ColorBrewer/Tableau palettes, chosen to stay apart for the
common colour-vision deficiencies when read together with the legend text.
"""

from __future__ import annotations

CATEGORY_COLORS: dict[str, str] = {
    "darurat": "#c0392b",
    "sakit": "#e67e22",
    "disabilitas": "#8e44ad",
    "lansia": "#1f77b4",
    "kolektif": "#2e8b57",
    "pemula": "#17a2b8",
    "lainnya": "#7f8c8d",
}

CATEGORY_LABELS: dict[str, str] = {
    "darurat": "Darurat",
    "sakit": "Sakit",
    "disabilitas": "Disabilitas",
    "lansia": "Lansia",
    "kolektif": "Kolektif",
    "pemula": "Pemula",
    "lainnya": "Lainnya",
}

STATUS_LABELS: dict[str, str] = {
    "baru": "Baru (perlu verifikasi)",
    "terverifikasi": "Terverifikasi",
    "terjadwal": "Terjadwal",
    "selesai": "Selesai",
    "gagal": "Gagal",
    "batal": "Batal",
    "ditolak": "Ditolak",
    "digabung": "Digabung",
}

SERVICE_LABELS: dict[str, str] = {
    "perekaman_ktp": "Perekaman KTP-el",
    "cetak_ktp": "Cetak KTP-el",
    "kia": "KIA",
    "kk": "KK",
    "akta": "Akta",
    "pindah": "Pindah",
}

# Dark, saturated route colours that do not clash with the category fills of the markers.
TEAM_COLORS: tuple[str, ...] = (
    "#1a3e8c",
    "#b0245f",
    "#222222",
    "#8a5a00",
    "#5b2a86",
    "#006d77",
    "#6b4226",
    "#374151",
)

# Road base layer: width and colour per OSM highway class (a plain light basemap).
ROAD_CLASSES: dict[str, tuple[str, float]] = {
    "utama": ("#f2b36b", 4.0),  # motorway, trunk, primary
    "sekunder": ("#f6d58e", 3.2),  # secondary, tertiary
    "lokal": ("#9aa5b1", 1.6),  # residential, unclassified, living_street
    "layanan": ("#c3cad2", 0.9),  # service and anything else
}

WEEKDAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS_ID = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Mei",
    "Jun",
    "Jul",
    "Agu",
    "Sep",
    "Okt",
    "Nov",
    "Des",
)


def category_color(category: str) -> str:
    """Fill colour of a request category (grey for an unknown one)."""
    return CATEGORY_COLORS.get(category, CATEGORY_COLORS["lainnya"])


def team_color(index: int) -> str:
    """Route colour of the ``index``-th team (cycles when there are more teams than colours)."""
    return TEAM_COLORS[index % len(TEAM_COLORS)]
