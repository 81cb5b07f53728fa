"""Headless Chromium (Debian's ``chromium`` package) for tests that open a page: the DOM after load,
console messages, a screenshot. No network: the page must stand alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-extensions", "--disable-sync", "--enable-logging=stderr", "--v=0")


def chromium() -> str:
    """The browser binary; a skip with the reason outside CI, a failure in CI (.ci/run installs it)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed: .ci/run installs Debian's chromium package", pytrace=False)
    pytest.skip("chromium is not installed (apt-get install -y chromium)")


def open_page(page: Path, *, screenshot: Path | None = None, timeout: float = 90) -> tuple[str, list[str]]:
    """(the DOM after load, console lines); with ``screenshot``, also a PNG of the page."""
    binary = chromium()
    with tempfile.TemporaryDirectory() as profile:
        argv = [binary, *FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1600"]
        if screenshot is not None:
            shot = subprocess.run([*argv, f"--screenshot={screenshot}", page.as_uri()], capture_output=True,
                                  text=True, timeout=timeout, check=False)
            assert shot.returncode == 0 and screenshot.exists(), shot.stderr[-2000:]
        proc = subprocess.run([*argv, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=timeout,
                              check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    return proc.stdout, console
