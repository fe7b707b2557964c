"""Which registered resize made this low-resolution data set? :func:`identify`.

Given a folder of high-resolution (HR) images and a folder of their low-resolution (LR) versions,
every *method* the registry can express is tried on each pair, and the one whose output reproduces
the LR file best is reported, with how close it gets.

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
  ``rgb2ycbcr`` does) and resized; ``y:DEF:unrounded``: the same Y unrounded (float path only). A
  grayscale HR is its own Y, so ``y:*`` methods reduce to ``as-is`` on it.

Geometry (per pair, not part of a method)
-----------------------------------------
* ``modcrop``: the HR is cropped to a multiple of the scale (bottom/right rows and columns dropped)
  and resized to exactly ``(H/s, W/s)``; tried when the LR has the size ``(H // s, W // s)``.
* ``full``: the uncropped HR is resized to the LR size, driven by the scale ``1/s`` when the
  backend's size rule gives that size (libraries that map with the given scale), else by the size;
  tried when the HR is not a multiple of the scale and the LR size is ``floor``, ``ceil`` or
  ``round`` of ``(H/s, W/s)``.
When the HR sides are multiples of the scale the two are the same computation; the geometry column
says ``either`` then. A method's score on a pair is its best geometry.

Scores and verdict
------------------
* ``exact``: the fraction of LR pixels reproduced exactly (all channels equal); ``psnr``:
  ``20 log10(255 / RMSE)`` against the LR (``inf`` when identical).
* Per pair, methods are ranked by exact fraction, then PSNR. Methods whose outputs are bit-identical
  to the best one's are its ``ties`` (the data cannot tell them apart); the ``runner-up`` is the
  best method whose output differs.
* The data-set verdict is the method that is best (ties included) on most pairs, then with the
  highest mean exact fraction and lowest mean MSE. Its ties are the methods bit-identical to it on
  every pair. It is a match when it is *close* by :data:`CLOSE` (mean exact fraction >= 0.99 or the
  PSNR of the mean MSE >= 50 dB); otherwise the verdict is "no registered backend matches".

Pruning
-------
All methods are scored on one *screening* pair (the smallest HR among the pairs with the most
channel rules, so an RGB-HR pair screens the Y rules of a Y data set). When its LR is larger
than :attr:`Pruning.screen_side` on a side and ``modcrop`` applies, only a top-left crop is resized
(the HR crop is aligned to the scale so it maps exactly as the whole image does, and the top and
left borders, where backends differ most, are kept); the crop's last :attr:`Pruning.margin` LR rows
and columns, whose taps would reach past the crop, are not compared. The :attr:`Pruning.keep` best
distinct outputs (with every method giving one of them) are then scored on every pair. A pair on
which none of them is close, while the screening pair had a close one, is re-scored with every
method (``rescored`` in the table), so a data set made with mixed methods is still explained.
"""
from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sr_audit import backends
from sr_audit.backends.selection import backend_status
from sr_audit.colour import Y_DEFINITIONS, rgb_to_y
from sr_audit.conventions import ResizeSpec
from sr_audit.degradation import modcrop
from sr_audit.errors import DataError, ImageError, SpecError
from sr_audit.image_io import im2double, list_images, read_image
from sr_audit.markdown import markdown_table
from sr_audit.metrics import psnr
from sr_audit.resize import conventions_of, resize
from sr_audit.rounding import quantize
from sr_audit.sizes import output_size

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
    "either": "HR sides are multiples of the scale: modcrop and full are the same computation",
}

#: Role tags at the end of file stems (SelfExSR ``img_001_SRF_3_HR.png`` / ``..._LR.png``).
_ROLE = re.compile(r"^(?P<key>.+?)[_\-.](?P<role>hr|lr|gt)$", re.IGNORECASE)
#: A scale tag at the end of an LR stem (DIV2K ``0001x2.png``).
_SCALE_TAG = re.compile(r"^(?P<key>.+?)[_\-]?x\d+$", re.IGNORECASE)


@dataclass(frozen=True)
class MatchCriterion:
    """When a reproduction is *close*: exact fraction or PSNR at least these (either suffices)."""

    min_exact_fraction: float = 0.99
    min_psnr: float = 50.0

    def is_close(self, exact: float, psnr_db: float) -> bool:
        return exact >= self.min_exact_fraction or psnr_db >= self.min_psnr

    def describe(self) -> str:
        return f"exact-match fraction >= {self.min_exact_fraction:g} or PSNR >= {self.min_psnr:g} dB"


#: The default criterion of a match.
CLOSE = MatchCriterion()


@dataclass(frozen=True)
class Pruning:
    """How the search is pruned (module docstring).

    Attributes
    ----------
    keep : int
        Distinct screening outputs whose methods are scored on every pair.
    screen_side : int
        Largest LR side compared on the screening pair before it is cropped.
    margin : int
        LR rows/columns at the cut edges of a screening crop left out of the comparison.
    """

    keep: int = 4
    screen_side: int = 96
    margin: int = 8

    def __post_init__(self) -> None:
        for name in ("keep", "screen_side"):
            if isinstance(getattr(self, name), bool) or not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise SpecError(f"Pruning.{name} must be a positive integer, got {getattr(self, name)!r}")
        if isinstance(self.margin, bool) or not isinstance(self.margin, int) or not 0 <= self.margin < self.screen_side:
            raise SpecError(f"Pruning.margin must be an integer in [0, screen_side), got {self.margin!r}")


@dataclass(frozen=True)
class Method:
    """One way an LR image may have been made from its HR image (module docstring)."""

    spec: str
    compute: str
    rounding: str
    channel: str

    def __post_init__(self) -> None:
        allowed = (LIBRARY_ROUNDING,) if self.compute == "uint8" else FLOAT_ROUNDINGS
        if self.compute not in ("uint8", "float") or self.rounding not in allowed:
            raise SpecError(
                f"method {self.spec} {self.compute}/{self.rounding}: compute must be uint8 (rounding "
                f"{LIBRARY_ROUNDING!r}) or float (rounding one of: {', '.join(FLOAT_ROUNDINGS)})"
            )

    @property
    def label(self) -> str:
        """e.g. ``matlab-legacy:bicubic+aa uint8 as-is``, ``matlab:bicubic+aa float/half-to-even y:matlab``."""
        path = "uint8" if self.compute == "uint8" else f"float/{self.rounding}"
        return f"{self.spec} {path} {self.channel}"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Pair:
    """An HR file and its LR file, matched by name."""

    name: str
    hr: Path
    lr: Path


@dataclass(frozen=True)
class Verdict:
    """The data-set verdict (module docstring).

    Attributes
    ----------
    method : Method or None
        The method best on most pairs; None when nothing was scored.
    ties : tuple of Method
        Methods bit-identical to ``method`` on every pair it was scored on.
    close : bool
        Whether ``method`` matches by the criterion.
    pairs_won : int
        Pairs on which ``method`` (or a tie) is the best.
    n_pairs : int
    mean_exact : float
        Mean exact-match fraction of ``method`` over the pairs.
    psnr : float
        PSNR of its mean MSE over the pairs (``inf`` when every pair is reproduced exactly).
    geometry : str
        ``modcrop``, ``full``, ``either`` or ``mixed`` (what the winning geometries say).
    """

    method: Method | None
    ties: tuple[Method, ...]
    close: bool
    pairs_won: int
    n_pairs: int
    mean_exact: float
    psnr: float
    geometry: str

    def text(self) -> str:
        """One line saying what made the data, or that nothing registered did."""
        if self.method is None:
            return "no registered backend matches: nothing could be scored"
        stats = (
            f"best on {self.pairs_won}/{self.n_pairs} pairs, mean exact-match {self.mean_exact:.4f}, "
            f"PSNR {_fmt_psnr(self.psnr)}"
        )
        if not self.close:
            return f"no registered backend matches (closest: {self.method.label}, {stats})"
        return f"{self.method.label} ({stats}; geometry {self.geometry})"


@dataclass(frozen=True)
class Identification:
    """Everything :func:`identify` measured.

    Attributes
    ----------
    hr_dir, lr_dir : str
    scale : int
    scale_source : str
        ``"given"`` or ``"inferred from the sizes"``.
    criterion : MatchCriterion
    pruning : Pruning
    screening_pair : str
        Pair every method was scored on.
    screening_region : str
        ``"whole image"`` or the crop compared.
    n_methods : int
        Methods scored on the screening pair.
    kept : tuple of str
        Labels of the methods scored on every pair.
    scores : DataFrame
        Long format, one row per (pair, method scored): ``pair, method, spec, compute, rounding,
        channel, geometry, exact, psnr, mse, output`` (a hash of the output, equal hashes =
        bit-identical), ``rescored`` (scored in a fallback pass).
    best : DataFrame
        One row per pair: ``pair, best, exact, psnr, geometry, close, ties, runner_up,
        runner_up_exact, runner_up_psnr, rescored``.
    verdict : Verdict
    unmatched : tuple of str
        Image files of either folder that had no partner.
    """

    hr_dir: str
    lr_dir: str
    scale: int
    scale_source: str
    criterion: MatchCriterion
    pruning: Pruning
    screening_pair: str
    screening_region: str
    n_methods: int
    kept: tuple[str, ...]
    scores: pd.DataFrame
    best: pd.DataFrame
    verdict: Verdict
    unmatched: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record (infinite PSNRs as the string ``"inf"``)."""
        v = self.verdict
        return {
            "hr_dir": self.hr_dir,
            "lr_dir": self.lr_dir,
            "scale": self.scale,
            "scale_source": self.scale_source,
            "close_criterion": {"min_exact_fraction": self.criterion.min_exact_fraction, "min_psnr": self.criterion.min_psnr},
            "pruning": {"keep": self.pruning.keep, "screen_side": self.pruning.screen_side, "margin": self.pruning.margin},
            "screening_pair": self.screening_pair,
            "screening_region": self.screening_region,
            "methods_screened": self.n_methods,
            "kept": list(self.kept),
            "verdict": {
                "match": v.close,
                "text": v.text(),
                "method": None if v.method is None else v.method.label,
                "spec": None if v.method is None else v.method.spec,
                "compute": None if v.method is None else v.method.compute,
                "rounding": None if v.method is None else v.method.rounding,
                "channel": None if v.method is None else v.method.channel,
                "ties": [m.label for m in v.ties],
                "pairs_won": v.pairs_won,
                "n_pairs": v.n_pairs,
                "mean_exact": v.mean_exact,
                "psnr": json_number(v.psnr),
                "geometry": v.geometry,
            },
            "pairs": [
                {k: (json_number(val) if isinstance(val, float) else val) for k, val in row.items()}
                for row in self.best.to_dict("records")
            ],
            "unmatched": list(self.unmatched),
        }


def json_number(value: float) -> float | str:
    """``value``, or ``"inf"`` / ``"-inf"`` / ``"nan"`` where JSON has no number for it."""
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _fmt_psnr(value: float) -> str:
    return "inf (identical)" if math.isinf(value) else f"{value:.2f} dB"


# ------------------------------------------------------------------------------------------ pairs


def _role(stem: str) -> tuple[str, str | None]:
    m = _ROLE.match(stem)
    return (m["key"], m["role"].lower()) if m else (stem, None)


def find_pairs(hr_dir: str | os.PathLike[str], lr_dir: str | os.PathLike[str]) -> tuple[list[Pair], list[str]]:
    """HR/LR files matched by name, and the files left without a partner.

    A file stem's trailing ``_HR``/``_GT`` or ``_LR`` tag (any case, after ``_``, ``-`` or ``.``)
    is its role and is dropped from its key; HR files tagged LR and LR files tagged HR or GT are
    ignored, so both options may name one SelfExSR folder. An LR stem without a match is also tried
    without a trailing scale tag (``0001x2`` -> ``0001``). Pairs are sorted by key.

    Raises
    ------
    DataError
        Two files of one folder share a key, or no pair matches.
    ImageError
        A folder is missing or holds no images.
    """
    hr_files: dict[str, Path] = {}
    for path in list_images(hr_dir):
        key, role = _role(path.stem)
        if role == "lr":
            continue
        if key in hr_files:
            raise DataError(f"{path} and {hr_files[key]} both give the HR name {key!r}; keep one of them in the HR folder")
        hr_files[key] = path
    lr_files: dict[str, Path] = {}
    for path in list_images(lr_dir):
        key, role = _role(path.stem)
        if role in ("hr", "gt"):
            continue
        if key not in hr_files and role is None:
            tag = _SCALE_TAG.match(key)
            key = tag["key"] if tag and tag["key"] in hr_files else key
        if key in lr_files:
            raise DataError(f"{path} and {lr_files[key]} both give the LR name {key!r}; keep one of them in the LR folder")
        lr_files[key] = path
    keys = sorted(set(hr_files) & set(lr_files))
    if not keys:
        raise DataError(
            f"no HR/LR pairs matched by name between {hr_dir} ({len(hr_files)} HR images) and {lr_dir} "
            f"({len(lr_files)} LR images); name each pair alike, or NAME_HR.png / NAME_LR.png"
        )
    unmatched = sorted(str(p) for k, p in [*hr_files.items(), *lr_files.items()] if k not in keys)
    return [Pair(k, hr_files[k], lr_files[k]) for k in keys], unmatched


# ------------------------------------------------------------------------------------ geometry


def _size_options(n: int, s: int) -> set[int]:
    return {n // s, -(-n // s), round(n / s)}


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


def geometries(hr_size: tuple[int, int], lr_size: tuple[int, int], scale: int) -> list[str]:
    """Geometries (:data:`GEOMETRIES`) under which an HR of ``hr_size`` can give ``lr_size``."""
    if all(hr % scale == 0 for hr in hr_size):
        return ["either"] if all(lr == hr // scale for hr, lr in zip(hr_size, lr_size)) else []
    found = []
    if all(lr == hr // scale for hr, lr in zip(hr_size, lr_size)):
        found.append("modcrop")
    if all(lr in _size_options(hr, scale) for hr, lr in zip(hr_size, lr_size)):
        found.append("full")
    return found


def _describe_sizes(hr_size: tuple[int, int], scale: int) -> str:
    options = sorted({(h, w) for h in _size_options(hr_size[0], scale) for w in _size_options(hr_size[1], scale)})
    return " or ".join(f"{h}x{w}" for h, w in options)


def _choose_scale(
    sizes: dict[str, tuple[tuple[int, int], tuple[int, int]]], scale: int | None
) -> tuple[int, str]:
    if scale is not None:
        if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 2:
            raise SpecError(f"scale must be an integer of at least 2, got {scale!r}")
        for name, (hr, lr) in sizes.items():
            if not geometries(hr, lr, int(scale)):
                raise ImageError(
                    f"pair {name}: HR {hr[0]}x{hr[1]} and LR {lr[0]}x{lr[1]} are not related by scale {scale} "
                    f"(expected LR {_describe_sizes(hr, int(scale))}); check --scale or the pairing"
                )
        return int(scale), "given"
    fits = {name: fitting_scales(hr, lr) for name, (hr, lr) in sizes.items()}
    for name, found in fits.items():
        if not found:
            hr, lr = sizes[name]
            raise ImageError(
                f"pair {name}: HR {hr[0]}x{hr[1]} and LR {lr[0]}x{lr[1]} are not related by any integer scale; "
                "check the pairing or the files"
            )
    common = set.intersection(*(set(f) for f in fits.values()))
    if not common:
        seen = ", ".join(f"{name} x{'/'.join(map(str, f))}" for name, f in list(fits.items())[:6])
        raise ImageError(f"the pairs' sizes give inconsistent scales ({seen}); pass --scale S or split the folders")
    exact = [s for s in sorted(common) if all(hr[0] == lr[0] * s and hr[1] == lr[1] * s for hr, lr in sizes.values())]
    if len(common) == 1 or len(exact) == 1:
        return (exact or sorted(common))[0], "inferred from the sizes"
    raise ImageError(f"the pairs' sizes fit several scales ({', '.join(map(str, sorted(common)))}); pass --scale S")


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
    lr_gray = lr.ndim == 2
    if hr.ndim == 3 and lr_gray:
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


def _resized(x: np.ndarray, spec: str, geometry: str, lr_size: tuple[int, int], scale: int) -> np.ndarray:
    if geometry in ("modcrop", "either"):
        return resize(modcrop(x, scale), spec, size=lr_size)
    in_size = (int(x.shape[0]), int(x.shape[1]))
    by_scale = output_size(in_size, (1.0 / scale, 1.0 / scale), conventions_of(spec).size_rule) == lr_size
    return resize(x, spec, scale=1.0 / scale) if by_scale else resize(x, spec, size=lr_size)


def _digest(array: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(array).tobytes(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class _Target:
    """What one pair is scored on: the HR, the LR region compared, and the region's HR geometry."""

    name: str
    hr: np.ndarray
    lr: np.ndarray
    lr_size: tuple[int, int]
    geometries: tuple[str, ...]


def _outputs(
    target: _Target, methods: Sequence[Method], scale: int
) -> Iterable[tuple[Method, str, np.ndarray]]:
    """(method, geometry, LR output cropped to the compared region), one resize per float family."""
    h, w = target.lr.shape[:2]
    by_family: dict[tuple[str, str, str], list[Method]] = {}
    for m in methods:
        if applies(m.channel, target.hr, target.lr):
            by_family.setdefault((m.spec, m.compute, m.channel), []).append(m)
    for (spec, compute, channel), family in by_family.items():
        if ("float64" if compute == "float" else "uint8") not in conventions_of(spec).dtypes:
            continue
        x = _plane(target.hr, channel, compute)
        for geometry in target.geometries:
            out = _resized(x, spec, geometry, target.lr_size, scale)[:h, :w]
            if compute == "uint8":
                yield family[0], geometry, out
                continue
            for m in family:
                yield m, geometry, quantize(out * 255.0, np.uint8, m.rounding)


def _score(target: _Target, methods: Sequence[Method], scale: int, rescored: bool) -> list[dict[str, Any]]:
    best: dict[Method, dict[str, Any]] = {}
    pixels = target.lr.shape[0] * target.lr.shape[1]
    reference = target.lr.astype(np.float64)
    for method, geometry, out in _outputs(target, methods, scale):
        same = out == target.lr
        exact = float(np.count_nonzero(same if same.ndim == 2 else same.all(axis=2))) / pixels
        mse = float(np.mean((out.astype(np.float64) - reference) ** 2))
        row = {
            "pair": target.name,
            "method": method.label,
            "spec": method.spec,
            "compute": method.compute,
            "rounding": method.rounding,
            "channel": method.channel,
            "geometry": geometry,
            "exact": exact,
            "psnr": psnr(target.lr, out, data_range=255.0),
            "mse": mse,
            "output": _digest(out),
            "rescored": rescored,
        }
        old = best.get(method)
        if old is None or (exact, -mse) > (old["exact"], -old["mse"]):
            best[method] = row
    return list(best.values())


def _ranked(rows: list[dict[str, Any]], order: dict[str, int]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (-r["exact"], r["mse"], order[r["method"]]))


def _kept_methods(ranked: list[dict[str, Any]], keep: int, by_label: dict[str, Method]) -> list[Method]:
    outputs: list[str] = []
    for row in ranked:
        if row["output"] not in outputs:
            if len(outputs) == keep:
                break
            outputs.append(row["output"])
    return [by_label[r["method"]] for r in ranked if r["output"] in outputs]


def _load(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
    hr, lr = read_image(pair.hr), read_image(pair.lr)
    for path, image in ((pair.hr, hr), (pair.lr, lr)):
        if image.dtype != np.uint8:
            raise ImageError(f"{path}: {image.dtype} image; identify works on 8-bit images")
    if hr.ndim == 3 and lr.ndim == 3 and hr.shape[2] != lr.shape[2]:
        raise ImageError(f"pair {pair.name}: HR has {hr.shape[2]} channels, LR {lr.shape[2]}")
    return hr, lr


def _screen_target(name: str, hr: np.ndarray, lr: np.ndarray, geoms: list[str], scale: int, pruning: Pruning) -> tuple[_Target, str]:
    """The screening pair, cropped top-left when it is large and modcrop applies."""
    lr_size = (int(lr.shape[0]), int(lr.shape[1]))
    if "full" in geoms or max(lr_size) <= pruning.screen_side:
        return _Target(name, hr, lr, lr_size, tuple(geoms)), "whole image"
    ch, cw = (min(n, pruning.screen_side) for n in lr_size)
    keep_h = ch - (pruning.margin if ch < lr_size[0] else 0)
    keep_w = cw - (pruning.margin if cw < lr_size[1] else 0)
    target = _Target(name, hr[: ch * scale, : cw * scale], lr[:keep_h, :keep_w], (ch, cw), tuple(geoms))
    return target, f"top-left {keep_h}x{keep_w} LR pixels of a {ch}x{cw} crop"


def _pair_summary(rows: list[dict[str, Any]], order: dict[str, int], criterion: MatchCriterion) -> dict[str, Any]:
    ranked = _ranked(rows, order)
    top = ranked[0]
    ties = [r["method"] for r in ranked[1:] if r["output"] == top["output"]]
    runner = next((r for r in ranked if r["output"] != top["output"]), None)
    return {
        "pair": top["pair"],
        "best": top["method"],
        "exact": top["exact"],
        "psnr": top["psnr"],
        "geometry": top["geometry"],
        "close": criterion.is_close(top["exact"], top["psnr"]),
        "ties": ", ".join(ties),
        "runner_up": None if runner is None else runner["method"],
        "runner_up_exact": math.nan if runner is None else runner["exact"],
        "runner_up_psnr": math.nan if runner is None else runner["psnr"],
        "rescored": bool(top["rescored"]),
    }


def _verdict(scores: pd.DataFrame, n_pairs: int, order: dict[str, int], by_label: dict[str, Method], criterion: MatchCriterion) -> Verdict:
    winners: dict[str, int] = {}
    for _, group in scores.groupby("pair", sort=False):
        ranked = _ranked(group.to_dict("records"), order)
        top = ranked[0]["output"]
        for r in ranked:
            if r["output"] == top:
                winners[r["method"]] = winners.get(r["method"], 0) + 1
    stats = scores.groupby("method").agg(exact=("exact", "mean"), mse=("mse", "mean"), n=("pair", "size"))
    best_label = min(
        winners, key=lambda m: (-winners[m], -stats.loc[m, "exact"], stats.loc[m, "mse"], order[m])
    )
    mine = scores[scores["method"] == best_label].set_index("pair")
    ties = []
    for label, group in scores[scores["method"] != best_label].groupby("method"):
        other = group.set_index("pair")["output"]
        if set(mine.index) <= set(other.index) and all(other[p] == mine.loc[p, "output"] for p in mine.index):
            ties.append(by_label[label])
    ties.sort(key=lambda m: order[m.label])
    mse = float(stats.loc[best_label, "mse"])
    psnr_db = math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)
    mean_exact = float(stats.loc[best_label, "exact"])
    geoms = set(mine["geometry"]) - {"either"}
    geometry = "either" if not geoms else (geoms.pop() if len(geoms) == 1 else "mixed")
    return Verdict(
        method=by_label[best_label],
        ties=tuple(ties),
        close=criterion.is_close(mean_exact, psnr_db),
        pairs_won=winners[best_label],
        n_pairs=n_pairs,
        mean_exact=mean_exact,
        psnr=psnr_db,
        geometry=geometry,
    )


def identify(
    hr_dir: str | os.PathLike[str],
    lr_dir: str | os.PathLike[str],
    *,
    scale: int | None = None,
    specs: Sequence[str] | None = None,
    criterion: MatchCriterion = CLOSE,
    pruning: Pruning = Pruning(),
    progress: bool = True,
) -> Identification:
    """Find the registered method that reproduces each LR image from its HR image.

    Parameters
    ----------
    hr_dir, lr_dir : str or PathLike
        Folders of HR and LR images (may be the same folder with ``_HR``/``_LR`` names); pairs are
        matched by :func:`find_pairs`.
    scale : int, optional
        Integer downscaling factor; inferred from the sizes when left out.
    specs : sequence of str, optional
        Resize specs to try (default: :func:`candidate_specs`, everything installed).
    criterion : MatchCriterion
        What counts as close (default :data:`CLOSE`).
    pruning : Pruning
        Screening settings (module docstring).
    progress : bool
        Show tqdm progress bars (on a terminal).

    Returns
    -------
    Identification

    Raises
    ------
    DataError
        No pairs, or clashing names.
    ImageError
        Unreadable or non-8-bit images; sizes not related by ``scale`` or by one common scale.
    SpecError
        A bad ``scale`` or spec.
    """
    from tqdm import tqdm

    pairs, unmatched = find_pairs(hr_dir, lr_dir)
    images = {p.name: _load(p) for p in pairs}
    sizes = {n: ((int(hr.shape[0]), int(hr.shape[1])), (int(lr.shape[0]), int(lr.shape[1]))) for n, (hr, lr) in images.items()}
    s, scale_source = _choose_scale(sizes, scale)
    spec_list = [str(backends.resolve(x)) for x in specs] if specs is not None else candidate_specs()
    if not spec_list:
        raise SpecError("no resize spec to try: no backend is installed")

    def target(name: str) -> _Target:
        hr, lr = images[name]
        hr = _match_lr_layout(hr, lr)
        return _Target(name, hr, lr, sizes[name][1], tuple(geometries(sizes[name][0], sizes[name][1], s)))

    def all_methods(name: str) -> list[Method]:
        hr, lr = images[name]
        return enumerate_methods(spec_list, channels_for(hr, lr))

    universe = {m.label: m for n in images for m in all_methods(n)}
    order = {label: i for i, label in enumerate(universe)}

    # the smallest of the pairs with the most channel rules, so that every rule is screened
    screen_name = min(images, key=lambda n: (-len(channels_for(*images[n])), images[n][0].size, n))
    hr0, lr0 = images[screen_name]
    screening, region = _screen_target(
        screen_name, _match_lr_layout(hr0, lr0), lr0, list(geometries(*sizes[screen_name], s)), s, pruning
    )
    screen_methods = all_methods(screen_name)
    screen_rows = _score(screening, screen_methods, s, rescored=False)
    ranked = _ranked(screen_rows, order)
    kept = _kept_methods(ranked, pruning.keep, universe)
    screen_close = criterion.is_close(ranked[0]["exact"], ranked[0]["psnr"])

    rows: list[dict[str, Any]] = []
    for name in tqdm(list(images), desc="identify", unit="pair", disable=None if progress else True):
        t = target(name)
        pair_rows = _score(t, kept, s, rescored=False)
        top = _ranked(pair_rows, order)[0] if pair_rows else None
        if screen_close and (top is None or not criterion.is_close(top["exact"], top["psnr"])):
            done = {r["method"] for r in pair_rows}
            pair_rows += _score(t, [m for m in all_methods(name) if m.label not in done], s, rescored=True)
        rows.extend(pair_rows)
    columns = ["pair", "method", "spec", "compute", "rounding", "channel", "geometry", "exact", "psnr", "mse", "output", "rescored"]
    scores = pd.DataFrame(rows, columns=columns)
    best = pd.DataFrame(
        [_pair_summary(g.to_dict("records"), order, criterion) for _, g in scores.groupby("pair", sort=False)]
    )
    return Identification(
        hr_dir=str(hr_dir),
        lr_dir=str(lr_dir),
        scale=s,
        scale_source=scale_source,
        criterion=criterion,
        pruning=pruning,
        screening_pair=screen_name,
        screening_region=region,
        n_methods=len(screen_methods),
        kept=tuple(m.label for m in kept),
        scores=scores,
        best=best,
        verdict=_verdict(scores, len(images), order, universe, criterion),
        unmatched=tuple(unmatched),
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
            "best": b["best"] + b["rescored"].map({True: " (rescored)", False: ""}),
            "exact": b["exact"].map(_fmt_exact),
            "PSNR": b["psnr"].map(_fmt_cell_psnr),
            "close": b["close"].map({True: "yes", False: "no"}),
            "geometry": b["geometry"],
            "runner-up": b["runner_up"].fillna(""),
            "r-u exact": b["runner_up_exact"].map(_fmt_exact),
            "r-u PSNR": b["runner_up_psnr"].map(_fmt_cell_psnr),
            "bit-identical ties": b["ties"].map(lambda t: f"{len(t.split(', '))}" if t else ""),
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
        groups.setdefault((m.spec, m.channel), []).append(path)
    return "; ".join(
        f"{spec} [{', '.join(paths)}]" + ("" if channel == "as-is" else f" {channel}")
        for (spec, channel), paths in groups.items()
    )


def report_text(result: Identification) -> str:
    """The identification as markdown-ish text."""
    v = result.verdict
    pairs = pairs_table(result)
    lines = [
        f"# identify: HR {result.hr_dir}, LR {result.lr_dir}",
        "",
        f"{v.n_pairs} pairs, scale x{result.scale} ({result.scale_source}); close = {result.criterion.describe()}.",
        f"{result.n_methods} methods (spec x compute path x rounding x channel) screened on pair "
        f"{result.screening_pair} ({result.screening_region}); {len(result.kept)} kept for every pair.",
        "",
        markdown_table(["pair", *pairs.columns], pairs.itertuples(name=None)),
        "",
        f"verdict: {v.text()}",
    ]
    if v.ties:
        lines.append(
            f"bit-identical to it on every pair, {len(v.ties)} methods (the data cannot tell them apart): "
            f"{compact_labels(v.ties)}"
        )
    if v.geometry == "either":
        lines.append(f"geometry: every HR side is a multiple of {result.scale}, so modcrop changes nothing")
    if result.unmatched:
        lines.append(f"files without a partner (ignored): {', '.join(result.unmatched)}")
    lines += ["", "legend:"]
    lines += [f"- {name}: {what}" for name, what in COMPUTES.items()]
    lines += [f"- {name}: {what}" for name, what in CHANNELS.items()]
    lines += [f"- geometry {name}: {what}" for name, what in GEOMETRIES.items()]
    return "\n".join(lines)


__all__ = [
    "CHANNELS",
    "CLOSE",
    "COMPUTES",
    "FLOAT_ROUNDINGS",
    "GEOMETRIES",
    "Identification",
    "MatchCriterion",
    "Method",
    "Pair",
    "Pruning",
    "Verdict",
    "applies",
    "candidate_specs",
    "channels_for",
    "compact_labels",
    "enumerate_methods",
    "find_pairs",
    "fitting_scales",
    "geometries",
    "identify",
    "json_number",
    "pairs_table",
    "report_text",
]
