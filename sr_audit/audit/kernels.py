"""The kernel each backend really applies, measured as an impulse response.

Resizing is linear on the float path, so the weight that output pixel ``j`` gives input pixel ``i``
is the value output ``j`` takes when the input is a unit impulse at ``i``. Impulses are placed in a
long ``1 x N`` float64 row, far from both ends and far enough apart that no output sees two of
them; each output near an impulse yields one sample ``(offset, weight)``. The impulses sit on a
constant pedestal (:data:`PEDESTAL`) so that output clipping cannot hide negative weights. Offsets are in input
pixels, ``offset = i - u_j`` with ``u_j = (j + 0.5) N / N_out - 0.5``, the half-pixel centre of
output ``j`` (:data:`sr_audit.conventions.PIXEL_CENTRES`); a backend that maps centres otherwise
shows up as a kernel shifted off zero. The output size is passed explicitly, so every backend sees
the same scale.

Two samplings are taken for a scale ``s = p/q``:

* **taps**: at exactly ``s``. Offsets then lie on a grid of spacing ``1/p``; impulses at ``q``
  different residues (at most :data:`MAX_PHASES`) fill every phase of that grid. These are the
  weights really used at this scale: at exactly 1/3, say, a cubic kernel without antialiasing is
  only ever sampled at integer offsets, where it is 1, 0, 0, so it merely decimates.
* **sweep**: at ``s' = p m / (q m + 1)``, within ``1/(q m)`` of ``s``, so that the centres drift by
  one input pixel along the row; impulses at every residue modulo ``q`` (at least
  :data:`SWEEP_IMPULSES`, and ``q`` of them when ``q`` is larger, so a kernel widened to ``2q``
  input pixels at ``1/q`` is sampled over its whole support) and along the row then see every
  sub-pixel phase, which traces the continuous kernel
  (``cv2``'s Keys cubic with a = -0.75, MATLAB's a = -0.5 cubic widened by ``1/s``, ...).

Rows are bounded: a scale whose row would exceed :data:`MAX_ROW_PIXELS` input or output pixels
(beyond about 1/300 or 700) is refused with the size it would need, instead of running for minutes
in gigabytes.

The frequency response is the magnitude of the Fourier transform of the swept kernel,
``|H(f)| = |∫ w(x) exp(-2πi f x) dx| / |∫ w(x) dx|`` (trapezoid rule), ``f`` in cycles per input
pixel. Antialiasing shows as a response that is small beyond the output's Nyquist frequency ``s/2``.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from sr_audit import backends
from sr_audit.conventions import ResizeSpec
from sr_audit.errors import SpecError
from sr_audit.io_util import atomic_write_bytes
from sr_audit.resize import conventions_of, resize
from sr_audit.sizes import parse_scale

#: Half-width of the measured window, in output pixels (so 6 input pixels when enlarging, 6/s when
#: shrinking): wide enough for Lanczos-4 and for cubic kernels widened by antialiasing.
WINDOW_OUTPUT_PIXELS = 6

#: The row is this constant plus impulses of :data:`AMPLITUDE`, with one 0 and one 1 at its two
#: ends (far from every impulse), so that libraries which clip to the input's range or to [0, 1]
#: (scikit-image's ``clip=True``) cannot cut the negative lobes: weight = (out - 0.5) / 0.25.
PEDESTAL = 0.5
AMPLITUDE = 0.25

#: Most impulses in the taps row: ``q`` residues sample every phase of a scale ``p/q``; beyond
#: this many, the phases are sampled in part (still exact samples).
MAX_PHASES = 32

#: Fewest impulses in the sweep row, each at its own sub-pixel phase (``q`` when ``q`` is larger).
SWEEP_IMPULSES = 64

#: Longest row, in input or output pixels, that a measurement resizes.
MAX_ROW_PIXELS = 1_000_000

#: Weights smaller than this fraction of the peak count as zero when the support is reported.
ZERO_TOLERANCE = 1e-6

#: Number of frequencies at which the response is evaluated.
N_FREQUENCIES = 513


def scale_fraction(scale: str | float) -> Fraction:
    """The scale as a fraction ``p/q`` of integers up to 1000; other scales are refused.

    >>> scale_fraction("1/3")
    Fraction(1, 3)
    """
    value = parse_scale(scale)
    fraction = Fraction(value).limit_denominator(1000)
    if fraction.numerator > 1000 or not math.isclose(float(fraction), value, rel_tol=1e-12):
        raise SpecError(f"scale {scale!r} is not a ratio of integers up to 1000, such as 1/3 or 3/4")
    return fraction


@dataclass(frozen=True)
class ImpulseResponse:
    """The measured 1-D kernel of one spec at one scale (see the module docstring).

    Attributes
    ----------
    spec : str
        Canonical spec measured.
    scale : Fraction
        Scale (output / input) asked for.
    tap_offsets, tap_weights : ndarray
        Taps at exactly ``scale``: input-pixel offsets (increasing) and their weights.
    curve_offsets, curve_weights : ndarray
        The kernel swept over sub-pixel phases at ``curve_scale``.
    curve_scale : float
        Scale of the sweep, within 1e-4 relative of ``scale``.
    """

    spec: str
    scale: Fraction
    tap_offsets: np.ndarray
    tap_weights: np.ndarray
    curve_offsets: np.ndarray
    curve_weights: np.ndarray
    curve_scale: float

    def frequency_response(self, frequencies: np.ndarray) -> np.ndarray:
        """``|H(f)|`` of the swept kernel at ``frequencies`` (cycles per input pixel), 1 at f = 0."""
        x, w = self.curve_offsets, self.curve_weights
        transform = np.trapezoid(np.exp(-2j * np.pi * np.outer(frequencies, x)) * w, x, axis=1)
        return np.abs(transform) / abs(np.trapezoid(w, x))

    def half_width(self) -> float:
        """Largest ``|offset|`` of the swept kernel whose weight is not (nearly) zero."""
        w = self.curve_weights
        nonzero = np.abs(w) > ZERO_TOLERANCE * np.abs(w).max()
        return float(np.abs(self.curve_offsets[nonzero]).max())


def _sample(spec: str, n_in: int, n_out: int, positions: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray]:
    """Resize a row with impulses at ``positions``; (offset, weight) of outputs near one."""
    row = np.full((1, n_in), PEDESTAL, np.float64)
    row[0, 0], row[0, -1] = 0.0, 1.0
    row[0, positions] += AMPLITUDE
    out = (resize(row, spec, size=(1, n_out))[0].astype(np.float64) - PEDESTAL) / AMPLITUDE
    centres = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    right = np.clip(np.searchsorted(positions, centres), 1, len(positions) - 1)
    nearest = np.where(centres - positions[right - 1] < positions[right] - centres,
                       positions[right - 1], positions[right])
    offsets = nearest - centres
    keep = np.abs(offsets) <= half
    samples: dict[float, list[float]] = {}
    for offset, weight in zip(offsets[keep], out[keep]):
        samples.setdefault(round(float(offset), 9), []).append(float(weight))
    ordered = sorted(samples)
    return np.array(ordered), np.array([np.mean(samples[o]) for o in ordered])


def impulse_response(spec: str | ResizeSpec, scale: str | float) -> ImpulseResponse:
    """Measure the effective kernel of ``spec`` at ``scale`` (see the module docstring).

    Parameters
    ----------
    spec : str or ResizeSpec
        A spec, e.g. ``"cv2:bicubic"``; the result carries its canonical form.
    scale : str or float
        Output / input, a ratio of integers up to 1000, e.g. ``"1/3"`` or ``2``.
    """
    spec = str(backends.resolve(spec))
    s = scale_fraction(scale)
    p, q = s.numerator, s.denominator
    half = WINDOW_OUTPUT_PIXELS / float(min(s, 1))
    # impulses D apart (a multiple of q) never reach the same output; the row ends stay D away
    spacing = q * math.ceil((2 * half + 8) / q)
    taps_at = spacing + np.arange(min(q, MAX_PHASES)) * (spacing + 1)
    taps_m = math.ceil((taps_at[-1] + 2 * spacing) / q)
    sweep_at = spacing + np.arange(max(SWEEP_IMPULSES, q)) * (spacing + 1)
    sweep_m = math.ceil((sweep_at[-1] + 2 * spacing) / q)
    longest = max(q * sweep_m + 1, p * sweep_m, q * taps_m, p * taps_m)
    if longest > MAX_ROW_PIXELS:
        raise SpecError(
            f"measuring the kernel at scale {s} needs rows of {longest:,} pixels (more than {MAX_ROW_PIXELS:,}, "
            "minutes and gigabytes per backend); use a scale between about 1/300 and 700"
        )
    tap_offsets, tap_weights = _sample(spec, q * taps_m, p * taps_m, taps_at, half)
    curve_offsets, curve_weights = _sample(spec, q * sweep_m + 1, p * sweep_m, sweep_at, half)
    if not np.any(np.abs(curve_weights) > ZERO_TOLERANCE):
        raise SpecError(f"{spec} at scale {s}: the output did not respond to any of the impulses (every measured "
                        "weight is 0), so its kernel cannot be measured at this scale; try a scale closer to 1")
    return ImpulseResponse(
        spec=spec,
        scale=s,
        tap_offsets=tap_offsets,
        tap_weights=tap_weights,
        curve_offsets=curve_offsets,
        curve_weights=curve_weights,
        curve_scale=p * sweep_m / (q * sweep_m + 1),
    )


def frequency_axis(scale: Fraction) -> np.ndarray:
    """Frequencies (cycles per input pixel) from 0 to the higher of the two Nyquist frequencies."""
    return np.linspace(0.0, max(float(scale), 1.0) / 2, N_FREQUENCIES)


def responses_table(responses: list[ImpulseResponse]) -> pd.DataFrame:
    """Long format: ``spec, sampling, offset, weight``; ``sampling`` is ``taps`` or ``sweep``."""
    parts = []
    for r in responses:
        parts.append(pd.DataFrame({"spec": r.spec, "sampling": "taps", "offset": r.tap_offsets, "weight": r.tap_weights}))
        parts.append(pd.DataFrame({"spec": r.spec, "sampling": "sweep", "offset": r.curve_offsets,
                                   "weight": r.curve_weights}))
    return pd.concat(parts, ignore_index=True)


def frequency_table(responses: list[ImpulseResponse]) -> pd.DataFrame:
    """Long format: ``spec, frequency, magnitude`` (cycles per input pixel; 1 at f = 0)."""
    return pd.concat(
        [
            pd.DataFrame({"spec": r.spec, "frequency": f, "magnitude": r.frequency_response(f)})
            for r in responses
            for f in [frequency_axis(r.scale)]
        ],
        ignore_index=True,
    )


def summary_table(responses: list[ImpulseResponse]) -> pd.DataFrame:
    """One row per spec: declared cubic a and antialiasing; of the swept kernel the half-width, the
    extreme weights and the gain at the lower Nyquist frequency (the output's when shrinking: what
    aliases); and how many taps carry weight at exactly this scale."""
    rows = []
    for r in responses:
        conv = conventions_of(r.spec)
        nyquist = float(min(r.scale, 1)) / 2
        rows.append(
            {
                "spec": r.spec,
                "cubic_a": conv.cubic_a,
                "antialias": conv.antialias,
                "half_width_px": r.half_width(),
                "peak_weight": float(r.curve_weights.max()),
                "min_weight": float(r.curve_weights.min()),
                "gain_at_nyquist": float(r.frequency_response(np.array([nyquist]))[0]),
                "nonzero_taps": int((np.abs(r.tap_weights) > ZERO_TOLERANCE * np.abs(r.tap_weights).max()).sum()),
            }
        )
    return pd.DataFrame(rows).set_index("spec")


def plot_responses(responses: list[ImpulseResponse], path: str | os.PathLike[str]) -> None:
    """Two panels: the swept kernel (line) with the exact-scale taps (markers) against the
    input-pixel offset, and ``|H(f)|``; one colour per spec."""
    from sr_audit.report.plots import agg_figure, figure_png

    scale = responses[0].scale
    styles = ["-", "--", "-.", ":"]
    markers = ["o", "s", "^", "v", "D", "x", "+", "*"]
    fig = agg_figure(figsize=(14, 5.5))
    left, right = fig.subplots(1, 2)
    reach = max(r.half_width() for r in responses) + 1
    for k, r in enumerate(responses):
        colour, style = f"C{k % 10}", styles[k % len(styles)]
        left.plot(r.curve_offsets, r.curve_weights, linestyle=style, linewidth=1.4, color=colour, label=r.spec)
        left.plot(r.tap_offsets, r.tap_weights, linestyle="none", marker=markers[k % len(markers)], markersize=4,
                  color=colour)
        f = frequency_axis(r.scale)
        right.plot(f, r.frequency_response(f), linestyle=style, linewidth=1.4, color=colour, label=r.spec)
    left.axhline(0.0, color="black", linewidth=0.6)
    left.set_xlim(-reach, reach)
    left.set_xlabel("input-pixel offset from the output pixel's centre (half-pixel mapping)")
    left.set_ylabel("weight")
    left.set_title("effective kernel: swept over sub-pixel phases (lines), taps at exactly this scale (markers)",
                   fontsize=10)
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    nyquists = {"output Nyquist (s/2)": float(scale) / 2, "input Nyquist (1/2)": 0.5}
    for (label, value), colour in zip(nyquists.items(), ("#b22222", "#555555")):
        right.axvline(value, color=colour, linestyle=":", linewidth=1.2)
        right.annotate(label, (value, 1.02), xycoords=("data", "axes fraction"), ha="center", fontsize=8, color=colour)
    right.set_xlabel("frequency (cycles per input pixel)")
    right.set_ylabel("|H(f)| (1 at f = 0)")
    right.set_title("magnitude of the frequency response of the swept kernel", pad=18)
    right.grid(alpha=0.3)
    fig.suptitle(f"Effective 1-D resize kernels at scale {scale} (output/input)")
    fig.tight_layout()
    atomic_write_bytes(path, figure_png(fig, dpi=110))


@dataclass(frozen=True)
class KernelFiles:
    """Paths written by :func:`write_kernels`."""

    plot: Path
    responses_csv: Path
    frequency_csv: Path


def write_kernels(responses: list[ImpulseResponse], out_dir: str | os.PathLike[str]) -> KernelFiles:
    """Write ``kernels.png``, ``kernels.csv`` (see :func:`responses_table`), ``kernels_frequency.csv``
    into ``out_dir`` (created when missing), each atomically."""
    if not responses:
        raise SpecError("no impulse responses to write: give at least one backend")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = KernelFiles(plot=out / "kernels.png", responses_csv=out / "kernels.csv",
                        frequency_csv=out / "kernels_frequency.csv")
    atomic_write_bytes(files.responses_csv, responses_table(responses).to_csv(index=False).encode())
    atomic_write_bytes(files.frequency_csv, frequency_table(responses).to_csv(index=False).encode())
    plot_responses(responses, files.plot)
    return files
