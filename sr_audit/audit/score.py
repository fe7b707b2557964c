"""Score a folder of any model's SR outputs against HR under protocol presets (``sr-audit score``).

:func:`score_folders` pairs the two folders by name (:func:`sr_audit.layouts.pair_files`), checks
every pair before anything is scored, and scores each SR file under each protocol with the one
score step of the project, :func:`sr_audit.metrics.score_image` (the uint8 SR image as
``output / 255``, which every protocol's output rounding turns back into the same integers).

Checks before scoring
---------------------
Errors (:class:`~sr_audit.errors.ImageError`, one line naming the file and the fix):

* 16-bit files (every preset scores 8-bit images against a peak of 255);
* alpha channels and unreadable files (refused by :func:`sr_audit.image_io.read_image`);
* an RGB HR against a grayscale SR (a grayscale output cannot be told apart from a Y plane).
  An RGB SR with R = G = B against a grayscale HR is scored as grayscale, and any other RGB SR
  against a grayscale HR (a colour model run on Set14's ``bridge``) against the HR as R = G = B,
  as :func:`~sr_audit.metrics.score_image` documents; both with a warning;
* sizes that differ, unless the HR is full size and its modcrop to the scale has the SR size (then
  it is modcropped and the note says so); the message names the modcrop that would fix them
  (``--scale K``) or says that none does.

Warnings: SR equal to HR (PSNR ``inf``, never a capped 80 or 100 dB; when a preset's library would
print a capped value, the warning gives it, see :func:`sr_audit.metrics.capped_psnr`), files
without a partner, names that several files claim.

Scale: ``scale`` if given, else the one scale the file and folder names say
(:attr:`sr_audit.layouts.Pairing.scale`), else a :class:`~sr_audit.errors.DataError` asking for
``--scale`` (the border shave depends on it).
"""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sr_audit.degradation import modcrop
from sr_audit.errors import DataError, ImageError, SpecError
from sr_audit.image_io import is_gray_content, read_image
from sr_audit.io_util import json_ready
from sr_audit.layouts import FilePair, Pairing, pair_files
from sr_audit.metrics import capped_psnr, mean_scores, score_image
from sr_audit.protocol import PROTOCOLS, Protocol, get_protocol

#: Columns of :attr:`ScoreResult.table` after ``protocol`` and ``image``.
METRICS: tuple[str, ...] = ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb")

#: Largest scale tried when looking for the modcrop that would make two sizes agree.
_MAX_HINT_SCALE = 8


def parse_protocols(text: str | Sequence[str | Protocol]) -> tuple[Protocol, ...]:
    """Protocols from ``"all"``, ``"matlab,pyiqa"`` or a sequence of names / :class:`Protocol`.

    ``"all"`` is every preset of :data:`sr_audit.protocol.PROTOCOLS` in its order.
    """
    if isinstance(text, str):
        if text.strip().lower() == "all":
            return tuple(PROTOCOLS.values())
        items: Sequence[str | Protocol] = [t for t in (part.strip() for part in text.split(",")) if t]
    else:
        items = text
    if not items:
        raise SpecError(f"no protocol given; name presets separated by commas, or all ({', '.join(PROTOCOLS)})")
    protocols = tuple(get_protocol(item) for item in items)
    names = [p.name for p in protocols]
    if len(set(names)) != len(names):
        raise SpecError(f"protocol listed twice in {', '.join(names)}; name each once")
    return protocols


@dataclass(frozen=True)
class ScoreResult:
    """What :func:`score_folders` measured.

    Attributes
    ----------
    pairing : Pairing
        How the files were paired.
    scale : int
    scale_source : str
        ``"--scale"`` or ``"file/folder names"``.
    protocols : tuple of Protocol
    table : pandas.DataFrame
        One row per protocol and image (in pairing order), columns ``protocol``, ``image`` and
        :data:`METRICS` (NaN where a protocol does not report a metric), then one row per protocol
        with ``image == "mean"`` (arithmetic mean over the images).
    summary : pandas.DataFrame
        One row per protocol: its own figure (:attr:`Protocol.headline`): ``psnr_space``,
        ``psnr``, ``d_psnr`` (minus the first protocol's), ``ssim_space``, ``ssim``, ``d_ssim``.
    notes : tuple of str
        Files modcropped, pairing notes.
    warnings : tuple of str
        Lines a user must read (identical images, unpaired or ambiguous files, grayscale RGB).
    """

    pairing: Pairing
    scale: int
    scale_source: str
    protocols: tuple[Protocol, ...]
    table: pd.DataFrame
    summary: pd.DataFrame
    notes: tuple[str, ...]
    warnings: tuple[str, ...]

    def spread(self) -> tuple[float, float]:
        """(max - min) over the protocols of the headline mean PSNR and SSIM: what the protocol alone moves."""
        return (
            _difference(self.summary["psnr"].max(), self.summary["psnr"].min()),
            _difference(self.summary["ssim"].max(), self.summary["ssim"].min()),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict; non-finite numbers by :func:`~sr_audit.io_util.json_number` (a missing value None)."""
        spread_psnr, spread_ssim = self.spread()
        return {
            "sr_dir": str(self.pairing.other_dir),
            "hr_dir": str(self.pairing.reference_dir),
            "scale": self.scale,
            "scale_source": self.scale_source,
            "pairs": [{"name": p.name, "sr": str(p.other), "hr": str(p.reference), "rule": p.rule} for p in self.pairing.pairs],
            "protocols": [p.as_dict() for p in self.protocols],
            "scores": json_ready(self.table.to_dict("records")),
            "summary": json_ready(self.summary.to_dict("records")),
            "spread": json_ready({"psnr": spread_psnr, "ssim": spread_ssim}),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }


def _difference(a: float, b: float) -> float:
    """``a - b``, and 0 when they are equal (both ``inf`` for identical images: no difference, not NaN)."""
    return 0.0 if a == b else float(a - b)


def _size(image: np.ndarray) -> str:
    return f"{image.shape[0]}x{image.shape[1]}"


def _fit_sizes(name: str, sr: np.ndarray, hr: np.ndarray, scale: int) -> tuple[np.ndarray, str | None]:
    """HR cropped to the SR size when its modcrop to ``scale`` gives it, with the note; else an error."""
    if sr.shape[:2] == hr.shape[:2]:
        return hr, None
    if modcrop(hr, scale).shape[:2] == sr.shape[:2]:
        return modcrop(hr, scale), f"{name}: HR {_size(hr)} modcropped to {_size(sr)} (a multiple of the scale {scale})"
    fits = [k for k in range(2, _MAX_HINT_SCALE + 1) if modcrop(hr, k).shape[:2] == sr.shape[:2]]
    if fits:
        hint = f"HR modcropped to a multiple of {fits[0]} has the SR size: pass --scale {fits[0]}"
    elif sr.shape[0] <= hr.shape[0] and sr.shape[1] <= hr.shape[1]:
        hint = (
            f"no modcrop of HR (to a multiple of 1..{_MAX_HINT_SCALE}) gives {_size(sr)}: check that both folders hold "
            "the same images and that the outputs were not cropped"
        )
    else:
        hint = "the SR image is larger than its HR: check that --sr and --hr are not swapped and the outputs not padded"
    raise ImageError(f"{name}: sizes differ, SR {_size(sr)} vs HR {_size(hr)}; {hint}")


def check_pair(name: str, sr: np.ndarray, hr: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """(SR, HR of the SR size, notes, warnings) of one pair of 8-bit images after every check of the
    module notes; ``name`` labels the messages (a file name, or ``image``)."""
    for role, image in (("SR", sr), ("HR", hr)):
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim not in (2, 3) or (
                image.ndim == 3 and image.shape[2] != 3):
            what = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
            raise ImageError(
                f"{name}: {role} image is {what}; every protocol scores 8-bit grayscale or RGB images against a peak of "
                "255: save it as an 8-bit PNG"
            )
    warnings: list[str] = []
    if sr.ndim != hr.ndim:
        colour, colour_role = (sr, "SR") if sr.ndim == 3 else (hr, "HR")
        if is_gray_content(colour):
            warnings.append(f"{name}: {colour_role} is RGB with R = G = B, its partner grayscale: scored as grayscale")
            if colour_role == "SR":
                sr = np.ascontiguousarray(sr[:, :, 0])
            else:
                hr = np.ascontiguousarray(hr[:, :, 0])
        elif colour_role == "HR":
            raise ImageError(
                f"{name}: HR is RGB but SR is grayscale; save the model's outputs in colour (a grayscale SR file "
                "cannot be told apart from a Y plane)"
            )
        else:
            warnings.append(
                f"{name}: HR is grayscale, SR is RGB (a colour model on a grayscale image): HR scored as R = G = B, "
                "the SR's Y by each protocol's grayscale rule"
            )
    hr, note = _fit_sizes(name, sr, hr, scale)
    if np.array_equal(sr, hr):
        warnings.append(f"{name}: SR equals HR, PSNR inf (did you pass the HR folder as --sr?)")
    return sr, hr, [note] if note else [], warnings


def _read_pair(pair: FilePair, scale: int) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """:func:`check_pair` of one pair of files (a 16-bit file named by its path)."""
    sr, hr = read_image(pair.other), read_image(pair.reference)
    for role, path, image in (("SR", pair.other, sr), ("HR", pair.reference, hr)):
        if image.dtype != np.uint8:
            raise ImageError(
                f"{path}: {role} image is {image.dtype.itemsize * 8}-bit; every protocol scores 8-bit images against a "
                "peak of 255: save it as an 8-bit PNG"
            )
    return check_pair(pair.name, sr, hr, scale)


def _capped_warnings(protocols: Sequence[Protocol], table: pd.DataFrame) -> list[str]:
    """One line per protocol whose library prints a capped PSNR for the images scored inf here."""
    out = []
    for p in protocols:
        cap = capped_psnr(p)
        rows = table[(table["protocol"] == p.name) & (table["image"] != "mean")]
        hits = [str(r["image"]) for _, r in rows.iterrows() if any(math.isinf(r[c]) for c in ("psnr_y", "psnr_rgb") if pd.notna(r[c]))]
        if cap is not None and hits:
            out.append(
                f"{p.name}: PSNR of {', '.join(hits)} shown as inf; the library prints {cap:.2f} dB there "
                f"(10 log10(1/eps), eps {p.psnr_eps:g}), a capped value, not a measurement"
            )
    return out


def _summary(protocols: Sequence[Protocol], means: dict[str, dict[str, float | None]]) -> pd.DataFrame:
    rows = []
    for p in protocols:
        ps, ss = p.headline
        rows.append({"protocol": p.name, "psnr_space": ps, "psnr": means[p.name][f"psnr_{ps}"],
                     "ssim_space": ss, "ssim": means[p.name][f"ssim_{ss}"]})
    frame = pd.DataFrame(rows)
    frame.insert(3, "d_psnr", [_difference(v, frame["psnr"].iloc[0]) for v in frame["psnr"]])
    frame["d_ssim"] = [_difference(v, frame["ssim"].iloc[0]) for v in frame["ssim"]]
    return frame


def score_folders(
    sr_dir: str | os.PathLike[str],
    hr_dir: str | os.PathLike[str],
    *,
    scale: int | None = None,
    protocols: str | Sequence[str | Protocol] = "all",
    pattern: str | None = None,
) -> ScoreResult:
    """PSNR and SSIM of every SR file against its HR file, per image and mean, under each protocol.

    Parameters
    ----------
    sr_dir : str or PathLike
        Folder of a model's outputs (8-bit images), named so that :func:`sr_audit.layouts.pair_files`
        pairs them with ``hr_dir`` (``baby.png``, ``baby_x4_SR.png``, ``babyx4.png``, ...).
    hr_dir : str or PathLike
        Folder of the ground truth, full size or modcropped.
    scale : int, optional
        Super-resolution factor; default: the one the names say (module docstring).
    protocols : str or sequence
        ``"all"``, comma-separated preset names, or names / :class:`Protocol` objects.
    pattern : str, optional
        Stem pattern of the SR files, e.g. ``'{name}_SR_x{scale}'``.

    Returns
    -------
    ScoreResult

    Raises
    ------
    DataError
        Nothing pairs, or no scale is known.
    ImageError
        A pair fails a check (module docstring).
    SpecError
        Unknown protocol or bad scale.
    """
    chosen = parse_protocols(protocols)
    pairing = pair_files(hr_dir, sr_dir, other_role="sr", pattern=pattern, scale=scale)
    if scale is not None:
        used, source = scale, "--scale"
    elif pairing.scale is not None:
        used, source = pairing.scale, "file/folder names"
    else:
        raise DataError(
            f"no scale for {pairing.other_dir}: the file and folder names say none (x4, X4, LRbicx4, SRF_4); "
            "pass --scale S (the border shave depends on it)"
        )
    notes: list[str] = list(pairing.notes)
    warnings: list[str] = [f"ambiguous, not scored: {line}" for line in pairing.ambiguous]
    if pairing.unmatched:
        warnings.append(f"{len(pairing.unmatched)} files without a partner, not scored: {', '.join(p.name for p in pairing.unmatched)}")
    images = []
    for pair in pairing.pairs:
        sr, hr, n, w = _read_pair(pair, used)
        notes += n
        warnings += w
        images.append((pair.name, sr, hr))
    rows: list[dict[str, Any]] = []
    means: dict[str, dict[str, float | None]] = {}
    for p in chosen:
        scores = [score_image(hr, sr / 255.0, p, used) for _, sr, hr in images]
        rows += [{"protocol": p.name, "image": name, **s.as_dict()} for (name, _, _), s in zip(images, scores)]
        means[p.name] = mean_scores(scores).as_dict()
        rows.append({"protocol": p.name, "image": "mean", **means[p.name]})
    table = pd.DataFrame(rows, columns=["protocol", "image", *METRICS]).astype({m: float for m in METRICS})
    warnings += _capped_warnings(chosen, table)
    return ScoreResult(
        pairing=pairing,
        scale=used,
        scale_source=source,
        protocols=chosen,
        table=table,
        summary=_summary(chosen, means),
        notes=tuple(notes),
        warnings=tuple(warnings),
    )
