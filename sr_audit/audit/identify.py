"""Which registered resize made this low-resolution data set? :func:`identify`.

Given a folder of high-resolution (HR) images and a folder of their low-resolution (LR) versions
(paired by :func:`sr_audit.layouts.pair_files`), every *method* the registry can express is tried
on every pair, each pair on its own, and the report says which methods reproduce the LR files
exactly, which of them cannot be told apart, or that none does.

What a method is (:class:`Method`)
----------------------------------
* ``spec`` — every registered, installed backend x every kernel it offers x antialiasing on and
  off where the library has the switch (:func:`candidate_specs`); MATLAB modern (``matlab``) and
  legacy (``matlab-legacy``) are two backends.
* ``compute`` — ``uint8``: the 8-bit HR goes through the library's own 8-bit path; ``float``: the
  HR is divided by 255 (``im2double``), resized in float, and ``x * 255`` is rounded once at the
  end by ``rounding`` (every rule of :data:`FLOAT_ROUNDINGS`) and saturated.
* ``channel`` — ``as-is``: the HR as it is (RGB, grayscale, or a grayscale HR repeated into RGB for
  an RGB LR); ``y:DEF``: the LR is one channel and the HR is RGB, so the HR's Y under each
  definition of :data:`sr_audit.colour.Y_DEFINITIONS` is rounded to uint8 (as MATLAB
  ``rgb2ycbcr`` does) and resized; ``y:DEF:unrounded``: the same Y unrounded (float path only).
* ``up`` — set for *down-then-up* methods only (below): the spec that enlarged the LR again.

Geometry (per pair, not part of a method; :data:`GEOMETRIES`)
--------------------------------------------------------------
* ``modcrop``: the HR cropped to a multiple of the scale and resized to ``(H/s, W/s)``.
* ``full``: the uncropped HR resized to the LR size, by the scale ``1/s`` when the backend's size
  rule gives that size, else by the size. For a non-integer scale, or LR sizes that no integer scale
  explains (a *size-specified* resize), this is the only geometry.
* ``resize-to-fit``: the HR resized with the same method to the multiple of the scale below
  (``(H//s*s, W//s*s)``), then down by ``s`` (PyTorch reimplementations that resize rather than
  crop).
* ``either``: the HR sides are multiples of the scale: modcrop and full are the same computation.

Down-then-up data
-----------------
When every "LR" file has its HR's size (the bicubic-upsampled inputs many repositories commit), each
method is a down spec of :data:`DOWN_UP_DOWN` x an up spec of :data:`DOWN_UP_UP` x the two compute
paths of :data:`DOWN_UP_COMPUTES`, at the given scale, else the one the file names say, else each
of :data:`DOWN_UP_SCALES` (a bounded search; the report says what was searched).

Scores, equality, verdict
-------------------------
* ``exact``: the fraction of LR pixels reproduced exactly (all channels equal); ``psnr``:
  ``20 log10(255 / RMSE)`` against the LR (``inf`` when identical).
* A pair is *matched* when its best output has ``exact >=`` :attr:`MatchCriterion.min_exact_fraction`;
  PSNR never makes a match.
* An output is *equal* to a reference output by :class:`Equivalence` (default :data:`EQUAL`): no
  pixel differs by more than one grey level, and apart from the pixels where the reference's
  unrounded value is an exact .5 tie (float path), fewer than 0.1 % of the pixels differ. This
  allows the float noise at .5 ties between libraries that compute the same arithmetic, and no
  more: an output that differs on more pixels is told apart, and when it still matches, the
  report lists it as "also a match, told apart".
* The data-set verdict is the method that is best or equal to the best on most pairs, then with the
  highest mean exact fraction. It *matches* when it is matched on every pair. Its equal set is every
  method whose output is equal to the verdict's on every pair: "these cannot be told apart on this
  data". When nothing matches, the report says so and lists the nearest candidates.

Search: safe per-pair pruning
-----------------------------
Each pair is searched on its own. For an LR larger than :attr:`Search.screen_side`, every method is
first run on a top-left part of the image whose output is, bit for bit, the whole image's output
there (the *crop screen*); ``k`` mismatches on that region bound the method's whole-image exact
fraction by ``1 - k / N``. The parts:

* a backend's region resize (:data:`REGION_RESIZERS`, :mod:`sr_audit.backends.regions`): the
  library is given the whole image's ratio (Pillow's box, TensorFlow's ``ScaleAndTranslate``,
  PyTorch's scale factor, scipy's zoom factors) or a part whose sizes have it exactly, and the
  whole region is compared;
* the specs of :data:`NONLOCAL` (scikit-image's bicubic, whose spline prefilter reads whole lines
  and whose clip reads the whole image's range) have no exact part: their helper of
  :data:`REGION_BOUNDS` bounds the whole image's values on the region from a part, and a pixel
  counts as a mismatch only where the LR lies outside the rounded bounds;
* otherwise, at modcrop/either, an HR crop aligned to the scale, so every output pixel away from
  the cut maps to the same HR pixels with the same weights (the :attr:`Search.margin` LR rows and
  columns at the cut are not compared); at ``full`` and ``resize-to-fit`` (a ratio that is not
  ``1/s``), an HR crop given the whole image's ratio as its scale for the backends of
  :data:`CROP_BY_RATIO`;
* at resize-to-fit, the second step (by ``s`` exactly) is cut in the same way from the part of the
  first step it reads, which is itself a region resize where the backend has one, else computed
  whole.

What has no such part (OpenCV at ``full``, PyTorch's uint8 bilinear and bicubic at ``full``, sizes
a library maps only by itself) is scored on the whole image. Every method is screened first on a
:attr:`Search.first_screen_side` crop, and again on the :attr:`Search.screen_side` one only when
the first bound cannot drop it; a bound is the smaller of the two. Methods are then scored on the
whole image in the order of their bounds, and a method is dropped only when its bound is below the
pair's best exact fraction minus :meth:`Equivalence.slack` (the most an equal output can lose: the
0.1 % plus the best's share of .5 ties), so it can be neither the best nor equal to it, and below
the match criterion on a matched pair (so every match is known), or below the
:attr:`Search.nearest`-th best distinct output on a pair nothing matches; this is checked against
the floor the scoring ends with. Every method scored on the whole image after a crop screen is
checked against its crop outputs (equal, or within the bounds); one disagreement makes the pair be
re-scored without pruning, and the report says so. The verdict's candidates are then scored until
each one's best computation on each pair is known (a computation whose bound is below the best
exact fraction the method already has there cannot be it). ``Search.workers`` pairs are searched
at a time, each by one thread (a single pair: that many families at a time; a family: the methods
one resize serves, every rounding of a float resize, and the specs of :data:`SAME_OUTPUT`); a
resize-to-fit first step that two specs compute bit for bit alike (the
``+aa`` and ``-aa`` forms of a backend of :data:`AA_IDENTITY_BELOW`, whose antialiasing is a copy
at that ratio) is computed once for both.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sr_audit import backends
from sr_audit.backends.selection import backend_status
from sr_audit.colour import Y_DEFINITIONS, rgb_to_y
from sr_audit.conventions import ResizeSpec
from sr_audit.degradation import modcrop
from sr_audit.errors import ImageError, SpecError
from sr_audit.image_io import im2double, read_image
from sr_audit.io_util import json_number
from sr_audit.layouts import Pairing, pair_files
from sr_audit.report.markdown import markdown_table
from sr_audit.resize import conventions_of, resize
from sr_audit.rounding import quantize
from sr_audit.sizes import output_size, plan_output

#: Compute paths a method can take.
COMPUTES: dict[str, str] = {
    "uint8": "the 8-bit HR through the library's own 8-bit path (its own rounding)",
    "float/RULE": "im2double, resize in float, x*255 rounded once at the end by RULE, saturated",
}

#: Rounding rules tried at the end of the float path (keys of sr_audit.conventions.ROUNDINGS).
FLOAT_ROUNDINGS: tuple[str, ...] = ("half-away-from-zero", "half-to-even", "half-up", "truncate")

#: ``rounding`` of a uint8-path method: the library's own.
LIBRARY_ROUNDING = "library"

#: Channel rules of a method.
CHANNELS: dict[str, str] = {
    "as-is": "the HR as it is: RGB to RGB, grayscale to grayscale, a grayscale HR repeated for an RGB LR",
    "y:DEF": "Y of the RGB HR under a Y definition, rounded half away from zero to uint8 (MATLAB rgb2ycbcr)",
    "y:DEF:unrounded": "the same Y unrounded, resized on the float path only",
}

#: Geometries of a pair (see the module docstring).
GEOMETRIES: dict[str, str] = {
    "modcrop": "HR cropped to a multiple of the scale, resized to (H/s, W/s)",
    "full": "uncropped HR resized to the LR size (scale 1/s when the size rule gives it, else the size)",
    "resize-to-fit": "HR resized by the same method to (H//s*s, W//s*s), then down by s",
    "either": "HR sides are multiples of the scale: modcrop and full are the same computation",
}

#: Geometries whose top-left crop computes what the whole image computes there (module docstring).
CROPPABLE: frozenset[str] = frozenset({"modcrop", "either"})

#: Backends whose resize by size maps with the double out/in, exactly as a resize given that scale
#: does (the MATLAB ports: ``scale = out / in``), so for ``full`` and ``resize-to-fit`` a crop
#: resized by the whole image's ratio maps as the whole image does away from the cut (pinned by
#: ``tests/test_identify_crops.py``). OpenCV is not one: its float path at a ratio other than 1/s differs.
CROP_BY_RATIO: frozenset[str] = frozenset({"matlab", "matlab-legacy"})

#: Specs whose output at a pixel depends on the whole image, so no top-left crop of the image
#: computes it: scikit-image's order-3 zoom runs an IIR spline prefilter along each axis and clips
#: the result to the image's own min..max (pinned by ``tests/test_identify.py``). Their screen is
#: bounds from a part (:data:`REGION_BOUNDS`), at every geometry; at resize-to-fit the first step's
#: part is its exact region resize (:data:`REGION_RESIZERS`).
NONLOCAL: frozenset[str] = frozenset({"skimage:bicubic+aa", "skimage:bicubic-aa"})

#: Backends whose module computes the top-left region of a resize from the part of the image it
#: reads, bit for bit (:mod:`sr_audit.backends.regions`; each helper says why, and
#: ``tests/test_identify_crops.py`` pins it against the whole image): name -> "module:function".
#: They give the crop screen at ``full`` and ``resize-to-fit`` (where the mapping is not ``1/s``),
#: and scikit-image's bicubic at every geometry. PyTorch's helper declines uint8 bilinear and
#: bicubic (their fixed-point precision is chosen per call), OpenCV has none.
REGION_RESIZERS: dict[str, str] = {
    "pil": "sr_audit.backends.pillow:resize_region",
    "tf": "sr_audit.backends.tensorflow_image:resize_region",
    "torch": "sr_audit.backends.pytorch:resize_region",
    "skimage": "sr_audit.backends.scikit_image:resize_region",
}

#: Backends whose module bounds the top-left region of a resize from a part of the image where no
#: part computes it exactly (:mod:`sr_audit.backends.regions`, "bounds"): name -> "module:function".
#: scikit-image's bicubic at resize-to-fit: its second step's prefilter and clip read the whole
#: first step, which the bounds spare (pinned by ``tests/test_identify_crops.py``).
REGION_BOUNDS: dict[str, str] = {
    "skimage": "sr_audit.backends.scikit_image:resize_region_bounds",
}

#: First-step rows and columns beyond ``s * crop`` that a resize-to-fit screen gives a
#: :data:`REGION_BOUNDS` helper (scikit-image needs its kernel's reach, its Gaussian's radius twice
#: and ``SPLINE_TAIL``, 20: at most 38 at x4).
_BOUNDS_PART = 40

#: Specs that compute, for every input, bit for bit what another spec computes (alias -> that
#: spec): the MATLAB port resizes ``triangle`` and ``bilinear`` with one kernel function and width,
#: and ``nearest`` and ``box`` too (``_KERNEL_FUNCTIONS``, ``KERNEL_WIDTHS`` in
#: ``backends/matlab_port.py``), so the methods of both are one family, resized once (pinned by
#: ``tests/test_identify_crops.py``).
SAME_OUTPUT: dict[str, str] = {
    **{f"{b}:triangle{aa}": f"{b}:bilinear{aa}" for b in ("matlab", "matlab-legacy") for aa in ("+aa", "-aa")},
    **{f"{b}:nearest-aa": f"{b}:box-aa" for b in ("matlab", "matlab-legacy")},
}

#: Backends whose antialiasing computes nothing when no axis shrinks by this factor (in/out) or
#: more, so ``+aa`` is bit for bit ``-aa`` there. scikit-image blurs with
#: ``scipy.ndimage.gaussian_filter`` at sigma = max(0, (in/out - 1) / 2) per axis, truncated at 4
#: sigma: its radius ``int(4 * sigma + 0.5)`` is 0 below a factor of 1.25, the kernel the single
#: weight 1.0, and the filter a copy (1.2 leaves a margin). A resize-to-fit's first step
#: (``n -> n // s * s``) is such a step on any image of 6 or more pixels per side and scale, so
#: the two specs share it (:func:`_step_spec`; pinned by ``tests/test_identify.py``).
AA_IDENTITY_BELOW: dict[str, float] = {"skimage": 1.2}

#: Down specs of the down-then-up search (resolved to canonical specs; uninstalled ones skipped).
DOWN_UP_DOWN: tuple[str, ...] = (
    "matlab", "matlab-legacy", "pil:bicubic", "cv2:bicubic", "cv2:area", "torch:bicubic+aa",
    "torch:bicubic-aa", "tf:bicubic+aa", "skimage:bicubic+aa",
)
#: Up specs of the down-then-up search.
DOWN_UP_UP: tuple[str, ...] = (
    "matlab", "matlab-legacy", "pil:bicubic", "cv2:bicubic", "torch:bicubic-aa", "tf:bicubic-aa",
    "skimage:bicubic-aa",
)
#: Compute paths of the down-then-up search: both steps on the 8-bit path, or both in float with
#: one rounding half away from zero at the end (MATLAB's im2double pipeline).
DOWN_UP_COMPUTES: tuple[tuple[str, str], ...] = (("uint8", "library"), ("float", "half-away-from-zero"))
#: Scales tried for down-then-up data when neither the option nor the file names give one.
DOWN_UP_SCALES: tuple[int, ...] = (2, 3, 4)


def _every_channel(mask: np.ndarray, combine: np.ufunc = np.logical_and) -> np.ndarray:
    """HxW: where an HxW or HxWxC boolean mask holds in every channel (``combine`` =
    ``np.logical_or``: in any channel); the same as ``mask.all(axis=2)`` (``any``), channel by
    channel, which is many times faster on a last axis of 3.

    >>> m = np.array([[[True, True], [True, False]]])
    >>> _every_channel(m).tolist(), _every_channel(m, np.logical_or).tolist()
    ([[True, False]], [[True, True]])
    """
    if mask.ndim == 2:
        return mask
    out = mask[..., 0].copy()
    for k in range(1, mask.shape[2]):
        combine(out, mask[..., k], out=out)
    return out


@dataclass(frozen=True)
class MatchCriterion:
    """When a reproduction is a *match*: at least this fraction of the pixels exactly equal."""

    min_exact_fraction: float = 0.99

    def __post_init__(self) -> None:
        value = self.min_exact_fraction
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
            raise SpecError(f"MatchCriterion.min_exact_fraction must be in (0, 1], got {value!r}")

    def is_match(self, exact: float) -> bool:
        """Whether an exact-match fraction is a match."""
        return exact >= self.min_exact_fraction

    def describe(self) -> str:
        return f"exact-match fraction >= {self.min_exact_fraction:g} (PSNR never makes a match)"


#: The default criterion of a match.
MATCH = MatchCriterion()


@dataclass(frozen=True)
class Equivalence:
    """When an output is *equal* to a reference output (cannot be told apart from it).

    Equal: no pixel differs by more than ``max_abs_diff`` grey levels, and, leaving out the pixels
    where the reference's unrounded value (float path) lies within ``tie_window`` grey levels of an
    exact .5 tie, fewer than ``max_fraction`` of the pixels differ (any channel). The .5 ties are
    where libraries computing the same arithmetic round apart on float noise (TensorFlow's float32,
    summation order): at x2 a bilinear or area average is a quarter-integer, so a fifth of the
    pixels can be ties.
    """

    max_abs_diff: int = 1
    max_fraction: float = 1e-3
    tie_window: float = 1e-4

    def __post_init__(self) -> None:
        if isinstance(self.max_abs_diff, bool) or not isinstance(self.max_abs_diff, int) or self.max_abs_diff < 0:
            raise SpecError(f"Equivalence.max_abs_diff must be a non-negative integer, got {self.max_abs_diff!r}")
        if isinstance(self.max_fraction, bool) or not isinstance(self.max_fraction, (int, float)) or not 0.0 <= self.max_fraction < 1.0:
            raise SpecError(f"Equivalence.max_fraction must be in [0, 1), got {self.max_fraction!r}")
        if isinstance(self.tie_window, bool) or not isinstance(self.tie_window, (int, float)) or not 0.0 <= self.tie_window < 0.5:
            raise SpecError(f"Equivalence.tie_window must be in [0, 0.5), got {self.tie_window!r}")

    def tie_mask(self, raw255: np.ndarray) -> np.ndarray:
        """HxW: pixels where any channel of an unrounded output (in grey levels) is a .5 tie."""
        near = np.abs(raw255 - np.floor(raw255) - 0.5) <= self.tie_window
        return _every_channel(near, np.logical_or)

    def equal(self, a: np.ndarray, reference: np.ndarray, ties: np.ndarray | None = None) -> bool:
        """Whether uint8 output ``a`` is equal to ``reference`` (same shape), ``ties`` being the
        reference's :meth:`tie_mask` (None: uint8 path, no ties)."""
        diff = np.abs(a.astype(np.int16) - reference.astype(np.int16))
        if diff.size and int(diff.max()) > self.max_abs_diff:
            return False
        differs = _every_channel(diff > 0, np.logical_or)
        if ties is not None:
            differs &= ~ties
        return not differs.any() or np.count_nonzero(differs) < self.max_fraction * differs.size

    def slack(self, ties: np.ndarray | None) -> float:
        """How far below the reference's exact fraction an equal output's can lie."""
        return self.max_fraction + (0.0 if ties is None else float(np.mean(ties)))

    def describe(self) -> str:
        return (
            f"equal = no pixel differs by more than {self.max_abs_diff} grey level(s), and apart from the "
            f".5 ties of the reference's unrounded output (within {self.tie_window:g}) fewer than "
            f"{self.max_fraction:.2%} of the pixels differ"
        )


#: The default equality of outputs.
EQUAL = Equivalence()


@dataclass(frozen=True)
class Search:
    """How each pair is searched (module docstring, "Search").

    Attributes
    ----------
    prune : bool
        Drop methods a crop screen proves cannot be best or equal to it (False: score everything).
    screen_side : int
        LR side of the screening crop; pairs whose LR fits in it are scored whole.
    first_screen_side : int
        LR side of a smaller crop every method is screened on first; only the methods whose bound
        from it does not drop them are screened again on ``screen_side`` before they are scored
        (at least ``screen_side``: one crop).
    margin : int
        LR rows/columns at the cut edges of the crop left out of the comparison.
    nearest : int
        Distinct candidates kept exact on a pair nothing matches, and shown when nothing matches.
    workers : int
        Threads: pairs searched at once, each by one thread (for a single pair, its families
        resized at once; the libraries release the GIL in their resampling loops). The results do
        not depend on it.
    """

    prune: bool = True
    screen_side: int = 64
    first_screen_side: int = 32
    margin: int = 8
    nearest: int = 5
    workers: int = 2

    def __post_init__(self) -> None:
        if not isinstance(self.prune, bool):
            raise SpecError(f"Search.prune must be True or False, got {self.prune!r}")
        for name in ("screen_side", "first_screen_side", "nearest", "workers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SpecError(f"Search.{name} must be a positive integer, got {value!r}")
        side = min(self.screen_side, self.first_screen_side)
        if isinstance(self.margin, bool) or not isinstance(self.margin, int) or not 0 <= self.margin < side // 2:
            raise SpecError(f"Search.margin must be an integer in [0, min(screen_side, first_screen_side)/2), got {self.margin!r}")


@dataclass(frozen=True)
class Method:
    """One way an LR image may have been made from its HR image (module docstring)."""

    spec: str
    compute: str
    rounding: str
    channel: str
    up: str | None = None

    def __post_init__(self) -> None:
        allowed = (LIBRARY_ROUNDING,) if self.compute == "uint8" else FLOAT_ROUNDINGS
        if self.compute not in ("uint8", "float") or self.rounding not in allowed:
            raise SpecError(
                f"method {self.spec} {self.compute}/{self.rounding}: compute must be uint8 (rounding "
                f"{LIBRARY_ROUNDING!r}) or float (rounding one of: {', '.join(FLOAT_ROUNDINGS)})"
            )

    @functools.cached_property
    def label(self) -> str:
        """e.g. ``matlab-legacy:bicubic+aa uint8 as-is``, ``matlab:bicubic+aa then pil:bicubic+aa float/half-up as-is``."""
        path = "uint8" if self.compute == "uint8" else f"float/{self.rounding}"
        spec = self.spec if self.up is None else f"{self.spec} then {self.up}"
        return f"{spec} {path} {self.channel}"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Verdict:
    """The data-set verdict (module docstring).

    Attributes
    ----------
    method : Method
        Best or equal to the best on most pairs, then highest mean exact fraction.
    equal : tuple of Method
        Every other method whose output is equal to ``method``'s on every pair.
    equal_exact : tuple of float
        The mean exact fraction of each of ``equal`` (equal is not identical: they may differ on
        the .5 ties and on fewer than 0.1 % of the other pixels).
    also_matching : tuple of (Method, float)
        Methods that are not equal to ``method`` but also match on every pair, with their mean
        exact fractions: the data tells them apart, the criterion does not.
    match : bool
        ``method`` is matched on every pair.
    pairs_matched : int
        Pairs on which ``method``'s exact fraction is a match.
    pairs_won : int
        Pairs on which ``method`` is best or equal to the best.
    n_pairs : int
    mean_exact : float
    psnr : float
        PSNR of its mean MSE over the pairs (``inf`` when every pair is reproduced exactly).
    geometry : str
        ``modcrop``, ``full``, ``resize-to-fit``, ``either`` or ``mixed``.
    scale : float or None
        The scale of its geometry (None: size-specified).
    nearest : tuple of (Method, float, float)
        When not a match: the nearest distinct candidates, (method, mean exact, PSNR of mean MSE).
    criterion : MatchCriterion
    equivalence : Equivalence
    """

    method: Method
    equal: tuple[Method, ...]
    equal_exact: tuple[float, ...]
    also_matching: tuple[tuple[Method, float], ...]
    match: bool
    pairs_matched: int
    pairs_won: int
    n_pairs: int
    mean_exact: float
    psnr: float
    geometry: str
    scale: float | None
    nearest: tuple[tuple[Method, float, float], ...]
    criterion: MatchCriterion
    equivalence: Equivalence

    def text(self) -> str:
        """One sentence: what made the data, or that no registered method reproduces it."""
        stats = (
            f"mean exact-match {self.mean_exact:.4f}, PSNR {_fmt_psnr(self.psnr)}; matched on "
            f"{self.pairs_matched}/{self.n_pairs} pairs, best on {self.pairs_won}/{self.n_pairs}"
        )
        if self.match:
            line = f"{self.method.label} reproduces these files ({stats}; geometry {self.geometry}"
            line += f", scale {_fmt_scale(self.scale)})"
            if self.equal:
                line += (
                    f"; these cannot be told apart on this data: {self.method.label} and {len(self.equal)} more, "
                    f"{compact_labels(self.equal)} ({self.equivalence.describe()})"
                )
            if self.also_matching:
                line += (
                    "; also a match on every pair but told apart from it by the data (mean exact-match): "
                    + ", ".join(f"{m.label} {e:.4f}" for m, e in self.also_matching)
                )
            return line
        if self.pairs_matched:
            return (
                f"no single registered method reproduces every pair: the best, {self.method.label}, "
                f"reproduces {self.pairs_matched}/{self.n_pairs} ({stats}); the other pairs were made otherwise"
            )
        return (
            f"no registered method reproduces these files: the nearest, {self.method.label}, has {stats}, "
            f"below the {self.criterion.min_exact_fraction:g} exact-match a match needs"
        )


@dataclass(frozen=True)
class Identification:
    """Everything :func:`identify` measured.

    Attributes
    ----------
    hr_dir, lr_dir : str
    pairing : Pairing
        How the files were paired.
    mode : str
        ``down`` or ``down-up`` (LR files of the HR size).
    scales : tuple
        Scales searched (None: size-specified).
    scale_source : str
    criterion : MatchCriterion
    equivalence : Equivalence
    search : Search
    n_methods : int
        Methods searched per pair (each at every geometry that applies).
    scores : DataFrame
        Long format, one row per (pair, method, geometry): ``pair, method, spec, up, compute,
        rounding, channel, geometry, scale, scored`` (False: dropped by the crop screen),
        ``bound`` (the screen's upper bound of ``exact``, NaN when not screened), ``exact, psnr,
        mse`` (NaN when not scored), ``output`` (hash of the output; equal hashes = bit-identical).
    best : DataFrame
        One row per pair: ``pair, best, exact, psnr, geometry, matched, equal, runner_up,
        runner_up_exact, runner_up_psnr, scored, pruned, pruned_bound, exhaustive``.
    verdict : Verdict
    notes : tuple of str
        What the search had to do (re-scored pairs, scales searched).
    """

    hr_dir: str
    lr_dir: str
    pairing: Pairing
    mode: str
    scales: tuple[float | None, ...]
    scale_source: str
    criterion: MatchCriterion
    equivalence: Equivalence
    search: Search
    n_methods: int
    scores: pd.DataFrame
    best: pd.DataFrame
    verdict: Verdict
    notes: tuple[str, ...]

    @property
    def scale(self) -> float | None:
        """The verdict's scale."""
        return self.verdict.scale

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record (infinite PSNRs as the string ``"inf"``)."""
        v = self.verdict

        def method(m: Method) -> dict[str, Any]:
            return {"label": m.label, "spec": m.spec, "up": m.up, "compute": m.compute, "rounding": m.rounding, "channel": m.channel}

        return {
            "hr_dir": self.hr_dir,
            "lr_dir": self.lr_dir,
            "pairing": self.pairing.describe(),
            "unmatched": [str(p) for p in self.pairing.unmatched],
            "ambiguous": list(self.pairing.ambiguous),
            "mode": self.mode,
            "scales_searched": [s for s in self.scales],
            "scale_source": self.scale_source,
            "match_criterion": {"min_exact_fraction": self.criterion.min_exact_fraction},
            "equal": {"max_abs_diff": self.equivalence.max_abs_diff, "max_fraction": self.equivalence.max_fraction,
                      "tie_window": self.equivalence.tie_window},
            "search": {"prune": self.search.prune, "screen_side": self.search.screen_side,
                       "first_screen_side": self.search.first_screen_side,
                       "margin": self.search.margin, "nearest": self.search.nearest, "workers": self.search.workers},
            "methods_per_pair": self.n_methods,
            "verdict": {
                "match": v.match,
                "text": v.text(),
                **method(v.method),
                "equal": [{"method": m.label, "mean_exact": e} for m, e in zip(v.equal, v.equal_exact)],
                "also_matching": [{"method": m.label, "mean_exact": e} for m, e in v.also_matching],
                "pairs_matched": v.pairs_matched,
                "pairs_won": v.pairs_won,
                "n_pairs": v.n_pairs,
                "mean_exact": v.mean_exact,
                "psnr": json_number(v.psnr),
                "geometry": v.geometry,
                "scale": v.scale,
                "nearest": [{"method": m.label, "mean_exact": e, "psnr": json_number(p)} for m, e, p in v.nearest],
            },
            "pairs": [
                {k: json_number(val) for k, val in row.items()}
                for row in self.best.to_dict("records")
            ],
            "notes": list(self.notes),
        }


def _fmt_psnr(value: float) -> str:
    return "inf (identical)" if math.isinf(value) else f"{value:.2f} dB"


def _fmt_scale(value: float | None) -> str:
    return "size-specified" if value is None else f"x{value:g}"


# ------------------------------------------------------------------------------------ geometry


def _size_options(n: int, s: float) -> set[int]:
    return {math.floor(n / s), math.ceil(n / s), round(n / s)}


def fitting_scales(hr_size: tuple[int, int], lr_size: tuple[int, int]) -> list[int]:
    """Integer scales >= 2 under which ``lr_size`` is a floor, ceil or round of ``hr_size / s``.

    >>> fitting_scales((512, 300), (171, 100))
    [3]
    """
    if lr_size[0] >= hr_size[0] or lr_size[1] >= hr_size[1]:
        return []
    top = max(hr_size[0] // max(lr_size[0], 1), hr_size[1] // max(lr_size[1], 1)) + 1
    return [
        s for s in range(2, top + 1)
        if all(lr in _size_options(hr, s) for hr, lr in zip(hr_size, lr_size))
    ]


def geometries(hr_size: tuple[int, int], lr_size: tuple[int, int], scale: float | None) -> list[str]:
    """Geometries (:data:`GEOMETRIES`) under which an HR of ``hr_size`` gives ``lr_size`` at ``scale``.

    >>> geometries((481, 321), (160, 107), 3)
    ['modcrop', 'full', 'resize-to-fit']
    >>> geometries((481, 321), (192, 128), 2.5), geometries((481, 321), (200, 100), None)
    (['full'], ['full'])
    """
    if scale is None or scale != int(scale):
        ok = scale is None or all(lr in _size_options(hr, scale) for hr, lr in zip(hr_size, lr_size))
        return ["full"] if ok else []
    s = int(scale)
    floor = all(lr == hr // s for hr, lr in zip(hr_size, lr_size))
    if all(hr % s == 0 for hr in hr_size):
        return ["either"] if floor else []
    found = ["modcrop"] if floor else []
    if all(lr in _size_options(hr, s) for hr, lr in zip(hr_size, lr_size)):
        found.append("full")
    if floor:
        found.append("resize-to-fit")
    return found


def down_up_geometries(hr_size: tuple[int, int], lr_size: tuple[int, int], scale: int) -> list[str]:
    """Geometries of a down-then-up pair: ``either``/``full`` for an LR of the HR size; ``modcrop``
    and ``resize-to-fit`` (the HR resized to the multiple of the scale by the down spec, as the
    popular PyTorch SRCNN's data preparation does, then down and up) for one of the modcropped size.

    >>> down_up_geometries((480, 320), (480, 320), 4), down_up_geometries((481, 321), (480, 320), 4)
    (['either'], ['modcrop', 'resize-to-fit'])
    """
    cropped = tuple(n - n % scale for n in hr_size)
    if lr_size == hr_size:
        return ["either"] if cropped == hr_size else ["full"]
    return ["modcrop", "resize-to-fit"] if lr_size == cropped else []


def _describe_sizes(hr_size: tuple[int, int], scale: float) -> str:
    options = sorted({(h, w) for h in _size_options(hr_size[0], scale) for w in _size_options(hr_size[1], scale)})
    return " or ".join(f"{h}x{w}" for h, w in options)


def _parse_scale(scale: float | None) -> float | None:
    if scale is None:
        return None
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer, np.floating, Fraction)) or not math.isfinite(float(scale)) or float(scale) <= 1.0:
        raise SpecError(f"scale must be a number above 1 (an integer such as 3, or e.g. 2.5), got {scale!r}")
    value = float(scale)
    return int(value) if value == int(value) else value


def _one_scale(hr: tuple[int, int], lr: tuple[int, int]) -> bool:
    """Whether both sides shrink by about the same ratio (within one LR pixel)."""
    return abs(lr[1] - hr[1] * lr[0] / hr[0]) <= 1.0 + hr[1] / hr[0] and lr[0] < hr[0] and lr[1] < hr[1]


def _choose_scales(
    sizes: dict[str, tuple[tuple[int, int], tuple[int, int]]], scale: float | None, named: int | None,
    named_by: str = "the file names",
) -> tuple[str, tuple[float | None, ...], str]:
    """(mode, scales to search, how they were chosen); ``named`` is the scale the pairing read from
    ``named_by`` (the file names, or a folder's name: :attr:`sr_audit.layouts.Pairing.scale_source`)."""
    given = _parse_scale(scale)
    integer = given is not None and given == int(given)
    options = (int(given),) if integer else ((named,) if named else DOWN_UP_SCALES)  # type: ignore[arg-type]
    if all(any(down_up_geometries(hr, lr, s) for s in options) for hr, lr in sizes.values()):
        source = "given" if integer else (f"from {named_by}" if named else "each of " + ", ".join(f"x{s}" for s in DOWN_UP_SCALES) + " searched")
        return "down-up", options, source
    if given is not None:
        for name, (hr, lr) in sizes.items():
            if not geometries(hr, lr, given):
                raise ImageError(
                    f"pair {name}: HR {hr[0]}x{hr[1]} and LR {lr[0]}x{lr[1]} are not related by scale {given:g} "
                    f"(expected LR {_describe_sizes(hr, given)}); check --scale or the pairing"
                )
        return "down", (given,), "given"
    fits = {name: fitting_scales(hr, lr) for name, (hr, lr) in sizes.items()}
    if all(fits.values()):
        common = set.intersection(*(set(f) for f in fits.values()))
        if not common:
            seen = ", ".join(f"{name} x{'/'.join(map(str, f))}" for name, f in list(fits.items())[:6])
            raise ImageError(f"the pairs' sizes give inconsistent scales ({seen}); pass --scale S or split the folders")
        if named in common:
            return "down", (named,), f"from {named_by}, consistent with the sizes"
        exact = [s for s in sorted(common) if all(hr[0] == lr[0] * s and hr[1] == lr[1] * s for hr, lr in sizes.values())]
        if len(common) == 1 or len(exact) == 1:
            return "down", ((exact or sorted(common))[0],), "inferred from the sizes"
        raise ImageError(f"the pairs' sizes fit several scales ({', '.join(map(str, sorted(common)))}); pass --scale S")
    for name, (hr, lr) in sizes.items():
        if not _one_scale(hr, lr):
            raise ImageError(
                f"pair {name}: HR {hr[0]}x{hr[1]} and LR {lr[0]}x{lr[1]} are not related by one scale "
                f"(ratios {hr[0] / lr[0]:.3f} and {hr[1] / lr[1]:.3f}); check the pairing or the files"
            )
    return "down", (None,), "size-specified: no integer scale fits every pair, each method resizes the HR to the LR size"


# -------------------------------------------------------------------------------------- methods


def candidate_specs() -> list[str]:
    """Canonical specs of every installed backend x kernel x antialias setting, in registry order."""
    specs: list[str] = []
    for status in backend_status():
        if status.reason is not None:
            continue
        backend = backends.get_backend(status.name)
        for kernel, fixed in backend.kernels.items():
            for aa in ([fixed] if fixed is not None else [True, False]):
                spec = str(backend.resolve(ResizeSpec(status.name, kernel, aa)))
                if spec not in specs:
                    specs.append(spec)
    return specs


def channels_for(hr: np.ndarray, lr: np.ndarray) -> list[str]:
    """Channel rules (:data:`CHANNELS`) that can turn this HR into an LR of this kind."""
    if hr.ndim == 3 and lr.ndim == 2:
        return [c for d in Y_DEFINITIONS for c in (f"y:{d}", f"y:{d}:unrounded")]
    return ["as-is"]


def enumerate_methods(specs: Sequence[str], channels: Sequence[str]) -> list[Method]:
    """Every method of ``specs`` x compute paths x roundings x ``channels``, in preference order."""
    found = []
    for spec in specs:
        for channel in channels:
            if not channel.endswith(":unrounded"):
                found.append(Method(spec, "uint8", LIBRARY_ROUNDING, channel))
            found.extend(Method(spec, "float", rule, channel) for rule in FLOAT_ROUNDINGS)
    return found


def down_up_methods(installed: Sequence[str]) -> list[Method]:
    """The bounded down x up x compute product of the down-then-up search (module docstring)."""
    def canon(specs: Sequence[str]) -> list[str]:
        return [s for s in (str(backends.resolve(x)) for x in specs) if s in installed]

    return [
        Method(down, compute, rounding, "as-is", up=up)
        for down in canon(DOWN_UP_DOWN) for up in canon(DOWN_UP_UP) for compute, rounding in DOWN_UP_COMPUTES
    ]


def applies(channel: str, hr: np.ndarray, lr: np.ndarray) -> bool:
    """Whether a channel rule can turn this HR into this LR (a grayscale HR is its own Y)."""
    if channel == "as-is":
        return hr.ndim == lr.ndim or hr.ndim == 2
    return lr.ndim == 2


def _plane(hr: np.ndarray, channel: str, compute: str) -> np.ndarray:
    """The HR array a channel rule resizes: uint8 for the uint8 path, float64 in [0, 1] for float."""
    if channel == "as-is" or hr.ndim == 2:
        x = hr
    else:
        _, definition, *rest = channel.split(":")
        y = rgb_to_y(hr, definition)
        if rest:  # unrounded: float path only
            return y / 255.0
        x = quantize(y, np.uint8, "half-away-from-zero")
    return x if compute == "uint8" else im2double(x)


def _match_lr_layout(hr: np.ndarray, lr: np.ndarray) -> np.ndarray:
    """A grayscale HR repeated into three channels when the LR is RGB."""
    return np.repeat(hr[:, :, None], 3, axis=2) if hr.ndim == 2 and lr.ndim == 3 else hr


def _step_spec(spec: str, in_size: tuple[int, int], out_size: tuple[int, int]) -> str | None:
    """The ``-aa`` form of ``spec``'s backend and kernel, which computes ``in_size -> out_size``
    bit for bit as both its ``+aa`` and ``-aa`` forms do when :data:`AA_IDENTITY_BELOW` proves
    the antialiasing a copy there; None when there is no such proof.

    >>> _step_spec("skimage:bicubic+aa", (481, 321), (480, 320)), _step_spec("skimage:bicubic+aa", (481, 321), (240, 160))
    ('skimage:bicubic-aa', None)
    """
    parsed = backends.resolve(spec)
    limit = AA_IDENTITY_BELOW.get(parsed.backend)
    if limit is None or not all(i / o < limit for i, o in zip(in_size, out_size)):
        return None
    return str(backends.resolve(ResizeSpec(parsed.backend, parsed.kernel, False)))


#: Shared first steps a pair keeps at a time (the families that share one come one after another).
_SHARED_KEPT = 8


class _Shared:
    """First steps of resize-to-fit that several families compute alike (:func:`_step_spec`),
    each computed once per key even when worker threads ask for it at the same time; the last
    :data:`_SHARED_KEPT` are kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[Any, ...], tuple[threading.Lock, list[np.ndarray]]] = {}

    def get(self, key: tuple[Any, ...], compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The array stored under ``key``, made by ``compute()`` on first use."""
        with self._lock:
            lock, slot = self._entries.setdefault(key, (threading.Lock(), []))
            while len(self._entries) > _SHARED_KEPT:
                del self._entries[next(iter(self._entries))]
        with lock:
            if not slot:
                slot.append(compute())
            return slot[0]

    def clear(self) -> None:
        """Drop every stored array."""
        with self._lock:
            self._entries.clear()


def _down(
    x: np.ndarray, spec: str, geometry: str, out_size: tuple[int, int], scale: float | None,
    shared: tuple[_Shared, tuple[Any, ...]] | None = None,
) -> np.ndarray:
    """``x`` resized to ``out_size`` under ``geometry`` (module docstring); ``shared`` (a store and
    the key of ``x``) lets a resize-to-fit first step that :func:`_step_spec` proves common to
    several specs be computed once."""
    if geometry in ("modcrop", "either"):
        return resize(modcrop(x, int(scale)), spec, size=out_size)  # type: ignore[arg-type]
    if geometry == "resize-to-fit":
        s = int(scale)  # type: ignore[arg-type]
        fit = (x.shape[0] // s * s, x.shape[1] // s * s)
        common = _step_spec(spec, (int(x.shape[0]), int(x.shape[1])), fit)
        if shared is None or common is None:
            mid = resize(x, spec, size=fit)
        else:
            store, key = shared
            mid = store.get((*key, common, fit), lambda: resize(x, common, size=fit))
        return resize(mid, spec, size=out_size)
    in_size = (int(x.shape[0]), int(x.shape[1]))
    if scale is not None and output_size(in_size, (1.0 / scale, 1.0 / scale), conventions_of(spec).size_rule) == out_size:
        return resize(x, spec, scale=1.0 / scale)
    return resize(x, spec, size=out_size)


def _family_output(
    x: np.ndarray, m: Method, geometry: str, out_size: tuple[int, int], scale: float | None,
    shared: _Shared | None = None,
) -> np.ndarray:
    """The unrounded output of ``m``'s family (uint8 path: final); ``x`` is the pair's HR plane
    of ``m`` when ``shared`` (the pair's store of common first steps, :func:`_down`) is given."""
    if m.up is None:
        return _down(x, m.spec, geometry, out_size, scale, None if shared is None else (shared, (m.channel, m.compute)))
    s = int(scale)  # type: ignore[arg-type]
    if geometry == "resize-to-fit":
        base = resize(x, m.spec, size=(x.shape[0] // s * s, x.shape[1] // s * s))
    else:
        base = modcrop(x, s) if geometry == "modcrop" else x
    h, w = base.shape[:2]
    return resize(resize(base, m.spec, size=(h // s, w // s)), m.up, size=(h, w))


def _finish(raw: np.ndarray, m: Method) -> np.ndarray:
    return raw if m.compute == "uint8" else quantize(raw * 255.0, np.uint8, m.rounding)


def _digest(array: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(array).tobytes(), digest_size=12).hexdigest()


def _family(m: Method) -> tuple[str, str | None, str, str]:
    """What one resize computes for every method of it (the roundings share it; so do the specs of
    :data:`SAME_OUTPUT`)."""
    up = None if m.up is None else SAME_OUTPUT.get(m.up, m.up)
    return (SAME_OUTPUT.get(m.spec, m.spec), up, m.compute, m.channel)


# ---------------------------------------------------------------------------------------- search


@dataclass(frozen=True)
class _Computation:
    """One (method, geometry, scale) on one pair (hashed once: the search looks them up often)."""

    method: Method
    geometry: str
    scale: float | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.method, self.geometry, self.scale)))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined, no-any-return]

    @functools.cached_property
    def family(self) -> tuple[Any, ...]:
        """The computations one resize serves: a family (:func:`_family`) at one geometry and scale."""
        return (_family(self.method), self.geometry, self.scale)


#: Unrounded family outputs a pair keeps at a time.
_RAW_KEPT = 8


class _Pair:
    """One pair's images and the computations that apply to it, with whole-image outputs on demand."""

    def __init__(self, name: str, hr: np.ndarray, lr: np.ndarray, comps: list[_Computation]) -> None:
        self.name, self.hr, self.lr, self.comps = name, hr, lr, comps
        self.size = (int(lr.shape[0]), int(lr.shape[1]))
        self._raw: dict[tuple[Any, ...], np.ndarray] = {}
        self._planes: dict[tuple[str, str], np.ndarray] = {}
        self.shared = _Shared()
        self._lr64 = lr.astype(np.int64)

    def plane(self, channel: str, compute: str) -> np.ndarray:
        """:func:`_plane` of the HR, computed once (a crop of it is the plane of the HR's crop:
        every channel rule works pixel by pixel)."""
        key = (channel, compute)
        if key not in self._planes:
            self._planes[key] = _plane(self.hr, channel, compute)
        return self._planes[key]

    def output(self, c: _Computation) -> np.ndarray:
        """The uint8 output of ``c`` on the whole image (the last :data:`_RAW_KEPT` families' unrounded
        outputs are kept, so the roundings of one float resize share it)."""
        key = c.family
        if key not in self._raw:
            x = self.plane(c.method.channel, c.method.compute)
            if len(self._raw) >= _RAW_KEPT:
                del self._raw[next(iter(self._raw))]
            self._raw[key] = _family_output(x, c.method, c.geometry, self.size, c.scale, self.shared)
        return _finish(self._raw[key], c.method)

    def ties(self, c: _Computation, equivalence: Equivalence) -> np.ndarray | None:
        """The :meth:`Equivalence.tie_mask` of ``c``'s unrounded output (None on the uint8 path)."""
        if c.method.compute == "uint8":
            return None
        self.output(c)
        return equivalence.tie_mask(self._raw[c.family] * 255.0)

    def release(self) -> None:
        """Drop the kept unrounded outputs, planes and shared first steps."""
        self._raw.clear()
        self._planes.clear()
        self.shared.clear()

    def score(self, out: np.ndarray) -> tuple[float, float, float]:
        """(exact fraction, MSE, PSNR) of an output against the LR.

        The MSE is the integer sum of squared differences over the pixel count: the float64 mean
        of :func:`sr_audit.metrics.psnr` sums the same integers exactly (every partial sum is below
        2**53), so both MSE and PSNR are bit for bit that function's (pinned by a test).
        """
        exact = float(np.count_nonzero(_every_channel(out == self.lr))) / (self.size[0] * self.size[1])
        d = out.astype(np.int64) - self._lr64
        mse = int(np.vdot(d, d)) / d.size
        return exact, mse, (math.inf if mse == 0 else 20.0 * math.log10(255.0) - 10.0 * math.log10(mse))


def _applicable(comp: _Computation, hr: np.ndarray, lr: np.ndarray) -> bool:
    m = comp.method
    dtype = "float64" if m.compute == "float" else "uint8"
    specs = (m.spec,) if m.up is None else (m.spec, m.up)
    return applies(m.channel, hr, lr) and all(dtype in conventions_of(s).dtypes for s in specs)


def _helper(registry: dict[str, str], x: np.ndarray, spec: str, region: tuple[int, int], size: tuple[int, int] | None,
            scale: float | None, in_size: tuple[int, int] | None) -> Any:
    """What the backend's helper of ``registry`` returns for the top-left ``region`` of ``spec``'s
    resize (:func:`_region`, :func:`_region_bounds`); None where it has none or the region is the
    whole output."""
    parsed = backends.resolve(spec)
    path = registry.get(parsed.backend)
    if path is None:
        return None
    module, name = path.split(":")
    whole = in_size or (int(x.shape[0]), int(x.shape[1]))
    out, scales = plan_output(whole, scale=scale, size=size, rule=conventions_of(parsed).size_rule)
    if tuple(region) == tuple(out):
        return None
    helper = getattr(importlib.import_module(module), name)
    return helper(parsed, x, out, scales, region, in_size=None if in_size is None else whole)


def _region(
    x: np.ndarray, spec: str, region: tuple[int, int], *, size: tuple[int, int] | None = None,
    scale: float | None = None, in_size: tuple[int, int] | None = None,
) -> np.ndarray | None:
    """``resize(X, spec, size=size or scale=scale)[:region[0], :region[1]]`` bit for bit through
    the backend's ``resize_region`` (:data:`REGION_RESIZERS`), where ``X`` is ``x`` or, given
    ``in_size``, an image of that size whose top-left part ``x`` is; None where the backend has
    no such helper, or it declines (:mod:`sr_audit.backends.regions`)."""
    return _helper(REGION_RESIZERS, x, spec, region, size, scale, in_size)  # type: ignore[no-any-return]


def _region_bounds(
    x: np.ndarray, spec: str, region: tuple[int, int], *, size: tuple[int, int] | None = None,
    scale: float | None = None, in_size: tuple[int, int] | None = None,
) -> _Crop | None:
    """Bounds of :func:`_region`'s values from the backend's :data:`REGION_BOUNDS` helper, for
    the specs of :data:`NONLOCAL`; None where it has none or declines."""
    bounds = _helper(REGION_BOUNDS, x, spec, region, size, scale, in_size)
    return None if bounds is None else _Crop(*bounds, region=(int(region[0]), int(region[1])))


@dataclass(frozen=True)
class _Crop:
    """A computation's unrounded output on a top-left part: ``lo`` and ``hi`` bound the whole
    image's values on ``region`` (the same array where the part computes them exactly)."""

    lo: np.ndarray
    hi: np.ndarray
    region: tuple[int, int]

    @classmethod
    def exact(cls, raw: np.ndarray, region: tuple[int, ...]) -> _Crop:
        return cls(raw, raw, (int(region[0]), int(region[1])))


def _full_mapping(spec: str, in_size: tuple[int, int], out_size: tuple[int, int], scale: float | None) -> dict[str, Any]:
    """How :func:`_down` resizes at ``full``: by the scale ``1/s`` when the backend's size rule gives
    ``out_size``, else by the size (the keyword arguments of :func:`resize`)."""
    if scale is not None and output_size(in_size, (1.0 / scale, 1.0 / scale), conventions_of(spec).size_rule) == out_size:
        return {"scale": 1.0 / scale}
    return {"size": out_size}


def _crop_raw(pair: _Pair, c: _Computation, search: Search) -> _Crop | None:
    """``c``'s unrounded output on a top-left part of the image and the LR region where it equals
    (or, from a :data:`REGION_BOUNDS` helper, bounds) the whole image's (module docstring,
    "Search"), or None when ``c`` has no such part or the part is the whole image."""
    m = c.method
    hr_size = (int(pair.hr.shape[0]), int(pair.hr.shape[1]))
    nonlocal_ = m.spec in NONLOCAL or m.up in NONLOCAL
    blocks = [min(side, search.screen_side) for side in pair.size]
    if c.geometry in CROPPABLE:
        s = int(c.scale)  # type: ignore[arg-type]
        if m.up is None and tuple(blocks) != pair.size:
            x = modcrop(pair.plane(m.channel, m.compute), s)
            if nonlocal_:
                return _region_bounds(x, m.spec, tuple(blocks), size=pair.size)  # type: ignore[arg-type]
            raw = _region(x, m.spec, tuple(blocks), size=pair.size)  # type: ignore[arg-type]
            if raw is not None:
                return _Crop.exact(raw, blocks)
        if nonlocal_:
            return None
        step = s if m.up is not None else 1  # output pixels per LR-scale block
        blocks = [min(side // step, search.screen_side) for side in pair.size]
        out_size = (blocks[0] * step, blocks[1] * step)
        if out_size == pair.size:
            return None
        x = pair.plane(m.channel, m.compute)[: blocks[0] * s, : blocks[1] * s]
        region = tuple(o - (search.margin * step if o < side else 0) for o, side in zip(out_size, pair.size))
        return _Crop.exact(_family_output(x, m, "either", out_size, c.scale), region)
    if m.up is not None or c.geometry not in ("full", "resize-to-fit") or tuple(blocks) == pair.size:
        return None
    if m.spec.split(":")[0] in CROP_BY_RATIO:
        return _crop_by_ratio(pair, c, search)
    x = pair.plane(m.channel, m.compute)
    if c.geometry == "full":
        mapping = _full_mapping(m.spec, hr_size, pair.size, c.scale)
        if nonlocal_:
            return _region_bounds(x, m.spec, tuple(blocks), **mapping)  # type: ignore[arg-type]
        raw = _region(x, m.spec, tuple(blocks), **mapping)  # type: ignore[arg-type]
        return None if raw is None else _Crop.exact(raw, blocks)
    s = int(c.scale)  # type: ignore[arg-type]
    fit = (hr_size[0] // s * s, hr_size[1] // s * s)
    # the second step maps by s exactly: its crop needs the first step's top-left rows and columns
    # of s * (blocks + margin) (capped at the image), computed on a part of the HR where it can be;
    # a nonlocal second step reads the whole first one, so it is bounded from a larger part
    mid_rows = tuple(min(f, s * b + (_BOUNDS_PART if nonlocal_ else s * search.margin)) for f, b in zip(fit, blocks))
    mid = _first_step(pair, x, m, fit, mid_rows)
    if nonlocal_:
        return _region_bounds(mid, m.spec, tuple(blocks), size=pair.size, in_size=fit)  # type: ignore[arg-type]
    raw = _region(mid, m.spec, tuple(blocks), size=pair.size, in_size=fit)  # type: ignore[arg-type]
    if raw is not None:
        return _Crop.exact(raw, blocks)
    aligned = tuple(r // s for r in mid_rows)
    raw = resize(mid[: aligned[0] * s, : aligned[1] * s], m.spec, size=aligned)
    region = tuple(min(b, a - (search.margin if a < side else 0)) for b, a, side in zip(blocks, aligned, pair.size))
    return _Crop.exact(raw, region)


def _first_step(pair: _Pair, x: np.ndarray, m: Method, fit: tuple[int, int], rows: tuple[int, int]) -> np.ndarray:
    """The top-left ``rows`` of the first step of ``m`` at resize-to-fit: a region resize where the
    backend has one, else the whole step cut; through the pair's shared store where
    :func:`_step_spec` proves it common to several specs (as :func:`_down` computes it)."""
    common = _step_spec(m.spec, (int(x.shape[0]), int(x.shape[1])), fit)
    spec = m.spec if common is None else common

    def compute() -> np.ndarray:
        part = _region(x, spec, rows, size=fit)
        if part is not None:
            return part
        if common is None:
            return resize(x, spec, size=fit)[: rows[0], : rows[1]]
        return pair.shared.get((m.channel, m.compute, common, fit), lambda: resize(x, common, size=fit))[: rows[0], : rows[1]]

    return compute() if common is None else pair.shared.get((m.channel, m.compute, common, fit, rows), compute)


def _crop_by_ratio(pair: _Pair, c: _Computation, search: Search) -> _Crop | None:
    """The crop of a :data:`CROP_BY_RATIO` backend at ``full`` or ``resize-to-fit``: a top-left HR
    crop resized by the whole image's ratio, compared away from the cut."""
    m = c.method
    hr_size = (int(pair.hr.shape[0]), int(pair.hr.shape[1]))
    if c.geometry == "full":
        by_scale = c.scale is not None and output_size(hr_size, (1.0 / c.scale, 1.0 / c.scale), conventions_of(m.spec).size_rule) == pair.size
        ratio = (1.0 / c.scale, 1.0 / c.scale) if by_scale else (pair.size[0] / hr_size[0], pair.size[1] / hr_size[1])  # type: ignore[operator]
        per_lr = (1.0, 1.0)
    else:
        s = int(c.scale)  # type: ignore[arg-type]
        fit = (hr_size[0] // s * s, hr_size[1] // s * s)
        ratio = (fit[0] / hr_size[0], fit[1] / hr_size[1])
        per_lr = (float(s), float(s))
    rows = [min(side, search.screen_side) for side in pair.size]
    cut = [min(n, math.ceil(r * k / q) + 1) for r, k, q, n in zip(rows, per_lr, ratio, hr_size)]
    if cut == list(hr_size):
        return None
    x = pair.plane(m.channel, m.compute)[: cut[0], : cut[1]]
    if c.geometry == "full":
        raw = resize(x, m.spec, scale=ratio)
    else:
        mid = modcrop(resize(x, m.spec, scale=ratio), s)
        raw = resize(mid, m.spec, size=(mid.shape[0] // s, mid.shape[1] // s))
    region = tuple(
        min(o, side) - (search.margin if n < full else 0)
        for o, side, n, full in zip(raw.shape[:2], pair.size, cut, hr_size)
    )
    return _Crop.exact(raw, region)


def _crop_bounds(
    pair: _Pair, comps: list[_Computation], search: Search
) -> tuple[dict[_Computation, float], dict[_Computation, _Crop]]:
    """Upper bounds of the whole-image exact fraction from top-left crops (module docstring), and
    each crop's rounded output (or bounds) on its compared region; one crop per family,
    ``search.workers`` families at a time. Where a crop only bounds the values, a pixel counts
    as a mismatch when the LR lies outside the rounded bounds in some channel (every rounding and
    saturation is monotone)."""
    groups: dict[tuple[Any, ...], list[_Computation]] = {}
    for c in comps:
        groups.setdefault(c.family, []).append(c)
    n = pair.size[0] * pair.size[1]

    def run(group: list[_Computation]) -> list[tuple[_Computation, float, _Crop]]:
        crop = _crop_raw(pair, group[0], search)
        if crop is None:
            return []
        h, w = crop.region
        if h < 1 or w < 1:
            return []
        lr = pair.lr[:h, :w]
        found = []
        for c in group:
            lo = _finish(crop.lo, c.method)[:h, :w]
            if crop.lo is crop.hi:
                hi, possible = lo, lo == lr
            else:
                hi = _finish(crop.hi, c.method)[:h, :w]
                possible = (lo <= lr) & (lr <= hi)
            mismatches = h * w - int(np.count_nonzero(_every_channel(possible)))
            found.append((c, 1.0 - mismatches / n, _Crop(lo, hi, (h, w))))
        return found

    bounds: dict[_Computation, float] = {}
    crops: dict[_Computation, _Crop] = {}
    for found in _map(run, list(groups.values()), search.workers):
        for c, bound, crop in found:
            bounds[c] = bound
            crops[c] = crop
    return bounds, crops


def _within(out: np.ndarray, crop: _Crop) -> bool:
    """Whether a whole-image output agrees with a screen's crop of it (equal, or within its bounds)."""
    h, w = crop.region
    part = out[:h, :w]
    if crop.lo is crop.hi:
        return np.array_equal(part, crop.lo)
    return bool(np.all((crop.lo <= part) & (part <= crop.hi)))


def _map(fn: Callable[[Any], Any], items: list[Any], workers: int) -> Iterator[Any]:
    """``map(fn, items)`` in order, ``workers`` at a time (the libraries release the GIL). When the
    consumer stops early (an error, Ctrl-C), the items not yet started are cancelled: only the
    ``workers`` running ones finish."""
    if workers == 1 or len(items) < 2:
        yield from map(fn, items)
        return
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        yield from pool.map(fn, items)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _whole_image(
    pair: _Pair, comps: list[_Computation], equivalence: Equivalence, workers: int
) -> Iterator[tuple[_Computation, np.ndarray, float, float, float, float]]:
    """(computation, output, exact, MSE, PSNR, slack) of each computation on the whole image, one
    resize per family, ``workers`` families at a time; in the order of ``comps``."""
    groups: dict[tuple[Any, ...], list[_Computation]] = {}
    for c in comps:
        groups.setdefault(c.family, []).append(c)

    def run(group: list[_Computation]) -> list[tuple[_Computation, np.ndarray, float, float, float, float]]:
        first = group[0]
        raw = _family_output(pair.plane(first.method.channel, first.method.compute), first.method,
                             first.geometry, pair.size, first.scale, pair.shared)
        ties = None if first.method.compute == "uint8" else equivalence.tie_mask(raw * 255.0)
        return [(c, out, *pair.score(out), equivalence.slack(ties)) for c in group for out in [_finish(raw, c.method)]]

    for done in _map(run, list(groups.values()), workers):
        yield from done


@dataclass
class _PairResult:
    rows: dict[_Computation, dict[str, Any]]
    outputs: dict[_Computation, np.ndarray]
    exhaustive: bool


def _search_pair(pair: _Pair, search: Search, criterion: MatchCriterion, equivalence: Equivalence) -> _PairResult:
    """Score the pair's computations; drop only those a crop bound excludes (module docstring)."""
    rows: dict[_Computation, dict[str, Any]] = {}
    kept: dict[_Computation, np.ndarray] = {}

    def row(c: _Computation, bound: float) -> dict[str, Any]:
        m = c.method
        return {"pair": pair.name, "method": m.label, "spec": m.spec, "up": m.up, "compute": m.compute,
                "rounding": m.rounding, "channel": m.channel, "geometry": c.geometry, "scale": c.scale,
                "scored": False, "bound": bound, "exact": math.nan, "psnr": math.nan, "mse": math.nan, "output": ""}

    best = [-1.0, equivalence.max_fraction]  # best exact fraction so far, and the slack of its equal set

    def record(c: _Computation, out: np.ndarray, exact: float, mse: float, p: float, slack: float) -> None:
        rows[c].update(scored=True, exact=exact, mse=mse, psnr=p, output=_digest(out))
        if exact >= best[0]:  # on a tie of exact fractions, the larger slack (either may rank first)
            best[:] = [exact, slack if exact > best[0] else max(slack, best[1])]
        if exact > best[0] - best[1] - 1e-12:
            kept[c] = out

    bounds: dict[_Computation, float] = {}
    crops: dict[_Computation, list[_Crop]] = {}
    fine: set[tuple[Any, ...]] = set()  # families screened on the screen_side crop too

    def screen(comps: list[_Computation], side: int) -> None:
        found, outs = _crop_bounds(pair, comps, replace(search, screen_side=side))
        for c, bound in found.items():
            bounds[c] = min(bound, bounds.get(c, bound))
            crops.setdefault(c, []).append(outs[c])
        if side == search.screen_side:
            fine.update(c.family for c in comps)

    if search.prune:
        first = min(search.first_screen_side, search.screen_side)
        screen(pair.comps, first)
        if first < search.screen_side:  # what the small crop cannot screen may have the larger one
            screen([c for c in pair.comps if c not in bounds], search.screen_side)
    for c in pair.comps:
        rows[c] = row(c, bounds.get(c, math.nan))
    position = {c: i for i, c in enumerate(pair.comps)}
    members: dict[tuple[Any, ...], list[_Computation]] = {}
    for c in bounds:
        members.setdefault(c.family, []).append(c)
    for scored in _whole_image(pair, [c for c in pair.comps if c not in bounds], equivalence, search.workers):
        record(*scored)  # everything a crop cannot screen

    def floor() -> float:
        value = best[0] - best[1]
        if criterion.is_match(best[0]):
            return min(value, criterion.min_exact_fraction)
        distinct = sorted({r["output"]: r["exact"] for r in rows.values() if r["scored"]}.values(), reverse=True)
        return min(value, distinct[search.nearest - 1] if len(distinct) >= search.nearest else -1.0)

    faithful = True
    while faithful:  # score the highest bound not below the floor until none is left
        level = floor()
        open_ = [c for c in bounds if not rows[c]["scored"] and bounds[c] >= level]
        if not open_:
            break
        open_.sort(key=lambda c: (-bounds[c], position[c]))
        c = open_[0]
        if c.family not in fine:  # screen it on the larger crop first: its bound may drop it
            families: list[tuple[Any, ...]] = []  # with the next ones, one per worker
            for d in open_:
                if d.family not in fine and d.family not in families:
                    families.append(d.family)
                if len(families) == search.workers:
                    break
            screen([d for f in families for d in members[f]], search.screen_side)
            for d, bound in bounds.items():
                rows[d]["bound"] = bound
            continue
        families = []  # the top one's family and the next ones', one per worker, resized at once
        for d in open_:
            key = d.family
            if key in fine and key not in families:
                families.append(key)
            if len(families) == search.workers:
                break
        batch = [d for f in families for d in members[f] if not rows[d]["scored"]]
        for d, out, *scores in _whole_image(pair, batch, equivalence, search.workers):
            record(d, out, *scores)
            faithful = faithful and all(_within(out, crop) for crop in crops[d])
    if not faithful:  # a backend whose crop is not its whole image there: no pruning on this pair
        for scored in _whole_image(pair, [c for c in pair.comps if not rows[c]["scored"]], equivalence, search.workers):
            record(*scored)
    kept = {c: o for c, o in kept.items() if rows[c]["exact"] > best[0] - best[1] - 1e-12}
    return _PairResult(rows, kept, exhaustive=not faithful)


def _rank_key(r: dict[str, Any], order: dict[str, int]) -> tuple[float, float, int]:
    return (-r["exact"], r["mse"], order[r["method"]])


def _pair_summary(pair: _Pair, res: _PairResult, order: dict[str, int], criterion: MatchCriterion, equivalence: Equivalence) -> tuple[dict[str, Any], set[str]]:
    scored = sorted((r for r in res.rows.values() if r["scored"]), key=lambda r: _rank_key(r, order))
    top = scored[0]
    top_comp = next(c for c, r in res.rows.items() if r is top)
    reference = pair.output(top_comp)
    ties = pair.ties(top_comp, equivalence)
    winners = {top["method"]}
    for c, out in res.outputs.items():
        if res.rows[c]["output"] == top["output"] or equivalence.equal(out, reference, ties):
            winners.add(c.method.label)
    runner = next((r for r in scored if r["method"] not in winners), None)
    pruned = [r["bound"] for r in res.rows.values() if not r["scored"]]
    return {
        "pair": pair.name,
        "best": top["method"],
        "exact": top["exact"],
        "psnr": top["psnr"],
        "geometry": top["geometry"],
        "matched": criterion.is_match(top["exact"]),
        "equal": len(winners) - 1,
        "runner_up": None if runner is None else runner["method"],
        "runner_up_exact": math.nan if runner is None else runner["exact"],
        "runner_up_psnr": math.nan if runner is None else runner["psnr"],
        "scored": len(scored),
        "pruned": len(pruned),
        "pruned_bound": max(pruned, default=math.nan),
        "exhaustive": res.exhaustive,
    }, winners


def _score_row(pair: _Pair, c: _Computation, row: dict[str, Any]) -> np.ndarray:
    """Score ``c`` on the whole image into its ``row`` (once); returns its output."""
    out = pair.output(c)
    if not row["scored"]:
        exact, mse, p = pair.score(out)
        row.update(scored=True, exact=exact, mse=mse, psnr=p, output=_digest(out))
    return out


def _ensure(pair: _Pair, res: _PairResult, labels: set[str], workers: int = 1) -> None:
    """Score these methods on the pair (whole image) until each one's best computation there is
    known: a computation whose crop bound is below the best exact fraction the method has scored
    on the pair ranks below it (its exact fraction is at most its bound), so it is left unscored.
    Each round scores every computation still open, ``workers`` families at a time."""
    mine: dict[str, list[_Computation]] = {}
    for c in res.rows:
        if c.method.label in labels:
            mine.setdefault(c.method.label, []).append(c)
    while True:
        todo = []
        for comps in mine.values():
            best = max((res.rows[c]["exact"] for c in comps if res.rows[c]["scored"]), default=-math.inf)
            todo += [c for c in comps if not res.rows[c]["scored"]
                     and (math.isnan(res.rows[c]["bound"]) or res.rows[c]["bound"] >= best)]
        if not todo:
            return
        for c, out, exact, mse, p, _ in _whole_image(pair, todo, EQUAL, workers):
            res.rows[c].update(scored=True, exact=exact, mse=mse, psnr=p, output=_digest(out))


def _best_rows(results: dict[str, _PairResult], label: str, order: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Per pair, the method's best scored computation."""
    found = {}
    for name, res in results.items():
        mine = [r for c, r in res.rows.items() if c.method.label == label and r["scored"]]
        if mine:
            found[name] = min(mine, key=lambda r: _rank_key(r, order))
    return found


def _mean_stats(rows: dict[str, dict[str, Any]]) -> tuple[float, float, float]:
    exact = float(np.mean([r["exact"] for r in rows.values()]))
    mse = float(np.mean([r["mse"] for r in rows.values()]))
    return exact, mse, (math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse))


def _equal_set(pairs: dict[str, _Pair], results: dict[str, _PairResult], verdict: Method, order: dict[str, int], equivalence: Equivalence) -> list[Method]:
    """Every method equal to the verdict's output on every pair (module docstring)."""
    mine = _best_rows(results, verdict.label, order)
    candidates: set[str] | None = None
    for name in sorted(mine, key=lambda n: -mine[n]["exact"]):
        pair, res = pairs[name], results[name]
        v_comp = next(c for c, r in res.rows.items() if r is mine[name])
        v_out, v_ties = pair.output(v_comp), pair.ties(v_comp, equivalence)
        floor = mine[name]["exact"] - equivalence.slack(v_ties) - 1e-12
        survivors: set[str] = set()
        for c, r in res.rows.items():
            label = c.method.label
            if label == verdict.label or label in survivors or (candidates is not None and label not in candidates):
                continue
            possible = r["exact"] > floor if r["scored"] else (math.isnan(r["bound"]) or r["bound"] > floor)
            if not possible:
                continue
            if r["scored"] and r["output"] == mine[name]["output"]:
                survivors.add(label)
                continue
            if equivalence.equal(_score_row(pair, c, r), v_out, v_ties):
                survivors.add(label)
        candidates = survivors
        if not candidates:
            break
    by_label = {c.method.label: c.method for res in results.values() for c in res.rows}
    return sorted((by_label[label] for label in candidates or ()), key=lambda m: order[m.label])


def _load(hr_path: Path, lr_path: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    hr, lr = read_image(hr_path), read_image(lr_path)
    for path, image in ((hr_path, hr), (lr_path, lr)):
        if image.dtype != np.uint8:
            raise ImageError(f"{path}: {image.dtype} image; identify works on 8-bit images")
    if hr.ndim == 3 and lr.ndim == 3 and hr.shape[2] != lr.shape[2]:
        raise ImageError(f"pair {name}: HR has {hr.shape[2]} channels, LR {lr.shape[2]}")
    return _match_lr_layout(hr, lr), lr


def identify(
    hr_dir: str | os.PathLike[str],
    lr_dir: str | os.PathLike[str],
    *,
    scale: float | None = None,
    pattern: str | None = None,
    specs: Sequence[str] | None = None,
    criterion: MatchCriterion = MATCH,
    equivalence: Equivalence = EQUAL,
    search: Search = Search(),
    progress: bool = True,
) -> Identification:
    """Find the registered methods that reproduce each LR image from its HR image.

    Parameters
    ----------
    hr_dir, lr_dir : str or PathLike
        Folders of HR and LR images (may be one SelfExSR folder), paired by
        :func:`sr_audit.layouts.pair_files`.
    scale : number, optional
        Downscaling factor (> 1; non-integer allowed); default: the file names' scale when the
        sizes agree, else inferred from the sizes, else size-specified.
    pattern : str, optional
        Stem pattern of the LR files, e.g. ``'{name}_LR_x{scale}'``.
    specs : sequence of str, optional
        Resize specs to try (default: :func:`candidate_specs`, everything installed).
    criterion : MatchCriterion
        What is a match (default :data:`MATCH`).
    equivalence : Equivalence
        When two outputs cannot be told apart (default :data:`EQUAL`).
    search : Search
        Pruning settings (module docstring).
    progress : bool
        Show tqdm progress bars (on a terminal).

    Returns
    -------
    Identification

    Raises
    ------
    DataError
        No pairs (from the pairing).
    ImageError
        Unreadable or non-8-bit images; sizes not related by ``scale`` or by one common scale.
    SpecError
        A bad ``scale`` or spec.
    """
    from tqdm import tqdm

    given = _parse_scale(scale)
    pairing = pair_files(hr_dir, lr_dir, other_role="lr", pattern=pattern, scale=given if isinstance(given, int) else None)
    images = {p.name: _load(p.reference, p.other, p.name) for p in pairing.pairs}
    sizes = {n: ((int(hr.shape[0]), int(hr.shape[1])), (int(lr.shape[0]), int(lr.shape[1]))) for n, (hr, lr) in images.items()}
    named_by = pairing.scale_source if pairing.scale_source and pairing.scale_source != "the names" else "the file names"
    mode, scales, scale_source = _choose_scales(sizes, given, pairing.scale, named_by)
    installed = candidate_specs()
    spec_list = [str(backends.resolve(x)) for x in specs] if specs is not None else installed
    if not spec_list:
        raise SpecError("no resize spec to try: no backend is installed")

    # one channel-rule set for the data set: a grayscale HR in a Y data set is its own Y
    channels = list(dict.fromkeys(c for hr, lr in images.values() for c in channels_for(hr, lr)))
    pairs: dict[str, _Pair] = {}
    for name, (hr, lr) in images.items():
        methods = down_up_methods(spec_list) if mode == "down-up" else enumerate_methods(spec_list, channels)
        comps = [  # grouped by family within each geometry, so one resize serves every rounding
            _Computation(m, g, s)
            for s in scales
            for g in (down_up_geometries(*sizes[name], int(s)) if mode == "down-up" else geometries(*sizes[name], s))  # type: ignore[arg-type]
            for m in methods
        ]
        comps = [c for c in comps if _applicable(c, hr, lr)]
        if not comps:
            raise SpecError(f"pair {name}: no method applies (specs {', '.join(spec_list[:4])}...); check the specs given")
        pairs[name] = _Pair(name, hr, lr, comps)
    order: dict[str, int] = {}
    for p in pairs.values():
        for c in p.comps:
            order.setdefault(c.method.label, len(order))

    results: dict[str, _PairResult] = {}
    summaries: list[dict[str, Any]] = []
    wins: dict[str, int] = {}
    notes: list[str] = []
    # search.workers pairs at a time, each by one thread (a single pair gets them all): the threads
    # then overlap whole searches, not only the resizes one family at a time leaves between them
    inner = replace(search, workers=1) if len(pairs) > 1 else search

    def search_pair(name: str) -> tuple[_PairResult, dict[str, Any], set[str]]:
        res = _search_pair(pairs[name], inner, criterion, equivalence)
        summary, winners = _pair_summary(pairs[name], res, order, criterion, equivalence)
        res.outputs.clear()
        pairs[name].release()
        return res, summary, winners

    names = list(pairs)
    done = _map(search_pair, names, search.workers if len(pairs) > 1 else 1)
    for name, (res, summary, winners) in tqdm(zip(names, done), total=len(names), desc="identify", unit="pair",
                                              disable=None if progress else True):
        results[name] = res
        summaries.append(summary)
        for label in winners:
            wins[label] = wins.get(label, 0) + 1
        if res.exhaustive:
            notes.append(f"pair {name}: a crop output differed from its whole image there; re-scored without pruning")

    everywhere = set.intersection(*({c.method.label for c in p.comps} for p in pairs.values()))
    most = max(n for label, n in wins.items() if label in everywhere or not everywhere)
    contenders = {label for label, n in wins.items() if n == most and (label in everywhere or not everywhere)}
    for name, pair in pairs.items():
        _ensure(pair, results[name], contenders, search.workers)
    stats = {label: _mean_stats(_best_rows(results, label, order)) for label in contenders}
    best_label = min(contenders, key=lambda m: (-stats[m][0], stats[m][1], order[m]))
    by_label = {c.method.label: c.method for p in pairs.values() for c in p.comps}
    verdict_method = by_label[best_label]
    mine = _best_rows(results, best_label, order)
    matched = sum(criterion.is_match(r["exact"]) for r in mine.values())
    equal = _equal_set(pairs, results, verdict_method, order, equivalence)

    matched_on: dict[str, dict[str, float]] = {}  # label -> pair -> its best exact fraction, matches only
    for name, res in results.items():
        for r in res.rows.values():
            if r["scored"] and criterion.is_match(r["exact"]):
                per_pair = matched_on.setdefault(r["method"], {})
                per_pair[name] = max(per_pair.get(name, 0.0), r["exact"])
    told_apart = {best_label} | {m.label for m in equal}
    also = [
        (by_label[label], float(np.mean(list(per_pair.values()))))
        for label, per_pair in sorted(matched_on.items(), key=lambda kv: order[kv[0]])
        if label not in told_apart and len(per_pair) == len(pairs)
    ]
    nearest: list[tuple[Method, float, float]] = []
    if matched < len(pairs):
        labels: set[str] = set()
        for res in results.values():
            scored = sorted((r for r in res.rows.values() if r["scored"]), key=lambda r: _rank_key(r, order))
            seen: list[str] = []
            for r in scored:
                if r["output"] not in seen:
                    seen.append(r["output"])
                    labels.add(r["method"])
                if len(seen) == search.nearest:
                    break
        for name, pair in pairs.items():
            _ensure(pair, results[name], labels, search.workers)
        ranked = sorted(labels, key=lambda m: (-_mean_stats(_best_rows(results, m, order))[0], order[m]))
        equal_labels = {m.label for m in equal}
        for label in ranked:
            if label not in equal_labels and len(nearest) < search.nearest:
                e, _, p = _mean_stats(_best_rows(results, label, order))
                nearest.append((by_label[label], e, p))

    mean_exact, _, psnr_db = _mean_stats(mine)
    geoms = {r["geometry"] for r in mine.values()} - {"either"}
    geometry = "either" if not geoms else (geoms.pop() if len(geoms) == 1 else "mixed")
    scales_used = {r["scale"] for r in mine.values()}
    if len(scales) > 1:
        notes.append(f"scales searched: {', '.join(_fmt_scale(s) for s in scales)} (the verdict's: {', '.join(_fmt_scale(s) for s in scales_used)})")
    verdict = Verdict(
        method=verdict_method,
        equal=tuple(equal),
        equal_exact=tuple(_mean_stats(_best_rows(results, m.label, order))[0] for m in equal),
        also_matching=tuple(also),
        match=matched == len(pairs),
        pairs_matched=matched,
        pairs_won=most,
        n_pairs=len(pairs),
        mean_exact=mean_exact,
        psnr=psnr_db,
        geometry=geometry,
        scale=scales_used.pop() if len(scales_used) == 1 else None,
        nearest=tuple(nearest),
        criterion=criterion,
        equivalence=equivalence,
    )
    columns = ["pair", "method", "spec", "up", "compute", "rounding", "channel", "geometry", "scale", "scored",
               "bound", "exact", "psnr", "mse", "output"]
    scores = pd.DataFrame([r for res in results.values() for r in res.rows.values()], columns=columns)
    n_methods = max(len({c.method for c in p.comps}) for p in pairs.values())
    return Identification(
        hr_dir=str(hr_dir),
        lr_dir=str(lr_dir),
        pairing=pairing,
        mode=mode,
        scales=tuple(scales),
        scale_source=scale_source,
        criterion=criterion,
        equivalence=equivalence,
        search=search,
        n_methods=n_methods,
        scores=scores,
        best=pd.DataFrame(summaries),
        verdict=verdict,
        notes=tuple(notes),
    )


# ------------------------------------------------------------------------------------------ output


def _fmt_exact(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.4f}"


def _fmt_cell_psnr(value: float) -> str:
    if math.isnan(value):
        return ""
    return "inf" if math.isinf(value) else f"{value:.2f}"


def pairs_table(result: Identification) -> pd.DataFrame:
    """The per-pair table as display strings (what the command prints)."""
    b = result.best
    return pd.DataFrame(
        {
            "pair": b["pair"],
            "best": b["best"],
            "exact": b["exact"].map(_fmt_exact),
            "PSNR": b["psnr"].map(_fmt_cell_psnr),
            "match": b["matched"].map({True: "yes", False: "no"}),
            "geometry": b["geometry"],
            "equal": b["equal"].map(lambda n: str(n) if n else ""),
            "runner-up": b["runner_up"].fillna(""),
            "r-u exact": b["runner_up_exact"].map(_fmt_exact),
            "r-u PSNR": b["runner_up_psnr"].map(_fmt_cell_psnr),
            "scored": b["scored"].astype(str) + b["exhaustive"].map({True: " (exhaustive)", False: ""}),
            "dropped (bound)": [
                f"{n} (<= {bound:.4f})" if n else "" for n, bound in zip(b["pruned"], b["pruned_bound"])
            ],
        }
    ).set_index("pair")


def compact_labels(methods: Sequence[Method]) -> str:
    """Methods grouped by spec and channel, their compute paths in brackets.

    >>> compact_labels([Method("cv2:area-aa", "uint8", "library", "as-is"),
    ...                 Method("cv2:area-aa", "float", "half-up", "as-is")])
    'cv2:area-aa [uint8, float/half-up]'
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for m in methods:
        path = "uint8" if m.compute == "uint8" else f"float/{m.rounding}"
        spec = m.spec if m.up is None else f"{m.spec} then {m.up}"
        groups.setdefault((spec, m.channel), []).append(path)
    return "; ".join(
        f"{spec} [{', '.join(paths)}]" + ("" if channel == "as-is" else f" {channel}")
        for (spec, channel), paths in groups.items()
    )


def report_text(result: Identification) -> str:
    """The identification as markdown-ish text."""
    v = result.verdict
    pairs = pairs_table(result)
    searched = (
        f"down x up product: {len(DOWN_UP_DOWN)} down specs ({', '.join(DOWN_UP_DOWN)}) x {len(DOWN_UP_UP)} up specs "
        f"({', '.join(DOWN_UP_UP)}) x compute paths uint8, float/half-away-from-zero"
        if result.mode == "down-up" else "spec x compute path x rounding x channel"
    )
    lines = [
        f"# identify: HR {result.hr_dir}, LR {result.lr_dir}",
        "",
        result.pairing.describe(),
        "",
        (
            f"{v.n_pairs} pairs, {'down-then-up (LR files of the HR size)' if result.mode == 'down-up' else 'downscaled'}, "
            f"scale {', '.join(_fmt_scale(s) for s in result.scales)} ({result.scale_source})."
        ),
        (
            f"{result.n_methods} methods ({searched}) searched on every pair, each at every geometry that applies; "
            f"match = {result.criterion.describe()}; {result.equivalence.describe()}."
        ),
        "Pruning: " + (
            f"per pair, a {result.search.first_screen_side}x{result.search.first_screen_side} top-left LR crop (then a "
            f"{result.search.screen_side}x{result.search.screen_side} one where that cannot drop the method), computed from the "
            "part of the image it reads exactly as the whole image computes it, bounds the exact fraction of each "
            "method at every geometry where the library can be made to (not OpenCV or PyTorch's uint8 bilinear and "
            "bicubic at full); a method is dropped only when its bound is below the pair's best minus {result.equivalence.max_fraction:g} and the "
            f"best's share of .5 ties, and below {result.criterion.min_exact_fraction:g} (so it can be neither best, "
            "nor equal to it, nor a match); everything else is scored on the whole image"
            if result.search.prune else "none (every method scored on every whole image)"
        ) + ".",
        "",
        markdown_table(["pair", *pairs.columns], pairs.itertuples(name=None)),
        "",
        f"verdict: {v.text()}",
    ]
    if v.equal:
        lines.append(
            f"equal to {v.method.label} on every pair ({len(v.equal)}; mean exact-match): "
            + "; ".join(f"{m.label} {e:.4f}" for m, e in zip(v.equal, v.equal_exact))
        )
    if v.nearest:
        lines.append("nearest candidates (mean over the pairs):")
        lines += [f"- {m.label}: exact-match {e:.4f}, PSNR {_fmt_psnr(p)}" for m, e, p in v.nearest]
    if v.geometry == "either":
        lines.append("geometry: every HR side is a multiple of the scale, so modcrop changes nothing")
    lines += result.notes
    lines += ["", "legend:"]
    lines += [f"- {name}: {what}" for name, what in COMPUTES.items()]
    lines += [f"- {name}: {what}" for name, what in CHANNELS.items()]
    lines += [f"- geometry {name}: {what}" for name, what in GEOMETRIES.items()]
    return "\n".join(lines)


__all__ = [
    "AA_IDENTITY_BELOW",
    "CHANNELS",
    "COMPUTES",
    "CROPPABLE",
    "CROP_BY_RATIO",
    "DOWN_UP_COMPUTES",
    "DOWN_UP_DOWN",
    "DOWN_UP_SCALES",
    "DOWN_UP_UP",
    "EQUAL",
    "FLOAT_ROUNDINGS",
    "GEOMETRIES",
    "MATCH",
    "NONLOCAL",
    "REGION_RESIZERS",
    "SAME_OUTPUT",
    "Equivalence",
    "Identification",
    "MatchCriterion",
    "Method",
    "Search",
    "Verdict",
    "applies",
    "candidate_specs",
    "channels_for",
    "compact_labels",
    "down_up_geometries",
    "down_up_methods",
    "enumerate_methods",
    "fitting_scales",
    "geometries",
    "identify",
    "pairs_table",
    "report_text",
]
