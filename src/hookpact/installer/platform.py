"""hookpact's directories as platformdirs computes them (cold path: installer, CLI, doctor).

The hooks cannot import platformdirs (start-up cost), so core/dirs.py computes the same paths with
the standard library; tests/installer/test_platform.py holds the two to agreement. The
``HOOKPACT_STATE_DIR`` / ``HOOKPACT_DATA_DIR`` overrides win over both.
"""

from __future__ import annotations

import os
from typing import Any

APP = "hookpact"


def _dirs() -> Any:
    import platformdirs

    return platformdirs.PlatformDirs(APP, appauthor=False)


def state_dir() -> str:
    chosen = os.environ.get("HOOKPACT_STATE_DIR")
    return os.path.abspath(chosen) if chosen else str(_dirs().user_state_dir)


def data_dir() -> str:
    chosen = os.environ.get("HOOKPACT_DATA_DIR")
    return os.path.abspath(chosen) if chosen else str(_dirs().user_data_dir)
