"""``sr-audit compare`` and ``sr-audit kernels``: the library functions, their files and the CLI."""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sr_audit import backends
from sr_audit.backends.selection import backend_status, select_specs
from sr_audit.cli.main import main_from_args
from sr_audit.colour import rgb_to_y
from sr_audit.audit.compare import IDENTICAL, compare_backends, mean_psnr, plot_pair_heatmap, report_markdown
from sr_audit.degradation import modcrop
from sr_audit.errors import DataError, ImageError, SpecError
from sr_audit.image_io import write_image
from sr_audit.audit.kernels import impulse_response, scale_fraction, summary_table
from sr_audit.metrics import psnr
from sr_audit.resize import conventions_of, resize

RNG = np.random.default_rng(3)
IDENTICAL_RGB = (0xF2, 0xC1, 0x4E)  # the heatmap's colour for identical pairs


def smooth_rgb(h: int, w: int) -> np.ndarray:
    """A textured but band-limited test image (random values, upsampled)."""
    coarse = RNG.integers(0, 256, (h // 4 + 1, w // 4 + 1, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(coarse).resize((w, h), Image.Resampling.BILINEAR))


@pytest.fixture()
def hr_folder(tmp_path: Path) -> Path:
    """Three HR images: RGB 31x40 (not a multiple of 3), gray 24x27, and a flat RGB 18x18."""
    folder = tmp_path / "hr"
    folder.mkdir()
    write_image(folder / "a_rgb.png", smooth_rgb(31, 40))
    write_image(folder / "b_gray.bmp", smooth_rgb(24, 27)[:, :, 1])
    write_image(folder / "c_flat.png", np.full((18, 18, 3), 90, np.uint8))
    return folder


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main_from_args(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ----------------------------------------------------------------------------- compare


def test_compare_values_match_a_direct_computation(hr_folder: Path) -> None:
    specs = ["pil:bicubic+aa", "pil:bilinear+aa"]
    result = compare_backends(hr_folder, 3, specs, progress=False)
    assert result.n_images == 3 and result.shave == 3
    hr = modcrop(np.asarray(Image.open(hr_folder / "a_rgb.png")), 3)
    lr = {s: resize(hr, s, size=(10, 13)) for s in specs}
    row = result.pairs.set_index("image").loc["a_rgb"]
    assert row["rgb"] == pytest.approx(psnr(lr[specs[0]], lr[specs[1]], data_range=255))
    assert row["y"] == pytest.approx(psnr(rgb_to_y(lr[specs[0]]), rgb_to_y(lr[specs[1]]), data_range=255))
    # grayscale stays grayscale and is its own Y
    gray = modcrop(np.asarray(Image.open(hr_folder / "b_gray.bmp")), 3)
    g = {s: resize(gray, s, size=(8, 9)) for s in specs}
    row = result.pairs.set_index("image").loc["b_gray"]
    assert row["y"] == pytest.approx(psnr(g[specs[0]], g[specs[1]], data_range=255)) == row["rgb"]
    # round trip against HR, shaved by the scale
    up = resize(lr[specs[0]], specs[0], size=hr.shape[:2])
    trip = result.roundtrip.set_index(["image", "spec"]).loc[("a_rgb", specs[0])]
    assert trip["rgb"] == pytest.approx(psnr(hr[3:-3, 3:-3], up[3:-3, 3:-3], data_range=255))


def test_identical_outputs_are_inf_and_reported_as_such(hr_folder: Path, tmp_path: Path) -> None:
    specs = ["pil:bicubic+aa", "pil:bilinear+aa"]
    result = compare_backends(hr_folder, 3, specs, progress=False)
    flat = result.pairs.set_index("image").loc["c_flat"]
    assert math.isinf(flat["y"]) and math.isinf(flat["rgb"])
    finite = result.pairs[result.pairs["image"] != "c_flat"]["y"]
    # the mean leaves the identical image out and says so
    assert result.pair_matrix("y").loc[specs[0], specs[1]] == pytest.approx(finite.mean())
    text = report_markdown(result, "hr")
    assert "(1/3 identical)" in text and "| — |" in text
    only_flat = compare_backends(hr_folder / "c_flat.png", 3, specs, progress=False)
    assert math.isinf(only_flat.pair_matrix("y").loc[specs[0], specs[1]])
    assert f"| {IDENTICAL} |" in report_markdown(only_flat, "flat")
    # the heatmap paints identical pairs in their own colour, and only then
    plot_pair_heatmap(only_flat, "y", tmp_path / "flat.png")
    plot_pair_heatmap(result, "y", tmp_path / "mixed.png")
    for name, expected in (("flat.png", True), ("mixed.png", False)):
        pixels = np.asarray(Image.open(tmp_path / name).convert("RGB")).reshape(-1, 3)
        assert bool((pixels == IDENTICAL_RGB).all(axis=1).any()) is expected, name


def test_mean_psnr() -> None:
    assert mean_psnr(pd.Series([30.0, 40.0, math.inf])) == 35.0
    assert math.isinf(mean_psnr(pd.Series([math.inf, math.inf])))


def test_compare_every_available_backend_on_rgb_and_gray(hr_folder: Path) -> None:
    selection = select_specs("all")
    if len(selection.specs) < 2:
        pytest.skip(f"fewer than two backends available; skipped: {[s.name for s in selection.skipped]}")
    result = compare_backends(hr_folder, 3, selection.specs, skipped=selection.skipped, progress=False)
    assert result.specs == [str(s) for s in selection.specs]
    n = len(selection.specs)
    assert len(result.pairs) == 3 * n * (n - 1) // 2 and len(result.roundtrip) == 3 * n
    assert (result.roundtrip_summary()["y"] > 20).all()


@pytest.mark.parametrize(
    ("scale", "specs", "pattern"),
    [(1, ["pil", "pil:box"], "at least 2"), (3, ["pil"], "at least two different"), (3, ["pil", "pil:bicubic+aa"], "at least two different")],
)
def test_compare_argument_errors(hr_folder: Path, scale: int, specs: list[str], pattern: str) -> None:
    with pytest.raises(SpecError, match=pattern):
        compare_backends(hr_folder, scale, specs, progress=False)


def test_compare_refuses_16bit(tmp_path: Path) -> None:
    write_image(tmp_path / "a.png", np.zeros((12, 12), np.uint16))
    with pytest.raises(DataError, match="8-bit"):
        compare_backends(tmp_path, 3, ["pil", "pil:box"], progress=False)


def test_compare_cli_writes_tables_and_heatmap(hr_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, stdout, err = run_cli(capsys, "compare", "--data", str(hr_folder), "--scale", "3",
                                "--backends", "pil,pil:bilinear,pil:box", "--out", str(out))
    assert code == 0, err
    assert "| PSNR (dB) | pil:bicubic+aa | pil:bilinear+aa | pil:box+aa |" in stdout
    for name in ("compare.md", "pairs.csv", "pairs_mean.csv", "roundtrip.csv", "pairs_y.png"):
        assert f"{out / name}" in stdout
        assert (out / name).stat().st_size > 0
    with open(out / "pairs_mean.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3 and set(rows[0]) == {"a", "b", "y", "y_identical_images", "rgb", "rgb_identical_images"}
    assert {r["y_identical_images"] for r in rows} == {"1"}
    assert Image.open(out / "pairs_y.png").format == "PNG"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--scale", "1"], "not an integer super-resolution factor of at least 2"),
        (["--scale", "2.5"], "not an integer super-resolution factor of at least 2"),
        (["--scale", "y3"], "not an integer super-resolution factor of at least 2"),
        (["--scale", "3", "--backends", "pil,nosuch"], "--backends: unknown backend 'nosuch'; available backends: pil"),
        (["--scale", "3", "--backends", "pil,,pil:box"], "--backends 'pil,,pil:box' has an empty item"),
        # duplicates after resolution are dropped, which leaves compare one spec
        (["--scale", "3", "--backends", "pil,pil:bicubic"], "at least two different backend specs, got: pil:bicubic+aa"),
    ],
)
def test_compare_cli_errors(hr_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            options: list[str], expected: str) -> None:
    code, _, err = run_cli(capsys, "compare", "--data", str(hr_folder), *options, "--out", str(tmp_path / "o"))
    assert code == 2 and err.count("\n") == 1 and expected in err and "Traceback" not in err


def test_compare_set5_x3_roundtrip_matches_published_bicubic(shared_datasets: Path) -> None:
    """Paper bicubic Set5 x3 = 30.39 dB (paper_results.csv; MATLAB double path, no rounding of LR).
    The legacy uint8 path rounds the LR to 8 bits, so it may differ by a few hundredths."""
    status = {s.name: s for s in backend_status()}
    if "matlab" not in status or status["matlab"].reason is not None:
        pytest.skip("backend 'matlab' is not available")
    result = compare_backends(shared_datasets / "Set5", 3, ["matlab", "matlab-legacy"], progress=False)
    assert result.roundtrip_summary().loc["matlab:bicubic+aa", "y"] == pytest.approx(30.39, abs=0.05)


# ----------------------------------------------------------------------------- kernels


def keys_cubic(x: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel with coefficient ``a``."""
    x = np.abs(x)
    inner = (a + 2) * x**3 - (a + 3) * x**2 + 1
    outer = a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a
    return np.where(x <= 1, inner, np.where(x < 2, outer, 0.0))


def test_scale_fraction() -> None:
    assert scale_fraction("1/3") == scale_fraction(1 / 3) == pytest.approx(1 / 3)
    assert scale_fraction("3/4").denominator == 4
    for bad in ("0.3333", "1/1001", "0"):
        with pytest.raises(SpecError):
            scale_fraction(bad)


def widened_keys(offsets: np.ndarray, a: float, s: float) -> np.ndarray:
    """Keys' cubic widened by 1/s, normalised per output pixel as Pillow and MATLAB do: the taps of
    one output pixel are the offsets x + m for integers m, and their weights sum to 1."""
    m = np.arange(-50, 51)
    total = (s * keys_cubic((offsets[:, None] + m[None, :]) * s, a)).sum(axis=1)
    return s * keys_cubic(offsets * s, a) / total


@pytest.mark.parametrize("scale", ["1/3", "1/2", "2", "3/4", "2/5"])
def test_pil_bicubic_taps_and_sweep_are_widened_keys(scale: str) -> None:
    r = impulse_response("pil:bicubic+aa", scale)
    s = min(float(scale_fraction(scale)), 1.0)
    np.testing.assert_allclose(r.tap_weights, widened_keys(r.tap_offsets, -0.5, s), atol=2e-6)
    assert r.curve_scale == pytest.approx(float(scale_fraction(scale)), rel=1e-3)
    np.testing.assert_allclose(r.curve_weights, widened_keys(r.curve_offsets, -0.5, min(r.curve_scale, 1.0)),
                               atol=2e-6)
    assert r.frequency_response(np.array([0.0]))[0] == pytest.approx(1.0)


def test_taps_sample_every_phase_and_sweep_is_dense() -> None:
    r = impulse_response("pil:bicubic+aa", "3/4")
    # taps on a grid of spacing 1/3 with no gaps inside the window
    assert np.allclose(np.diff(r.tap_offsets), 1 / 3)
    r = impulse_response("pil", "1/3")
    assert np.allclose(np.diff(r.tap_offsets), 1.0)
    inside = np.abs(r.curve_offsets) < r.half_width()
    assert np.diff(r.curve_offsets[inside]).max() < 0.1


def test_box_taps_and_frequency_response() -> None:
    r = impulse_response("pil:box+aa", "1/3")
    np.testing.assert_allclose(r.tap_weights[np.abs(r.tap_offsets) <= 1], 1 / 3, atol=1e-7)
    np.testing.assert_allclose(r.tap_weights[np.abs(r.tap_offsets) > 1], 0.0, atol=1e-7)
    f = np.linspace(0.01, 0.5, 50)
    # the swept kernel is a box 3 pixels wide: its transform is sinc(3 f)
    np.testing.assert_allclose(r.frequency_response(f), np.abs(np.sinc(3 * f)), atol=0.02)


def test_output_clipping_does_not_hide_negative_lobes() -> None:
    """scikit-image clips its output to the input's range by default; the pedestal keeps the cubic
    spline's negative lobes measurable."""
    status = {s.name: s for s in backend_status()}.get("skimage")
    if status is None or status.reason is not None:
        pytest.skip("backend 'skimage' is not available" + (f": {status.reason}" if status else ""))
    r = impulse_response("skimage:bicubic", "2")
    assert r.curve_weights.min() < -0.05
    # two phases per input pixel, each summing to 1, less the spline's tail beyond the 6-pixel window
    assert r.tap_weights.sum() == pytest.approx(2.0, abs=1e-3)


def test_nearest_is_a_single_tap() -> None:
    r = impulse_response("pil:nearest", "1/3")
    assert r.tap_weights.max() == 1.0 and np.count_nonzero(r.tap_weights) == 1


@pytest.mark.parametrize("name", backends.names())
def test_measured_kernel_matches_declared_conventions(name: str) -> None:
    """Every Keys-cubic backend with half-pixel centres: the measured kernel at 1/3 (taps and sweep)
    is Keys' cubic with the declared a, widened by 3 when it declares antialiasing."""
    status = {s.name: s for s in backend_status()}[name]
    if status.reason is not None:
        pytest.skip(f"backend {name!r} is unavailable: {status.reason}")
    conv = conventions_of(status.default_spec)
    if conv.cubic_a is None or conv.pixel_centre != "half-pixel":
        pytest.skip(f"{status.default_spec} is not a half-pixel Keys cubic (a={conv.cubic_a}, {conv.pixel_centre})")
    r = impulse_response(status.default_spec, "1/3")
    np.testing.assert_allclose(r.tap_weights, widened_keys(r.tap_offsets, conv.cubic_a, 1 / 3 if conv.antialias else 1.0),
                               atol=1e-5)
    s = r.curve_scale if conv.antialias else 1.0
    # looser: some libraries (OpenCV, TensorFlow, torch) compute source coordinates in float32, so
    # phases ~3000 pixels into the sweep row are off by up to ~5e-4 pixel, which moves a weight by up
    # to ~1e-3 where the kernel is steep; a wrong a or widening is off by more than 1e-2
    np.testing.assert_allclose(r.curve_weights, widened_keys(r.curve_offsets, conv.cubic_a, s), atol=2e-3)
    # the deepest negative lobe of Keys' cubic is 4a/27, divided by the widening
    assert r.curve_weights.min() == pytest.approx(4 * conv.cubic_a / 27 * (1 / 3 if conv.antialias else 1), abs=2e-3)


def test_kernels_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "k"
    code, stdout, err = run_cli(capsys, "kernels", "--scale", "1/3", "--backends", "pil,pil:bilinear", "--out", str(out))
    assert code == 0, err
    assert "| pil:bicubic+aa | -0.5 | True | 5.97 | 0.333 | -0.0247 | 0.492 | 9 |" in stdout
    for name in ("kernels.png", "kernels.csv", "kernels_frequency.csv"):
        assert f"{out / name}" in stdout and (out / name).stat().st_size > 0
    table = pd.read_csv(out / "kernels.csv")
    assert list(table.columns) == ["spec", "sampling", "offset", "weight"]
    assert set(table["spec"]) == {"pil:bicubic+aa", "pil:bilinear+aa"}
    assert set(table["sampling"]) == {"taps", "sweep"}
    sums = table[table["sampling"] == "taps"].groupby("spec")["weight"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-6)  # integer offsets: partition of unity
    freq = pd.read_csv(out / "kernels_frequency.csv")
    assert freq.groupby("spec")["frequency"].max().eq(0.5).all()


def test_kernels_summary_reports_declared_and_measured() -> None:
    table = summary_table([impulse_response("pil", "1/3"), impulse_response("pil:nearest", "1/3")])
    assert table.loc["pil:bicubic+aa", "half_width_px"] == pytest.approx(6.0, abs=0.1)
    assert table.loc["pil:bicubic+aa", "nonzero_taps"] == 9 and table.loc["pil:nearest-aa", "nonzero_taps"] == 1
    assert table.loc["pil:bicubic+aa", "gain_at_nyquist"] < 0.6 < table.loc["pil:nearest-aa", "gain_at_nyquist"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [(["--scale", "1/0"], "not a number or fraction"), (["--scale", "0.3333"], "ratio of integers")],
)
def test_kernels_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], expected: str) -> None:
    code, _, err = run_cli(capsys, "kernels", *options, "--backends", "pil", "--out", str(tmp_path / "k"))
    assert code == 2 and err.count("\n") == 1 and expected in err and "Traceback" not in err


@pytest.mark.parametrize("spec", ["pil", "matlab"])
def test_kernel_measured_over_its_full_support_at_large_downscales(spec: str) -> None:
    """At 1/200 an antialiased cubic spans 2 * 200 input pixels on each side: all of it is measured
    (with 64 sweep impulses only 64 of the 200 residues were seen and the support came out 363)."""
    r = impulse_response(spec, "1/200")
    assert 398.0 <= r.half_width() <= 400.0
    # the swept samples leave no gap of two pixels or more inside the support (the kernel spans 800 px)
    inside = r.curve_offsets[np.abs(r.curve_offsets) <= 400.0]
    assert inside.min() < -398.0 and inside.max() > 398.0 and np.diff(inside).max() < 2.0


def test_kernel_unwindowed_cubic_at_large_downscale_is_measured() -> None:
    r = impulse_response("cv2:bicubic", "1/200")
    assert 1.9 <= r.half_width() <= 2.0


@pytest.mark.parametrize("scale", ["1000", "1/400"])
def test_kernels_refuse_rows_too_long_to_measure(scale: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "kernels", "--scale", scale, "--backends", "pil", "--out", str(tmp_path / "k"))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "needs rows of" in err and "between about 1/300 and 700" in err


@pytest.mark.parametrize("scale", ["3", "x3", "1/3"])
def test_compare_scale_grammar_and_set_names(scale: str, shared_datasets: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """``--scale`` takes the factor in every spelling; ``--data`` takes a set name; ``--out-dir`` is an alias."""
    code, stdout, err = run_cli(capsys, "compare", "--data", "Set5", "--data-root", str(shared_datasets), "--scale", scale,
                                "--backends", "pil,cv2", "--out-dir", str(tmp_path / "o"))
    assert code == 0, err
    assert "5 images, modcropped to a multiple of 3" in stdout
    rows = pd.read_csv(tmp_path / "o" / "pairs.csv")
    assert sorted(rows["image"]) == ["baby_GT", "bird_GT", "butterfly_GT", "head_GT", "woman_GT"]


def test_figures_leave_matplotlib_process_state_alone(hr_folder: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The heatmap and the kernel figure are standalone Figures on an Agg canvas: no backend
    switch (``matplotlib.use``) and no pyplot figure left behind in the caller's process."""
    import matplotlib
    import matplotlib.pyplot as plt

    from sr_audit.audit.kernels import plot_responses

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a library function switched matplotlib's backend")

    monkeypatch.setattr(matplotlib, "use", refuse)
    figures = plt.get_fignums()
    backend = matplotlib.get_backend()
    plot_pair_heatmap(compare_backends(hr_folder, 3, ["pil:bicubic+aa", "pil:bilinear+aa"], progress=False), "y",
                      tmp_path / "heat.png")
    plot_responses([impulse_response("pil:bicubic+aa", "1/3")], tmp_path / "kernels.png")
    assert plt.get_fignums() == figures and matplotlib.get_backend() == backend
    assert Image.open(tmp_path / "heat.png").size[0] > 100 and Image.open(tmp_path / "kernels.png").size[0] > 100
