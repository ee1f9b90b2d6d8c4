"""Rendering: folium maps (home map, road base layer) from plain data; no flask, no database."""
