"""The Python API: ``import sr_audit`` gives resize, score, identify, evaluate and backends; they
print nothing, raise the package's own errors, and the CLI commands are layers over them."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import sr_audit
from sr_audit.cli.main import main_from_args
from sr_audit.errors import ImageError, SpecError, SrAuditError, SrAuditWarning
from sr_audit.image_io import write_image


def _image(h: int = 48, w: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (h // 4, w // 4, 3)).astype(np.float64)
    return np.clip(sr_audit.resize(small, "cv2:bilinear", size=(h, w)), 0, 255).round().astype(np.uint8)


def test_the_five_functions_are_there_and_documented() -> None:
    assert set(sr_audit.__all__) == {"resize", "score", "identify", "evaluate", "backends"}
    for name in sr_audit.__all__:
        function = getattr(sr_audit, name)
        assert callable(function), name
    for name in ("score", "identify", "evaluate", "backends"):
        doc = getattr(sr_audit.api, name).__doc__
        assert "Parameters" in doc or "check" in doc and ">>>" in doc, name
    assert sr_audit.resize is sr_audit.api.resize


def test_backends_call_is_the_registry_listing() -> None:
    statuses = sr_audit.backends()
    assert [s.name for s in statuses][:2] == ["pil", "cv2"]
    assert all(s.reason is None or "install" in s.reason or "import" in s.reason for s in statuses)


def test_score_of_arrays_equals_score_of_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hr = _image()
    sr = sr_audit.resize(sr_audit.resize(hr, "pil", scale="1/4"), "pil", scale=4)
    (tmp_path / "hr").mkdir()
    (tmp_path / "sr").mkdir()
    write_image(tmp_path / "hr" / "a.png", hr)
    write_image(tmp_path / "sr" / "a.png", sr)
    one = sr_audit.score(sr, hr, scale=4, protocol="basicsr")
    folders = sr_audit.score(tmp_path / "sr", tmp_path / "hr", scale=4, protocol="basicsr")
    row = folders.table.set_index("image").loc["a"]
    assert one.psnr_y == pytest.approx(row["psnr_y"], abs=0) and one.ssim_y == pytest.approx(row["ssim_y"], abs=0)
    assert capsys.readouterr() == ("", ""), "a library call prints nothing"


def test_score_says_what_it_did_as_warnings_and_refuses_bad_input() -> None:
    hr = _image(50, 42)
    sr = sr_audit.resize(sr_audit.resize(hr[:48, :40], "pil", scale="1/4"), "pil", scale=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores = sr_audit.score(sr, hr, scale=4)
    assert np.isfinite(scores.psnr_y)
    assert any(issubclass(w.category, SrAuditWarning) and "modcropped" in str(w.message) for w in caught)
    with pytest.raises(SpecError, match="scale"):
        sr_audit.score(sr, hr)
    with pytest.raises(ImageError, match="8-bit"):
        sr_audit.score(sr.astype(np.uint16), hr[:48, :40], scale=4)
    with pytest.raises(SpecError, match="one protocol"):
        sr_audit.score(sr, hr[:48, :40], scale=4, protocol=["matlab", "basicsr"])
    assert sr_audit.score(hr[:48, :40], hr[:48, :40], scale=4).psnr_y == np.inf


def test_evaluate_is_what_eval_prints(capsys: pytest.CaptureFixture[str]) -> None:
    ev = sr_audit.evaluate("bicubic", "embedded-eval", scale="1/3", backend="pil")
    assert capsys.readouterr() == ("", "")
    assert main_from_args(["eval", "--model", "bicubic", "--data", "embedded-eval", "--scale", "3", "--backend", "pil",
                           "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["mean"]["psnr_y"] == pytest.approx(ev.mean.psnr_y, abs=0)


def test_errors_are_the_package_own() -> None:
    with pytest.raises(SrAuditError):
        sr_audit.evaluate("no/such/model.pt", "embedded-eval")
    with pytest.raises(SrAuditError):
        sr_audit.identify("no/such/folder", "no/such/folder")
    with pytest.raises(SrAuditError):
        sr_audit.resize(np.zeros((4, 4), np.uint8), "nosuch", scale=2)


def test_score_of_arrays_refuses_several_protocols_however_written() -> None:
    hr = _image()[:48, :40]
    for several in ("matlab,basicsr", "all"):
        with pytest.raises(SpecError, match="one protocol"):
            sr_audit.score(hr, hr, scale=4, protocol=several)
