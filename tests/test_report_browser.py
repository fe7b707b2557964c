"""Open report.html in a real headless Chromium: it must render (a non-trivial screenshot in which
the embedded heatmaps show) and log nothing to the console (the report has no JavaScript, so any
console line is an error). Skipped when no Chromium is installed (``apt-get install chromium``)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sr_audit.report import write_report
from test_store import write_synthetic_store

WIDTH, HEIGHT = 1280, 2200


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not found (chromium or chromium-browser on PATH); "
                                                          "install it with `apt-get install chromium`")


def test_report_renders_in_chromium_without_console_errors(tmp_path: Path) -> None:
    store = write_synthetic_store(tmp_path / "store")
    html = write_report(store).html
    shot = tmp_path / "shot.png"
    cmd = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
        f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={shot}", html.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, "\n".join(console)

    with Image.open(shot) as im:
        assert im.size == (WIDTH, HEIGHT)
        rgb = np.asarray(im.convert("RGB"), dtype=np.int16)
    assert shot.stat().st_size > 50_000
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 500, "the page looks blank or flat"
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    coloured = float(np.mean(saturation > 100))
    assert coloured > 0.02, f"only {coloured:.1%} of the page is coloured: the heatmaps did not render"
