"""Coverage fixtures: a Kota Yogyakarta office (see tests/intake/yogya.py)."""

from tests.intake.yogya import staff_client, yapp, yclient, yogya_template

__all__ = ["staff_client", "yapp", "yclient", "yogya_template"]
