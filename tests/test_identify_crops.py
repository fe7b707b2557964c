"""What identify's crop screen relies on, pinned against the whole image bit for bit.

* Every backend's region helper (``REGION_RESIZERS``, :mod:`sr_audit.backends.regions`) gives
  exactly the whole image's top-left output, on uint8 and float, by size and by scale, at the sizes
  of BSD100 (481x321 and 321x481, not multiples of any scale) and odd ones, at x2, x3 and x4, for
  ``modcrop``, ``full`` and ``resize-to-fit`` (481 -> 480) sizes, with an image part (``in_size``).
* Every crop identify takes (``_crop_raw``) equals the whole image's output on its region, for
  every installed spec at every geometry, with each rounding; for scikit-image's bicubic
  (``NONLOCAL``), which has no exact part, the crop's bounds (``REGION_BOUNDS``) hold the whole
  image's output and are one value on all but a few pixels.
* The specs of ``SAME_OUTPUT`` compute what their canonical spec computes.
* Why the helpers decline what they decline: torch's uint8 weights precision chosen per call,
  Pillow 13's pass order chosen from the sizes.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest
from sr_audit.backends.selection import backend_status

from sr_audit import backends
from sr_audit.audit.identify import (
    FLOAT_ROUNDINGS,
    NONLOCAL,
    REGION_BOUNDS,
    REGION_RESIZERS,
    SAME_OUTPUT,
    Method,
    Search,
    _applicable,
    _Computation,
    _crop_raw,
    _finish,
    _Pair,
    candidate_specs,
    geometries,
)
from sr_audit.resize import _resizer
from sr_audit.sizes import plan_output

#: HR sizes: BSD100's two (no side a multiple of 2, 3 or 4) and odd ones.
SIZES = [(321, 481), (481, 321), (97, 131)]


def _installed(name: str) -> bool:
    return any(s.name == name and s.reason is None for s in backend_status())


def _helper(name: str):
    module, attr = REGION_RESIZERS[name].split(":")
    return getattr(importlib.import_module(module), attr)


def _images(hr_size: tuple[int, int]) -> list[np.ndarray]:
    """RGB on both paths; grayscale and one-channel too for the small size."""
    rng = np.random.default_rng(hr_size[0] * 1000 + hr_size[1])
    rgb = rng.integers(0, 256, hr_size + (3,), dtype=np.uint8)
    return [rgb, rgb / 255.0] + ([rgb[:, :, 1], rgb[:, :, :1] / 255.0] if min(hr_size) < 200 else [])


def _out_sizes(hr_size: tuple[int, int], s: int) -> set[tuple[int, int]]:
    h, w = hr_size
    sizes = {(h // s, w // s), (h // s * s, w // s * s), (-(-h // s), -(-w // s)), (h // s * s // s, w // s * s // s)}
    return {o for o in sizes if o != hr_size}


@pytest.mark.parametrize("name", sorted(REGION_RESIZERS))
def test_region_helpers_equal_the_whole_image(name: str) -> None:
    """``resize_region`` is the whole image's output on the region, bit for bit, or None."""
    if not _installed(name):
        pytest.skip(f"backend {name} is not installed")
    helper = _helper(name)
    specs = [s for s in candidate_specs() if backends.resolve(s).backend == name]
    computed: set[tuple[str, str]] = set()
    for hr_size in SIZES:
        for image in _images(hr_size):
            for s in (2, 3, 4):
                for out_size in _out_sizes(hr_size, s):
                    for spec in specs:
                        parsed = backends.resolve(spec)
                        fn, conv = _resizer(parsed)
                        if image.dtype.name not in conv.dtypes:
                            continue
                        for how in ({"size": out_size}, {"scale": 1.0 / s}):
                            out, scales = plan_output(hr_size, rule=conv.size_rule, **how)
                            if "scale" in how and out != out_size:
                                continue
                            whole = fn(np.ascontiguousarray(image), out, scales)
                            for region in ((64, 64), (out[0], 50)):
                                region = (min(region[0], out[0]), min(region[1], out[1]))
                                got = helper(parsed, image, out, scales, region)
                                if got is None:
                                    continue
                                computed.add((spec, image.dtype.kind))
                                expected = whole[: region[0], : region[1]]
                                assert got.dtype == expected.dtype and got.shape == expected.shape, (spec, hr_size, out, how, region)
                                assert np.array_equal(got, expected), (spec, image.dtype, image.shape, out, how, region)
    declined = {("torch:bicubic+aa", "u"), ("torch:bicubic-aa", "u"), ("torch:bilinear+aa", "u"), ("torch:bilinear-aa", "u")}
    expected = {(spec, kind) for spec in specs for kind in "uf"} - declined
    expected = {(spec, kind) for spec, kind in expected if ("uint8" if kind == "u" else "float64") in _resizer(backends.resolve(spec))[1].dtypes}
    assert expected <= computed, sorted(expected - computed)


@pytest.mark.parametrize("name", sorted(REGION_RESIZERS))
def test_region_helpers_on_an_image_part(name: str) -> None:
    """Given ``in_size``, a helper reads only the top-left part it is given, or declines."""
    if not _installed(name):
        pytest.skip(f"backend {name} is not installed")
    helper = _helper(name)
    specs = [s for s in candidate_specs() if backends.resolve(s).backend == name]
    fit, lr = (321, 480), (107, 160)  # the second step of resize-to-fit at x3
    rng = np.random.default_rng(7)
    mid = rng.integers(0, 256, fit + (3,), dtype=np.uint8)
    computed = 0
    for image in (mid, mid / 255.0):
        for spec in specs:
            parsed = backends.resolve(spec)
            fn, conv = _resizer(parsed)
            out, scales = plan_output(fit, size=lr, rule=conv.size_rule)
            whole = fn(image, out, scales)
            got = helper(parsed, image[: 3 * 72, : 3 * 72], out, scales, (64, 64), in_size=fit)
            if name == "skimage":
                assert got is None  # its clip reads the whole image's range
                continue
            if got is not None:
                computed += 1
                assert np.array_equal(got, whole[:64, :64]), (spec, image.dtype)
            assert helper(parsed, image[:100, :100], out, scales, (64, 64), in_size=fit) is None, spec
    assert name == "skimage" or computed


def _bounds_hold(got, whole: np.ndarray, image: np.ndarray, label: object, tight: bool = True) -> None:
    """``got`` = (lo, hi) holds ``whole`` and, when ``tight``, is one value on all but a few pixels
    (uint8), or at most the helper's tolerance wide (float)."""
    from sr_audit.backends.scikit_image import BOUNDS_TOLERANCE

    assert got is not None, label
    lo, hi = got
    assert lo.shape == whole.shape and lo.dtype == whole.dtype == hi.dtype, label
    assert np.all((lo <= whole) & (whole <= hi)), label
    if not tight:
        return
    if whole.dtype == np.uint8:
        assert np.count_nonzero(lo != hi) <= 0.001 * lo.size, label
    else:
        assert np.max(hi - lo) <= 2.000001 * BOUNDS_TOLERANCE * (1 + np.abs(image).max()), label


@pytest.mark.parametrize("name", sorted(REGION_BOUNDS))
def test_region_bounds_hold_the_whole_image(name: str) -> None:
    """A bounds helper's (lo, hi) hold the whole image's output on the region, given the whole
    image (by size, at x2, x3, x4 and the sizes of modcrop, full and resize-to-fit) or only a part
    of it (``in_size``: the second step of resize-to-fit), on uint8 and float, with and without
    antialiasing; a part too small for the helper's tail is declined."""
    if not _installed(name):
        pytest.skip(f"backend {name} is not installed")
    module, attr = REGION_BOUNDS[name].split(":")
    helper = getattr(importlib.import_module(module), attr)
    specs = [s for s in candidate_specs() if backends.resolve(s).backend == name and s in NONLOCAL]
    assert specs
    rng = np.random.default_rng(11)
    small = rng.integers(0, 256, (97, 131, 3), dtype=np.uint8)
    mid = rng.integers(0, 256, (321, 480, 3), dtype=np.uint8)
    for spec in specs:
        parsed = backends.resolve(spec)
        fn, conv = _resizer(parsed)
        for image in (small, small / 255.0):
            for s in (2, 3, 4):
                for size in _out_sizes(image.shape[:2], s):
                    out, scales = plan_output(image.shape[:2], size=size, rule=conv.size_rule)
                    region = (min(out[0], 16), min(out[1], 16))
                    _bounds_hold(helper(parsed, image, out, scales, region), fn(image, out, scales)[:16, :16], image, (spec, s, size))
        out, scales = plan_output((321, 480), size=(107, 160), rule=conv.size_rule)
        for image in (mid, mid / 255.0):
            whole = fn(image, out, scales)[:64, :64]
            _bounds_hold(helper(parsed, image[: 3 * 64 + 40, : 3 * 64 + 40], out, scales, (64, 64), in_size=(321, 480)),
                         whole, image, (spec, "part"))
            assert helper(parsed, image[:150, :150], out, scales, (64, 64), in_size=(321, 480)) is None, spec


def test_region_bounds_from_a_part_allow_for_the_whole_clip() -> None:
    """Why bounds from a part widen the clip: scikit-image clips to the whole image's range, which a
    bright pixel far from the part raises, so the cubic spline's overshoot inside the part is kept
    there. The part's own range would cut it (a crop taken as the whole image is wrong); the
    bounds given ``in_size`` still hold the whole image's output."""
    if not _installed("skimage"):
        pytest.skip("scikit-image is not installed")
    from sr_audit.backends.scikit_image import resize_region_bounds

    image = np.zeros((240, 240))
    image[10:20, 10:20] = 0.5  # a sharp-edged square: the spline overshoots around it
    image[230, 230] = 1.0  # outside the part, but it raises the image's maximum
    for spec in sorted(NONLOCAL):
        parsed = backends.resolve(spec)
        fn, conv = _resizer(parsed)
        out, scales = plan_output((240, 240), size=(100, 100), rule=conv.size_rule)  # x2.4: fractional positions
        whole = fn(image, out, scales)[:16, :16]
        part = image[:120, :120]
        assert whole.max() > 0.5 + 1e-3, spec  # the overshoot the whole image keeps
        _, hi = resize_region_bounds(parsed, part, out, scales, (16, 16))  # the part as if it were the image
        assert not np.all(whole <= hi), spec
        _bounds_hold(resize_region_bounds(parsed, part, out, scales, (16, 16), in_size=(240, 240)), whole, image, spec, tight=False)


@pytest.mark.slow
# BSD100's portrait size and an odd one; the landscape 481x321 is its transpose, which
# test_region_helpers_equal_the_whole_image pins bit for bit for every helper (it cost 11 s here).
@pytest.mark.parametrize("hr_size", [(321, 481), (241, 301)])
def test_crops_equal_the_whole_image_at_every_geometry(hr_size: tuple[int, int]) -> None:
    """Every crop the screen takes equals the whole image's output on its region, for every
    installed spec, both compute paths and every rounding, at x2, x3 and x4; at ``full`` and
    ``resize-to-fit`` every backend with a region helper or a ratio crop has crops."""
    import skimage.data

    hr = np.ascontiguousarray(skimage.data.astronaut()[: hr_size[0], : hr_size[1]])
    cropped: set[tuple[str, str]] = set()
    for s in (2, 3, 4):
        lr = np.zeros((hr_size[0] // s, hr_size[1] // s, 3), np.uint8)
        for geometry in geometries(hr_size, lr.shape[:2], s):
            for spec in candidate_specs():
                methods = [Method(spec, "uint8", "library", "as-is")] + [Method(spec, "float", r, "as-is") for r in FLOAT_ROUNDINGS]
                comps = [_Computation(m, geometry, s) for m in methods]
                comps = [c for c in comps if _applicable(c, hr, lr)]
                if not comps:
                    continue
                pair = _Pair("p", hr, lr, comps)
                for c in comps[:2]:  # one crop per family: uint8, then float
                    crop = _crop_raw(pair, c, Search())
                    if crop is None:
                        continue
                    cropped.add((geometry, backends.resolve(spec).backend))
                    h, w = crop.region
                    assert h >= 40 and w >= 40, (spec, geometry, s)
                    assert (crop.lo is not crop.hi) == (spec in NONLOCAL), (spec, geometry, s)  # bounds only there
                    for other in (x for x in comps if x.method.compute == c.method.compute):
                        whole = pair.output(other)[:h, :w]
                        lo, hi = _finish(crop.lo, other.method)[:h, :w], _finish(crop.hi, other.method)[:h, :w]
                        assert np.all((lo <= whole) & (whole <= hi)), (spec, geometry, s, other.method.label)
                        if other.method.rounding != "truncate":  # at x3 its values sit on integers, +- noise
                            assert np.count_nonzero(lo != hi) <= 0.001 * lo.size, (spec, geometry, s, other.method.label)
    for geometry in ("full", "resize-to-fit"):
        for name in ("matlab", "matlab-legacy", *REGION_RESIZERS):
            if _installed(name):
                assert (geometry, name) in cropped, (geometry, name)


def test_same_output_specs_compute_alike() -> None:
    """Every alias of SAME_OUTPUT is installed with its spec and resizes as it does: the MATLAB port
    uses one kernel function and width for both, and the outputs agree on both paths."""
    from sr_audit.backends import matlab_port

    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (61, 47, 3), dtype=np.uint8)
    for alias, spec in SAME_OUTPUT.items():
        a, b = backends.resolve(alias), backends.resolve(spec)
        assert (a.backend, a.antialias) == (b.backend, b.antialias), alias
        assert matlab_port._KERNEL_FUNCTIONS[a.kernel] is matlab_port._KERNEL_FUNCTIONS[b.kernel], alias
        assert matlab_port.KERNEL_WIDTHS[a.kernel] == matlab_port.KERNEL_WIDTHS[b.kernel], alias
        from sr_audit.resize import resize

        for x in (image, image / 255.0):
            for size in ((20, 15), (30, 23), (122, 94)):
                assert np.array_equal(resize(x, alias, size=size), resize(x, spec, size=size)), (alias, size)


def test_torch_uint8_precision_is_chosen_per_call() -> None:
    """Why PyTorch's helper declines uint8 bilinear and bicubic: a part resized with the whole
    image's scale factor still differs, as torch picks the int16 weights' precision from the
    largest weight among the call's output pixels (the float path of the same part agrees)."""
    if not _installed("torch"):
        pytest.skip("PyTorch is not installed")
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (300, 451, 3), dtype=np.uint8)
    sf = (1.0, 450 / 451)
    assert 1.0 / sf[1] == 451 / 450
    for x, differs in ((image, True), (image / 255.0, False)):
        t = torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None]
        t = t if x.dtype == np.uint8 else t.contiguous()
        part = torch.from_numpy(np.ascontiguousarray(x[:, :208])).permute(2, 0, 1)[None]
        part = part if x.dtype == np.uint8 else part.contiguous()
        whole = F.interpolate(t, size=(300, 450), mode="bicubic", align_corners=False)[0].numpy()
        got = F.interpolate(part, scale_factor=sf, recompute_scale_factor=False, mode="bicubic", align_corners=False)[0].numpy()
        assert (not np.array_equal(got[:, :64, :64], whole[:, :64, :64])) == differs, x.dtype
    assert _helper("torch")(backends.resolve("torch:bicubic-aa"), image, (300, 450), (1.0, 450 / 451), (64, 64)) is None


def test_pillow_pass_order_is_read_from_pillow() -> None:
    """Why Pillow's helper runs the two passes itself: Pillow 13 runs the height first when the
    height shrinks by enough more pixels than the width, so a part can take the other order than
    its whole image; the helper reads the whole image's order from Pillow."""
    if not _installed("pil"):
        pytest.skip("Pillow is not installed")
    from sr_audit.backends import pillow

    assert pillow._pass_order("bicubic", (321, 481), (160, 240)) == "width"
    order = pillow._pass_order("bicubic", (321, 121), (160, 60))
    assert order in ("width", "height")  # "height" on Pillow 13, "width" before it
