"""Every command prints the library's SrAuditWarnings as one line, ``sr-audit: note: ...``, in one place
(``sr_audit.cli.main``): never Python's ``file:line: SrAuditWarning: ...`` with a source line."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from sr_audit.cli.main import _notes_as_lines, main_from_args
from sr_audit.errors import SrAuditWarning
from sr_audit.image_io import write_image


@pytest.fixture()
def basicsr_set5(tmp_path: Path) -> Path:
    """BasicSR's ``Set5/GTmod12``: reading ``Set5`` gives a layout note."""
    rng = np.random.default_rng(0)
    (tmp_path / "Set5" / "GTmod12").mkdir(parents=True)
    for name in ("baby", "bird"):
        write_image(tmp_path / "Set5" / "GTmod12" / f"{name}.png", rng.integers(0, 256, (24, 24, 3), dtype=np.uint8))
    return tmp_path / "Set5"


def test_eval_prints_the_dataset_note_as_one_line_every_run(basicsr_set5: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["eval", "--model", "bicubic", "--data", str(basicsr_set5), "--scale", "2", "--backend", "pil", "--json"]
    line = f"sr-audit: note: data Set5: HR folder {basicsr_set5} -> {basicsr_set5 / 'GTmod12'} (layout)\n"
    for _ in range(2):  # a second run in the same process says it again
        assert main_from_args(argv) == 0
        captured = capsys.readouterr()
        assert captured.err == line and '"psnr_y"' in captured.out


def test_each_note_once_other_warnings_as_they_were(capsys: pytest.CaptureFixture[str]) -> None:
    shown_before = warnings.showwarning
    with pytest.warns(UserWarning, match="not ours"):
        with _notes_as_lines():
            warnings.warn("a padding was assumed", SrAuditWarning, stacklevel=1)
            warnings.warn("a padding was assumed", SrAuditWarning, stacklevel=1)
            warnings.warn("an HR modcropped", SrAuditWarning, stacklevel=1)
            warnings.warn("not ours", UserWarning, stacklevel=1)
    assert capsys.readouterr().err == "sr-audit: note: a padding was assumed\nsr-audit: note: an HR modcropped\n"
    assert warnings.showwarning is shown_before


def test_notes_before_an_error_and_the_handler_restored(basicsr_set5: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shown_before = warnings.showwarning
    code = main_from_args(["eval", "--model", "bicubic", "--data", str(basicsr_set5), "--scale", "2", "--backend", "pil",
                           "--protocol", "nope"])  # the data is read (a note), then the protocol refused
    lines = capsys.readouterr().err.splitlines()
    assert code == 2 and len(lines) == 2
    assert lines[0].startswith("sr-audit: note: data Set5: HR folder") and lines[1].startswith("sr-audit: error: ")
    assert warnings.showwarning is shown_before
