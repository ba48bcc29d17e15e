"""Review page: a local, read-only web view of the run store (run list, run detail, waveforms, diffs)."""

from accelsmith.review._app import create_app
from accelsmith.review._load import RunDetail, load_run, run_folder
from accelsmith.review._serve import serve

__all__ = ["RunDetail", "create_app", "load_run", "run_folder", "serve"]
