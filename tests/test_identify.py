"""sr-audit identify: LR sets made here with known pipelines are named correctly (each pair on its own,
down-then-up, resize-to-fit, non-integer and size-specified scales), the equal set is complete, a
match needs exact pixels, and the legacy data is named."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sr_audit import backends
from sr_audit.audit.identify import (
    AA_IDENTITY_BELOW,
    NONLOCAL,
    Equivalence,
    MatchCriterion,
    Method,
    Search,
    _applicable,
    _Computation,
    _finish,
    _Pair,
    _step_spec,
    candidate_specs,
    down_up_geometries,
    fitting_scales,
    geometries,
    identify,
    report_text,
)
from sr_audit.cli.main import main_from_args
from sr_audit.colour import rgb_to_y
from sr_audit.degradation import modcrop
from sr_audit.errors import DataError, ImageError, SpecError
from sr_audit.image_io import from_unit_float, im2double, write_image
from sr_audit.resize import resize
from sr_audit.rounding import quantize

SCALE = 3


def _hr_images() -> dict[str, np.ndarray]:
    """Three small HR images, one grayscale, sides not all multiples of the scale."""
    import skimage.data

    return {
        "cat": np.ascontiguousarray(skimage.data.chelsea()[100:163, 150:244]),  # 63x94: width needs modcrop
        "tissue": np.ascontiguousarray(skimage.data.immunohistochemistry()[200:248, 40:112]),  # 48x72
        "camera": np.ascontiguousarray(skimage.data.camera()[60:120, 200:266]),  # grayscale 60x66
    }


def _low(hr: np.ndarray, spec: str, compute: str, scale: int = SCALE) -> np.ndarray:
    hr = modcrop(hr, scale)
    size = (hr.shape[0] // scale, hr.shape[1] // scale)
    if compute == "uint8":
        return resize(hr, spec, size=size)
    return from_unit_float(resize(im2double(hr), spec, size=size))  # rounds half away from zero


def _write_set(root: Path, make_lr, images: dict[str, np.ndarray] | None = None) -> tuple[Path, Path]:
    hr_dir, lr_dir = root / "HR", root / "LR"
    hr_dir.mkdir(parents=True)
    lr_dir.mkdir()
    for name, hr in (images or _hr_images()).items():
        write_image(hr_dir / f"{name}.png", hr)
        write_image(lr_dir / f"{name}.png", make_lr(hr))
    return hr_dir, lr_dir


def _named(result) -> set[str]:
    v = result.verdict
    return {m.label for m in (v.method, *v.equal)}


def _matched(result, method: Method) -> bool:
    return result.verdict.match and method.label in _named(result)


@pytest.mark.parametrize(
    ("spec", "compute", "scale"),
    [
        ("cv2:area", "uint8", 3),
        ("pil:lanczos3", "uint8", 3),
        ("torch:bicubic+aa", "uint8", 3),
        ("matlab-legacy", "uint8", 3),
        ("matlab", "float", 3),
        ("skimage:bicubic-aa", "uint8", 2),
    ],
)
def test_identifies_generated_sets(tmp_path: Path, spec: str, compute: str, scale: int) -> None:
    hr_dir, lr_dir = _write_set(tmp_path, lambda hr: _low(hr, spec, compute, scale))
    result = identify(hr_dir, lr_dir, progress=False)
    canonical = str(backends.resolve(spec))
    rounding = "library" if compute == "uint8" else "half-away-from-zero"
    expected = Method(canonical, compute, rounding, "as-is")
    assert result.scale == scale and result.scale_source == "inferred from the sizes"
    assert _matched(result, expected), report_text(result)
    assert result.verdict.pairs_matched == result.verdict.pairs_won == result.verdict.n_pairs == 3
    assert result.verdict.mean_exact == 1.0
    assert (result.best["exact"] == 1.0).all()
    # the cat image is 63x94: the width needs a modcrop at x2 and x3, and the geometry says so
    assert result.best.set_index("pair").loc["cat", "geometry"] == "modcrop"
    assert result.verdict.geometry == "modcrop"


def test_area_averages_are_equal_and_listed(tmp_path: Path) -> None:
    """At an integer factor OpenCV, TF and torch area and MATLAB's box (float) give the same image."""
    hr_dir, lr_dir = _write_set(tmp_path, lambda hr: _low(hr, "cv2:area", "uint8"))
    result = identify(hr_dir, lr_dir, progress=False)
    named = _named(result)
    assert {
        "cv2:area-aa uint8 as-is",
        "tf:area-aa uint8 as-is",
        "torch:area-aa uint8 as-is",
        "matlab:box+aa float/half-away-from-zero as-is",
    } <= named, report_text(result)
    text = report_text(result)
    assert "these cannot be told apart on this data" in text and "tf:area-aa [uint8, float/" in text
    assert result.equivalence.describe() in text
    v = result.verdict
    assert len(v.equal_exact) == len(v.equal) and all(0.9 < e <= 1.0 for e in v.equal_exact)
    assert f"equal to {v.method.label} on every pair ({len(v.equal)}; mean exact-match)" in text


def test_unantialiased_kernels_are_equal_at_odd_factors(tmp_path: Path) -> None:
    """Without antialiasing at x3 every half-pixel kernel samples input pixel 3i+1 exactly: all are
    equal, while OpenCV's nearest (asymmetric: pixel 3i) is not."""
    hr_dir, lr_dir = _write_set(tmp_path, lambda hr: _low(hr, "skimage:bicubic-aa", "uint8"))
    result = identify(hr_dir, lr_dir, progress=False)
    named = _named(result)
    assert {"skimage:bicubic-aa uint8 as-is", "matlab:nearest-aa uint8 as-is", "torch:bicubic-aa uint8 as-is"} <= named
    assert "cv2:nearest-aa uint8 as-is" not in named


def test_equivalence_rule_is_data() -> None:
    rule = Equivalence(max_abs_diff=1, max_fraction=0.01)
    a = np.zeros((20, 20, 3), np.uint8)
    b = a.copy()
    b[0, 0, 1] = 1  # one pixel of 400 (0.25 %) one grey level off
    assert rule.equal(a, b) and not Equivalence(max_fraction=0.0).equal(a, b)
    b[0, 0, 1] = 2
    assert not rule.equal(a, b)  # two grey levels
    b = a.copy()
    b[:1, :5] = 1  # 5 of 400 pixels (1.25 %)
    assert not rule.equal(a, b)
    assert "1 grey level" in rule.describe() and "1.00%" in rule.describe()
    with pytest.raises(SpecError, match="max_fraction"):
        Equivalence(max_fraction=1.5)
    with pytest.raises(SpecError, match="min_exact_fraction"):
        MatchCriterion(min_exact_fraction=0.0)


def test_bicubic_aa_libraries_and_bilinear_area_x2_are_one_set(tmp_path: Path) -> None:
    """On the float path Pillow, TensorFlow and torch antialiased bicubic are the same arithmetic
    (up to one grey level at .5 ties); so are OpenCV/TF bilinear and OpenCV area at x2: each set is
    listed whole, and Pillow's fixed-point uint8 path (which rounds between its passes) is not in it."""
    import skimage.data

    images = {"coffee": np.ascontiguousarray(skimage.data.coffee()[100:196, 200:320])}
    hr_dir, lr_dir = _write_set(tmp_path / "bicubic", lambda hr: _low(hr, "tf:bicubic+aa", "float"), images)
    result = identify(hr_dir, lr_dir, progress=False)
    named = _named(result)
    assert {f"{spec} float/half-away-from-zero as-is" for spec in ("pil:bicubic+aa", "tf:bicubic+aa", "torch:bicubic+aa")} <= named
    assert "pil:bicubic+aa uint8 as-is" not in named and "skimage:bicubic+aa float/half-away-from-zero as-is" not in named
    assert "these cannot be told apart on this data" in result.verdict.text()
    hr_dir, lr_dir = _write_set(tmp_path / "bilinear", lambda hr: _low(hr, "cv2:bilinear", "float", 2), images)
    named = _named(identify(hr_dir, lr_dir, progress=False))
    assert {f"{spec} float/half-away-from-zero as-is" for spec in ("cv2:bilinear-aa", "tf:bilinear-aa", "cv2:area-aa")} <= named


def test_a_near_copy_is_told_apart_not_equal(tmp_path: Path) -> None:
    """torch's uint8 antialiased bicubic mimics Pillow's fixed point and misses a few pixels by one
    level: on Pillow-made data it is also a match (>= 0.99) but the data tells it apart (not equal),
    and the verdict sentence says so with its exact fraction."""
    import skimage.data

    images = {"coffee": np.ascontiguousarray(skimage.data.coffee()[100:196, 200:320])}
    hr_dir, lr_dir = _write_set(tmp_path, lambda hr: _low(hr, "pil:bicubic", "uint8"), images)
    v = identify(hr_dir, lr_dir, progress=False).verdict
    torch_u8 = Method("torch:bicubic+aa", "uint8", "library", "as-is")
    assert v.match and v.method == Method("pil:bicubic+aa", "uint8", "library", "as-is")
    assert torch_u8 not in v.equal
    also = dict(v.also_matching)
    assert 0.99 <= also[torch_u8] < 1.0
    assert f"told apart from it by the data (mean exact-match): {torch_u8.label} {also[torch_u8]:.4f}" in v.text()


def test_y_float_set_names_the_y_rule(tmp_path: Path) -> None:
    """A Y data set: MATLAB rgb2ycbcr Y (rounded), float path, modern MATLAB."""

    def make(hr: np.ndarray) -> np.ndarray:
        y = hr if hr.ndim == 2 else quantize(rgb_to_y(hr, "matlab"), np.uint8)
        return _low(y, "matlab", "float")

    hr_dir, lr_dir = _write_set(tmp_path, make)
    result = identify(hr_dir, lr_dir, progress=False)
    assert _matched(result, Method("matlab:bicubic+aa", "float", "half-away-from-zero", "y:matlab")), report_text(result)


def test_resize_to_lr_size_without_modcrop(tmp_path: Path) -> None:
    """The uncropped HR resized to round(H/s) x round(W/s) by Pillow: geometry 'full'."""

    def make(hr: np.ndarray) -> np.ndarray:
        size = (round(hr.shape[0] / SCALE), round(hr.shape[1] / SCALE))
        return resize(hr, "pil:bicubic", size=size)

    hr_dir, lr_dir = _write_set(tmp_path, make)
    result = identify(hr_dir, lr_dir, scale=SCALE, progress=False)
    assert _matched(result, Method("pil:bicubic+aa", "uint8", "library", "as-is")), report_text(result)
    assert result.best.set_index("pair").loc["cat", "geometry"] == "full"


def test_pytorch_resize_to_fit_is_named_and_never_a_near_miss(tmp_path: Path) -> None:
    """A PyTorch reimplementation's LR: the HR *resized* by Pillow to (W//s*s, H//s*s), then Pillow
    bicubic down by s, given with the original HR. Geometry resize-to-fit reproduces it exactly; the
    modcrop methods that got 64 % before are not called a match."""

    def make(hr: np.ndarray) -> np.ndarray:
        fit = (hr.shape[0] // SCALE * SCALE, hr.shape[1] // SCALE * SCALE)
        return resize(resize(hr, "pil:bicubic", size=fit), "pil:bicubic", size=(fit[0] // SCALE, fit[1] // SCALE))

    hr_dir, lr_dir = _write_set(tmp_path, make)
    result = identify(hr_dir, lr_dir, progress=False)
    assert _matched(result, Method("pil:bicubic+aa", "uint8", "library", "as-is")), report_text(result)
    best = result.best.set_index("pair")
    assert best.loc["cat", "geometry"] == "resize-to-fit" and best.loc["cat", "exact"] == 1.0
    modcrop_rows = result.scores[(result.scores["pair"] == "cat") & (result.scores["geometry"] == "modcrop") & result.scores["scored"]]
    assert (modcrop_rows["exact"] < 0.99).all()  # nothing at modcrop is a match, whatever its PSNR


def test_each_pair_is_judged_on_its_own(tmp_path: Path) -> None:
    """A Set5-like pair made bit-exactly by Pillow's uint8 path among pairs made by MATLAB's float
    path: that pair is reported as Pillow uint8 at exact 1.0, and no single method is said to
    reproduce the set."""
    import skimage.data

    images = {**_hr_images(), "baby": np.ascontiguousarray(skimage.data.astronaut()[0:210, 100:310])}  # 210x210
    hr_dir, lr_dir = _write_set(
        tmp_path, lambda hr: _low(hr, "pil:bicubic", "uint8") if hr.shape[0] == 210 else _low(hr, "matlab", "float"), images
    )
    result = identify(hr_dir, lr_dir, progress=False)
    baby = result.best.set_index("pair").loc["baby"]
    assert baby["best"] == "pil:bicubic+aa uint8 as-is" and baby["exact"] == 1.0 and baby["matched"], report_text(result)
    assert result.verdict.method.label == "matlab:bicubic+aa float/half-away-from-zero as-is"
    assert not result.verdict.match and result.verdict.pairs_matched == 3
    assert result.verdict.text().startswith("no single registered method reproduces every pair")


@pytest.mark.slow
def test_pruning_changes_nothing(tmp_path: Path) -> None:
    """The crop screen drops only what cannot be best or equal: with and without it the verdict,
    the equal set and every pair's best exact fraction are the same (LR larger than the screen)."""
    import skimage.data

    images = {"coffee": np.ascontiguousarray(skimage.data.coffee()[0:241, 0:301])}  # LR 80x100 > 64
    hr_dir, lr_dir = _write_set(tmp_path, lambda hr: _low(hr, "matlab", "uint8"), images)
    pruned = identify(hr_dir, lr_dir, progress=False)
    full = identify(hr_dir, lr_dir, search=Search(prune=False), progress=False)
    assert pruned.best["pruned"].iloc[0] > 0 and full.best["pruned"].iloc[0] == 0
    assert pruned.verdict.method == full.verdict.method and pruned.verdict.equal == full.verdict.equal
    assert pruned.best["exact"].tolist() == full.best["exact"].tolist()
    assert not pruned.best["exhaustive"].any()


@pytest.mark.slow
def test_pruning_changes_nothing_on_bsd100_sized_pairs(tmp_path: Path) -> None:
    """The same on 481x321 and 321x481 HR as BSD100 ships it (not a multiple of the scale, so
    modcrop, full and resize-to-fit all apply): with and without the crop screen, the verdict, the
    equal and also-matching sets, every pair's best and every computation scored by both agree
    (the runner-up is not compared: the screen may drop it); and with one thread (two pairs at a
    time by default) the verdict and every pair's best are the same."""
    import skimage.data

    from sr_audit.image_io import read_image

    images = {
        "land": np.ascontiguousarray(skimage.data.coffee()[20:341, 10:491]),  # 321x481
        "port": np.ascontiguousarray(skimage.data.astronaut()[:481, 100:421]),  # 481x321
    }

    def make(hr: np.ndarray) -> np.ndarray:  # resize-to-fit through scikit-image's bicubic, float path
        fit = (hr.shape[0] // 2 * 2, hr.shape[1] // 2 * 2)
        mid = resize(im2double(hr), "skimage:bicubic+aa", size=fit)
        return from_unit_float(resize(mid, "skimage:bicubic+aa", size=(fit[0] // 2, fit[1] // 2)))

    hr_dir, lr_dir = tmp_path / "HR", tmp_path / "LR"
    hr_dir.mkdir()
    lr_dir.mkdir()
    for name, hr in images.items():
        write_image(hr_dir / f"{name}.png", hr)
        write_image(lr_dir / f"{name}.png", make(hr) if name == "land" else _low(hr, "pil:bicubic", "uint8", 2))
    assert {read_image(hr_dir / f"{n}.png").shape[:2] for n in images} == {(321, 481), (481, 321)}
    pruned = identify(hr_dir, lr_dir, scale=2, progress=False)
    full = identify(hr_dir, lr_dir, scale=2, search=Search(prune=False), progress=False)
    assert pruned.best["pruned"].sum() > 0 and full.best["pruned"].sum() == 0
    assert pruned.verdict.method == full.verdict.method and pruned.verdict.equal == full.verdict.equal
    assert pruned.verdict.also_matching == full.verdict.also_matching
    for column in ("best", "exact", "geometry", "equal"):  # the runner-up may be a dropped method
        assert pruned.best[column].tolist() == full.best[column].tolist(), column
    land = pruned.best.set_index("pair").loc["land"]
    assert land["exact"] == 1.0 and land["geometry"] == "resize-to-fit", report_text(pruned)
    key = ["pair", "method", "geometry", "scale"]
    both = pruned.scores[pruned.scores["scored"]].merge(full.scores, on=key, suffixes=("", "_full"))
    assert len(both) == int(pruned.scores["scored"].sum())
    assert (both["exact"] == both["exact_full"]).all() and (both["output"] == both["output_full"]).all()
    assert not pruned.best["exhaustive"].any()
    one = identify(hr_dir, lr_dir, scale=2, search=Search(workers=1), progress=False)  # pairs one at a time
    assert (one.verdict.method, one.verdict.equal, one.verdict.also_matching) == (
        pruned.verdict.method, pruned.verdict.equal, pruned.verdict.also_matching)
    for column in ("best", "exact", "geometry", "equal"):
        assert one.best[column].tolist() == pruned.best[column].tolist(), column


@pytest.mark.parametrize(("hr_size", "s"), [((481, 321), 2), ((321, 481), 3), ((23, 61), 4)])
def test_resize_to_fit_first_step_shared_where_equal(hr_size: tuple[int, int], s: int) -> None:
    """What sharing a resize-to-fit first step relies on: for every installed spec of a backend of
    AA_IDENTITY_BELOW, on both paths, the +aa and -aa outputs at ratios below the limit are
    bit-identical, and the pair's resize-to-fit output is the plain two-step resize by the spec."""
    import skimage.data

    hr = np.ascontiguousarray(skimage.data.astronaut()[: hr_size[0], : hr_size[1]])
    specs = [s for s in candidate_specs() if backends.resolve(s).backend in AA_IDENTITY_BELOW]
    if not specs:
        pytest.skip("no backend of AA_IDENTITY_BELOW is installed")
    assert _step_spec(specs[0], hr_size, (hr_size[0] // 2, hr_size[1] // 2)) is None  # x2: the blur acts
    assert _step_spec(specs[0], (25, 60), (20, 60)) is None  # ratio 1.25: radius 1, not a copy
    fit = (hr_size[0] // s * s, hr_size[1] // s * s)  # 23x61 -> 20x60 at x4: ratios 1.15 and 1.017
    lr = np.zeros((fit[0] // s, fit[1] // s, 3), np.uint8)
    for spec in specs:
        common = _step_spec(spec, hr_size, fit)
        assert common is not None and not backends.resolve(common).antialias, spec
        for x in (hr, im2double(hr)):
            assert np.array_equal(resize(x, spec, size=fit), resize(x, common, size=fit)), (spec, x.dtype)
        for method in (Method(spec, "uint8", "library", "as-is"), Method(spec, "float", "half-up", "as-is")):
            comp = _Computation(method, "resize-to-fit", s)
            if not _applicable(comp, hr, lr):
                continue
            pair = _Pair("p", hr, lr, [comp])
            x = hr if method.compute == "uint8" else im2double(hr)
            plain = resize(resize(x, spec, size=fit), spec, size=lr.shape[:2])
            assert np.array_equal(pair.output(comp), _finish(plain, method)), (spec, method.compute)


def test_pair_score_is_the_metrics_psnr_bit_for_bit() -> None:
    """The pair's integer MSE and its PSNR are exactly what the float64 mean and
    sr_audit.metrics.psnr give, and its exact fraction is the all-channel equality's."""
    from sr_audit.metrics import psnr

    rng = np.random.default_rng(11)
    for shape in ((37, 53, 3), (40, 29)):
        lr = rng.integers(0, 256, shape, dtype=np.uint8)
        pair = _Pair("p", np.zeros((2 * shape[0], 2 * shape[1], *shape[2:]), np.uint8), lr, [])
        for out in (lr.copy(), 255 - lr, np.clip(lr.astype(np.int16) + rng.integers(-2, 3, shape), 0, 255).astype(np.uint8)):
            same = out == lr
            exact = np.count_nonzero(same if same.ndim == 2 else same.all(axis=2)) / (shape[0] * shape[1])
            mse = float(np.mean((out.astype(np.float64) - lr.astype(np.float64)) ** 2))
            assert pair.score(out) == (exact, mse, psnr(lr, out, data_range=255.0)), shape


def test_nonlocal_specs_differ_on_a_crop() -> None:
    """Why NONLOCAL is never cut with a top-left crop of the image (its screen bounds the values
    from a part, REGION_BOUNDS): scikit-image's bicubic clips to the image's own range, so a bright
    pixel far from a crop changes the output inside it (float path, no rounding involved). The
    crops and bounds the screen does take are pinned in tests/test_identify_crops.py."""
    hr = np.zeros((96, 96))
    hr[10:20, 10:20] = 0.5  # a sharp-edged square: the cubic spline overshoots around it
    hr[90, 90] = 1.0  # far from the top-left crop, but it raises the image's maximum
    for spec in NONLOCAL:
        whole = resize(hr, spec, size=(40, 40))[:10, :10]  # x2.4: fractional positions, so overshoot
        crop = resize(hr[:48, :48], spec, size=(20, 20))[:10, :10]  # the same ratio
        assert np.abs(whole - crop).max() > 1e-3, spec


def test_down_then_up_inputs(tmp_path: Path) -> None:
    """HR-sized "bicubic" inputs: MATLAB down by 3 then MATLAB up, in float; the scale is found
    among the searched ones and the report says what was searched."""

    def make(hr: np.ndarray) -> np.ndarray:
        x = im2double(modcrop(hr, SCALE))
        return from_unit_float(resize(resize(x, "matlab", scale="1/3"), "matlab", scale=3))

    images = {name: modcrop(hr, SCALE) for name, hr in _hr_images().items()}
    hr_dir, lr_dir = _write_set(tmp_path, make, images)
    result = identify(hr_dir, lr_dir, progress=False)
    expected = Method("matlab:bicubic+aa", "float", "half-away-from-zero", "as-is", up="matlab:bicubic+aa")
    assert result.mode == "down-up" and result.scales == (2, 3, 4)
    assert _matched(result, expected) and result.scale == 3, report_text(result)
    text = report_text(result)
    assert "down x up product" in text and "scales searched: x2, x3, x4" in text
    assert down_up_geometries((63, 94), (63, 93), 3) == ["modcrop", "resize-to-fit"] and down_up_geometries((63, 93), (63, 93), 3) == ["either"]


def test_non_integer_and_size_specified_scales(tmp_path: Path) -> None:
    """LR sizes that are not HR/s for an integer s: Pillow bicubic by size at 1/2.5 is found with
    --scale 2.5 and, without it, as a size-specified resize."""

    def make(hr: np.ndarray) -> np.ndarray:
        return resize(hr, "pil:bicubic", size=(round(hr.shape[0] / 2.5), round(hr.shape[1] / 2.5)))

    hr_dir, lr_dir = _write_set(tmp_path, make)
    expected = Method("pil:bicubic+aa", "uint8", "library", "as-is")
    given = identify(hr_dir, lr_dir, scale=2.5, progress=False)
    assert _matched(given, expected) and given.scale == 2.5 and given.verdict.geometry == "full", report_text(given)
    free = identify(hr_dir, lr_dir, progress=False)
    assert _matched(free, expected) and free.scale is None and free.scale_source.startswith("size-specified")
    assert geometries((481, 321), (192, 128), 2.5) == ["full"] and geometries((481, 321), (192, 128), 3) == []


def test_no_registered_method_reproduces(tmp_path: Path) -> None:
    """2 % of the pixels nudged by 1-3 levels: PSNR stays above 50 dB, but nothing is a match, and
    the nearest candidates are shown with their exact fractions."""
    rng = np.random.default_rng(0)

    def make(hr: np.ndarray) -> np.ndarray:
        low = _low(hr, "matlab", "uint8").astype(np.int16)
        hit = rng.random(low.shape[:2]) < 0.02
        low[hit] += rng.choice([-3, -2, -1, 1, 2, 3], size=low[hit].shape)
        return np.clip(low, 0, 255).astype(np.uint8)

    hr_dir, lr_dir = _write_set(tmp_path, make)
    result = identify(hr_dir, lr_dir, progress=False)
    v = result.verdict
    assert not v.match and v.pairs_matched == 0 and v.psnr > 50.0
    assert v.method.spec == "matlab:bicubic+aa" and 0.95 < v.mean_exact < 0.99
    assert v.text().startswith("no registered method reproduces these files")
    assert not result.best["matched"].any()
    assert v.nearest and all(e <= v.mean_exact for _, e, _ in v.nearest)
    text = report_text(result)
    assert "nearest candidates" in text and f"{v.nearest[0][1]:.4f}" in text
    loose = identify(hr_dir, lr_dir, criterion=MatchCriterion(min_exact_fraction=0.95), progress=False)
    assert loose.verdict.match and loose.verdict.method.spec == "matlab:bicubic+aa"


def test_selfexsr_names_and_scale_inference(tmp_path: Path) -> None:
    folder = tmp_path / "image_SRF_3"
    folder.mkdir()
    hr = np.ascontiguousarray(_hr_images()["tissue"])
    write_image(folder / "img_001_SRF_3_HR.png", hr)
    write_image(folder / "img_001_SRF_3_LR.png", _low(hr, "matlab-legacy", "uint8"))
    result = identify(folder, folder, progress=False)
    assert [p.name for p in result.pairing.pairs] == ["img_001_SRF_3"] and result.scale == 3
    assert "pairing: 1 pairs" in report_text(result)
    assert fitting_scales((48, 72), (16, 24)) == [3]
    assert geometries((48, 72), (16, 24), 3) == ["either"]
    assert geometries((49, 72), (16, 24), 3) == ["modcrop", "full", "resize-to-fit"]
    assert geometries((49, 72), (17, 24), 3) == ["full"]


def test_inconsistent_sizes_are_refused(tmp_path: Path) -> None:
    hr_dir, lr_dir = tmp_path / "HR", tmp_path / "LR"
    hr_dir.mkdir()
    lr_dir.mkdir()
    images = _hr_images()
    write_image(hr_dir / "a.png", images["tissue"])
    write_image(lr_dir / "a.png", resize(images["tissue"], "pil", size=(24, 36)))  # x2
    write_image(hr_dir / "b.png", images["tissue"])
    write_image(lr_dir / "b.png", resize(images["tissue"], "pil", size=(16, 24)))  # x3
    with pytest.raises(ImageError, match="inconsistent scales"):
        identify(hr_dir, lr_dir, progress=False)
    with pytest.raises(ImageError, match=r"pair a: HR 48x72 and LR 24x36 are not related by scale 3 \(expected LR 16x24\)"):
        identify(hr_dir, lr_dir, scale=3, progress=False)
    write_image(lr_dir / "a.png", images["tissue"][:20, :21])
    with pytest.raises(ImageError, match="not related by one scale"):
        identify(hr_dir, lr_dir, progress=False)
    with pytest.raises(SpecError, match="scale must be a number above 1"):
        identify(hr_dir, lr_dir, scale=0.5, progress=False)


def test_no_pairs_is_an_error(tmp_path: Path) -> None:
    hr_dir, lr_dir = tmp_path / "HR", tmp_path / "LR"
    hr_dir.mkdir()
    lr_dir.mkdir()
    write_image(hr_dir / "a.png", np.zeros((12, 12), np.uint8))
    write_image(lr_dir / "b.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(DataError, match="--pattern"):
        identify(hr_dir, lr_dir, progress=False)


def test_cli_json_pattern_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hr_dir, lr_dir = tmp_path / "HR", tmp_path / "LR"
    hr_dir.mkdir()
    lr_dir.mkdir()
    for name, hr in _hr_images().items():
        write_image(hr_dir / f"{name}.png", hr)
        write_image(lr_dir / f"low-{name}-3.png", _low(hr, "matlab-legacy", "uint8"))
    args = ["identify", "--hr", str(hr_dir), "--lr", str(lr_dir), "--pattern", "low-{name}-{scale}", "--json"]
    assert main_from_args(args) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["verdict"]["match"] is True
    assert record["verdict"]["spec"] == "matlab-legacy:bicubic+aa"
    assert record["pairs"][0]["psnr"] == "inf" and record["equal"] == {"max_abs_diff": 1, "max_fraction": 0.001, "tie_window": 1e-4}
    assert main_from_args(["identify", "--hr", str(hr_dir), "--lr", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("sr-audit: error:") and "\n" not in err
    assert main_from_args(["identify", "--hr", str(hr_dir), "--lr", str(lr_dir), "--scale", "x3"]) == 2
    assert "--scale must be a number" in capsys.readouterr().err


@pytest.mark.parametrize(("dataset", "scale"), [("Set5", 2), ("Set5", 3), ("Set5", 4), ("Set14", 3)])
def test_legacy_selfexsr_is_matlab_legacy_uint8(shared_datasets: Path, dataset: str, scale: int) -> None:
    folder = shared_datasets / "matlab_reference" / "legacy_selfexsr" / dataset / f"image_SRF_{scale}"
    result = identify(folder, folder, progress=False)
    v = result.verdict
    assert result.scale == scale
    assert v.match and v.method == Method("matlab-legacy:bicubic+aa", "uint8", "library", "as-is"), report_text(result)
    assert v.pairs_won == v.n_pairs == len(result.best)
    assert v.mean_exact == 1.0 and v.equal == ()


def test_stopping_early_cancels_the_pairs_not_started() -> None:
    """Pairs run ``Search.workers`` at a time from one queue: when the consumer stops (an error,
    Ctrl-C), the ones not started are cancelled, so an interrupted identify ends after the running
    ones rather than after every pair."""
    import threading
    import time

    from sr_audit.audit.identify import _map

    started: list[int] = []
    lock = threading.Lock()

    def work(i: int) -> int:
        with lock:
            started.append(i)
        time.sleep(0.02)
        return i

    results = _map(work, list(range(200)), 2)
    assert next(results) == 0
    results.close()  # what an exception or KeyboardInterrupt in the consumer does to the generator
    assert len(started) <= 8, len(started)
    assert list(_map(work, list(range(6)), 2)) == list(range(6))
