"""The athlete's own data: FIT/GPX/TCX files and Strava's bulk-export archive.

Import (``import_path``, or ``create_job`` + ``run_job`` for an upload handled by a
worker), merging with Strava API activities (``store_api_rows``), and what the narrator
may see (``narrator_input``). docs/files.md describes the rules.
"""

from fitcoach.files.errors import (
    CorruptFile,
    FilesError,
    TooLarge,
    UnknownAthlete,
    UnsafeArchive,
    UnsupportedFile,
)
from fitcoach.files.formats import SUPPORTED_SUFFIXES, is_supported_name, read_activity
from fitcoach.files.jobs import archive_covers_up_to, claim_job, create_job, pending_jobs
from fitcoach.files.limits import Limits, limits_from
from fitcoach.files.loads import coach_activity_with_streams, compute_stream_loads
from fitcoach.files.merge import Outcome, same_activity, store_api_rows
from fitcoach.files.narration import NarratorInput, narrator_input
from fitcoach.files.service import import_path, run_job
from fitcoach.files.summary import FileActivity

__all__ = [
    "SUPPORTED_SUFFIXES",
    "CorruptFile",
    "FileActivity",
    "FilesError",
    "Limits",
    "NarratorInput",
    "Outcome",
    "TooLarge",
    "UnknownAthlete",
    "UnsafeArchive",
    "UnsupportedFile",
    "archive_covers_up_to",
    "claim_job",
    "coach_activity_with_streams",
    "compute_stream_loads",
    "create_job",
    "import_path",
    "is_supported_name",
    "limits_from",
    "narrator_input",
    "pending_jobs",
    "read_activity",
    "run_job",
    "same_activity",
    "store_api_rows",
]
