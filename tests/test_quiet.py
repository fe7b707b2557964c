"""No TensorFlow or absl log lines on the terminal: commands that resize with TensorFlow keep stderr clean."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sr_audit.backends.selection import backend_status
from sr_audit.image_io import write_image

#: What TensorFlow's start-up noise looks like on stderr.
NOISE_MARKERS = ("absl::InitializeLog", "port.cc", "oneDNN", "cpu_feature_guard", "TF_ENABLE_ONEDNN_OPTS")


def _tf_available() -> None:
    status = {s.name: s for s in backend_status()}
    if "tf" not in status or status["tf"].reason is not None:
        pytest.skip(f"TensorFlow backend unavailable: {status.get('tf') and status['tf'].reason}")


def test_resize_with_tensorflow_prints_no_log_lines(tmp_path: Path) -> None:
    _tf_available()
    write_image(tmp_path / "in.png", np.arange(24 * 24 * 3, dtype=np.uint32).reshape(24, 24, 3).astype(np.uint8))
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    proc = subprocess.run(
        [sys.executable, "-m", "sr_audit", "resize", str(tmp_path / "in.png"), "--backend", "tf:bicubic+aa",
         "--scale", "1/2", "--out-dir", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out").is_dir()
    assert not any(marker in proc.stderr for marker in NOISE_MARKERS), proc.stderr


def test_filter_keeps_what_is_not_start_up_noise() -> None:
    """The filter drops only the known start-up lines: anything else written meanwhile reaches fd 2."""
    _tf_available()
    script = (
        "import os\n"
        "from sr_audit.backends import tensorflow_image as t\n"
        "with t._startup_noise_filtered():\n"
        "    os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n')\n"
        "    os.write(2, b'I0000 00:00:1796156063.099152    6037 port.cc:153] oneDNN custom operations are on.\\n')\n"
        "    os.write(2, b'E0000 00:00:1796156063.099152    6037 foo.cc:1] a real error\\n')\n"
        "    os.write(2, b'something else\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == ["E0000 00:00:1796156063.099152    6037 foo.cc:1] a real error", "something else"]
