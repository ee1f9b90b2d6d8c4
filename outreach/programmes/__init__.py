"""Recurring programmes: schools every Wednesday, kelurahan halls at weekends (issue 13 §2).

- :mod:`~outreach.programmes.places` -- import the places (CSV/XLSX, tolerant like letters).
- :mod:`~outreach.programmes.generate` -- one collective visit per matching date; holidays
  and school holidays move or skip it; generating twice creates nothing new.
- :mod:`~outreach.programmes.manage` -- create, change and list programmes (Indonesian errors).
- :mod:`~outreach.programmes.planning` -- programme days on weekdays closed for home visits,
  for :func:`outreach.planning.service.load_inputs`.

No flask here; nothing commits.
"""
