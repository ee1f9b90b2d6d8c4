"""Geographic foundation: region packs, boundaries, road graphs, travel models, locating.

Modules (import what you need; nothing heavy happens at import of this package):

- :mod:`outreach.geo.packs`: find and validate a region pack folder.
- :mod:`outreach.geo.boundaries`: write a pack's kecamatan / kelurahan into the database.
- :mod:`outreach.geo.roads`: read OSM XML / PBF / GraphML into a cached, routable graph.
- :mod:`outreach.geo.network`: travel models (road network, great-circle fallback).
- :mod:`outreach.geo.locate`: point -> kelurahan / kecamatan.
"""
