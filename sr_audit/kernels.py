"""The kernel each backend really applies, measured as an impulse response.

Resizing is linear on the float path, so the weight that output pixel ``j`` gives input pixel ``i``
is the value output ``j`` takes when the input is a unit impulse at ``i``. :func:`impulse_response`
feeds a ``1 x N`` float64 row holding one impulse, far from both ends, to the backend and reads the
whole output row. For a scale ``s = p/q`` the offsets lie on a grid of spacing ``1/p``; impulses at
``q`` consecutive positions (at most :data:`MAX_PHASES`) fill in every phase of that grid, so a
shrink by ``1/3`` yields the weights at every integer offset rather than every third.

Offsets are in input pixels, ``offset = i - u_j`` with ``u_j = (j + 0.5) / s - 0.5``, the
half-pixel centre of output ``j`` (:data:`sr_audit.conventions.PIXEL_CENTRES`). A backend that maps
centres otherwise shows up as a kernel shifted off zero. The output size is passed explicitly
(``N s`` with ``N`` a multiple of the scale's denominator), so every backend sees the same scale.

The frequency response is the magnitude of the Fourier transform of the sampled response,
``|H(f)| = |∫ w(x) exp(-2πi f x) dx| / |∫ w(x) dx|`` (trapezoid rule over the offsets, which is the
discrete-time Fourier transform when they are evenly spaced), for ``f`` in cycles per input pixel.
Antialiasing shows as a response that is small beyond the output's Nyquist frequency ``s/2``.
"""
from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from sr_audit import backends
from sr_audit.errors import SpecError
from sr_audit.image_io import write_bytes_atomic
from sr_audit.resize import conventions_of, parse_scale, resize

#: Half-width of the measured window, in output pixels (so 6 input pixels when enlarging, 6/s when
#: shrinking): wide enough for Lanczos-4 and for cubic kernels widened by antialiasing.
WINDOW_OUTPUT_PIXELS = 6

#: Most impulse positions used: ``q`` positions (the scale's denominator) sample every phase of a
#: scale ``p/q``; beyond this many, the phases are sampled in part (still exact samples).
MAX_PHASES = 32

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
    """The measured 1-D kernel of one spec at one scale.

    Attributes
    ----------
    spec : str
        Canonical spec measured.
    scale : Fraction
        Scale (output / input) it was measured at.
    offsets : ndarray
        Input-pixel offsets from the output pixel's half-pixel centre, increasing.
    weights : ndarray
        Weight of the input pixel at each offset.
    """

    spec: str
    scale: Fraction
    offsets: np.ndarray
    weights: np.ndarray

    def frequency_response(self, frequencies: np.ndarray) -> np.ndarray:
        """``|H(f)|`` at ``frequencies`` (cycles per input pixel), normalised to 1 at f = 0."""
        phase = np.exp(-2j * np.pi * np.outer(frequencies, self.offsets))
        transform = np.trapezoid(phase * self.weights, self.offsets, axis=1)
        return np.abs(transform) / abs(np.trapezoid(self.weights, self.offsets))

    def half_width(self) -> float:
        """Largest ``|offset|`` whose weight is not (nearly) zero."""
        nonzero = np.abs(self.weights) > ZERO_TOLERANCE * np.abs(self.weights).max()
        return float(np.abs(self.offsets[nonzero]).max())


def impulse_response(spec: str, scale: str | float) -> ImpulseResponse:
    """Measure the effective kernel of ``spec`` at ``scale`` (see the module docstring).

    Parameters
    ----------
    spec : str
        A spec string, e.g. ``"cv2:bicubic"``; the result carries its canonical form.
    scale : str or float
        Output / input, a ratio of integers up to 1000, e.g. ``"1/3"`` or ``2``.
    """
    spec = str(backends.resolve(spec))
    s = scale_fraction(scale)
    p, q = s.numerator, s.denominator
    half = WINDOW_OUTPUT_PIXELS / float(min(s, 1))
    phases = min(q, MAX_PHASES)
    n_in = q * math.ceil((4 * half + phases + 16) / q)
    n_out = n_in * p // q
    centres = (np.arange(n_out) + 0.5) * q / p - 0.5
    samples: dict[float, list[float]] = {}
    for position in range(n_in // 2, n_in // 2 + phases):
        row = np.zeros((1, n_in), np.float64)
        row[0, position] = 1.0
        out = resize(row, spec, size=(1, n_out))[0].astype(np.float64)
        offsets = position - centres
        keep = np.abs(offsets) <= half
        for offset, weight in zip(offsets[keep], out[keep]):
            samples.setdefault(round(float(offset), 9), []).append(float(weight))
    ordered = sorted(samples)
    return ImpulseResponse(
        spec=spec,
        scale=s,
        offsets=np.array(ordered),
        weights=np.array([np.mean(samples[o]) for o in ordered]),
    )


def frequency_axis(scale: Fraction) -> np.ndarray:
    """Frequencies (cycles per input pixel) from 0 to the higher of the two Nyquist frequencies."""
    return np.linspace(0.0, max(float(scale), 1.0) / 2, N_FREQUENCIES)


def responses_table(responses: list[ImpulseResponse]) -> pd.DataFrame:
    """Long format: ``spec, offset, weight``."""
    return pd.concat(
        [pd.DataFrame({"spec": r.spec, "offset": r.offsets, "weight": r.weights}) for r in responses],
        ignore_index=True,
    )


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
    """One row per spec: declared cubic a and antialiasing, measured half-width, extreme weights,
    and the gain at the lower Nyquist frequency (the output's when shrinking: what aliases)."""
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
                "peak_weight": float(r.weights.max()),
                "min_weight": float(r.weights.min()),
                "gain_at_nyquist": float(r.frequency_response(np.array([nyquist]))[0]),
            }
        )
    return pd.DataFrame(rows).set_index("spec")


def plot_responses(responses: list[ImpulseResponse], path: str | os.PathLike[str]) -> None:
    """Two panels: weights against input-pixel offset, and ``|H(f)|``; one line per spec."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scale = responses[0].scale
    styles = ["-", "--", "-.", ":"]
    markers = ["o", "s", "^", "v", "D", "x", "+", "*"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5.5))
    reach = max(r.half_width() for r in responses) + 1
    for k, r in enumerate(responses):
        style = dict(linestyle=styles[k % len(styles)], marker=markers[k % len(markers)], markersize=3.5,
                     linewidth=1.4, color=f"C{k % 10}", label=r.spec)
        left.plot(r.offsets, r.weights, **style)
        f = frequency_axis(r.scale)
        right.plot(f, r.frequency_response(f), **{**style, "marker": None})
    left.axhline(0.0, color="black", linewidth=0.6)
    left.set_xlim(-reach, reach)
    left.set_xlabel("input-pixel offset from the output pixel's centre (half-pixel mapping)")
    left.set_ylabel("weight")
    left.set_title("impulse response (effective kernel)")
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    nyquists = {"output Nyquist (s/2)": float(scale) / 2, "input Nyquist (1/2)": 0.5}
    for (label, value), colour in zip(nyquists.items(), ("#b22222", "#555555")):
        right.axvline(value, color=colour, linestyle=":", linewidth=1.2)
        right.annotate(label, (value, 1.02), xycoords=("data", "axes fraction"), ha="center", fontsize=8, color=colour)
    right.set_xlabel("frequency (cycles per input pixel)")
    right.set_ylabel("|H(f)| (1 at f = 0)")
    right.set_title("magnitude of the frequency response", pad=18)
    right.grid(alpha=0.3)
    fig.suptitle(f"Effective 1-D resize kernels at scale {scale} (output/input)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    write_bytes_atomic(path, buffer.getvalue())


@dataclass(frozen=True)
class KernelFiles:
    """Paths written by :func:`write_kernels`."""

    plot: Path
    responses_csv: Path
    frequency_csv: Path


def write_kernels(responses: list[ImpulseResponse], out_dir: str | os.PathLike[str]) -> KernelFiles:
    """Write ``kernels.png``, ``kernels.csv`` (spec, offset, weight) and ``kernels_frequency.csv``
    into ``out_dir`` (created when missing), each atomically."""
    if not responses:
        raise SpecError("no impulse responses to write: give at least one backend")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = KernelFiles(plot=out / "kernels.png", responses_csv=out / "kernels.csv",
                        frequency_csv=out / "kernels_frequency.csv")
    write_bytes_atomic(files.responses_csv, responses_table(responses).to_csv(index=False).encode())
    write_bytes_atomic(files.frequency_csv, frequency_table(responses).to_csv(index=False).encode())
    plot_responses(responses, files.plot)
    return files
