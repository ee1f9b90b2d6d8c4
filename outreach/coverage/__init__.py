"""Coverage targets: where are most residents still unrecorded (issue 13 section 1).

Import per-area e-KTP recording counts (:mod:`.importer`), rank the kelurahan and kecamatan by
the remaining gap (:mod:`.ranking`), and turn the top areas into collective sweep visits the
planner plans with the home visits (:mod:`.sweeps`). No flask here.
"""

from outreach.coverage.importer import (
    CoverageFileError,
    ImportResult,
    RowError,
    import_coverage,
    read_coverage_file,
)
from outreach.coverage.ranking import AreaCoverage, CoverageReport, coverage_report
from outreach.coverage.sweeps import (
    SWEEP_TURNOUT,
    CoverageError,
    SweepResult,
    create_sweeps,
    open_sweep_requests,
    sweep_lines,
    sweep_persons,
)

__all__ = [
    "SWEEP_TURNOUT",
    "AreaCoverage",
    "CoverageError",
    "CoverageFileError",
    "CoverageReport",
    "ImportResult",
    "RowError",
    "SweepResult",
    "coverage_report",
    "create_sweeps",
    "import_coverage",
    "open_sweep_requests",
    "read_coverage_file",
    "sweep_lines",
    "sweep_persons",
]
