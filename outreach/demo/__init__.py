"""Demo data for `make demo`: an office for a real region, its teams and ~150 requests.

No flask here: :func:`seed_demo_data` takes a session and plain values; the CLI commits.
"""

from outreach.demo.seed import DemoSummary, seed_demo_data

__all__ = ["DemoSummary", "seed_demo_data"]
