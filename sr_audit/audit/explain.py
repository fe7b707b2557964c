"""Where does the gap between two evaluation setups come from? :func:`explain`.

An evaluation *setup* (:class:`Setup`) is everything between a ground-truth image and a PSNR/SSIM
figure: how the image is fitted to the scale, which resize degrades it and on which path, where Y is
taken and by which definition, what is rounded, what is shaved, which SSIM. :func:`explain` walks
from one setup to another one factor (field) at a time, in a given order, evaluates the same model
on the same images at every step, and reports the change of each step. The changes depend on the
order (factors interact), so the order is printed with them.

The pipeline of a setup, per image (uint8 RGB or grayscale ground truth)
------------------------------------------------------------------------
1. *fit*: ``modcrop`` crops to a multiple of the scale ``s`` (top-left part kept);
   ``resize-to-fit`` resizes the whole image to that size instead, with the setup's backend on its
   8-bit path (a common shortcut in reimplementations). The result is the ground truth ``GT``.
2. *network input* (the model sees one Y plane in [0, 1]):

   * ``resize_space="y"``: Y of ``GT`` by ``y_definition``, rounded by ``y_rounding``, then down
     and up resized by ``backend`` on the ``compute`` path (``float``: ``im2double``, no rounding
     between; ``uint8``: each resize on the library's 8-bit path, so an unrounded Y is first
     rounded half away from zero, the 8-bit path needing 8-bit input);
   * ``resize_space="rgb"``: the RGB ``GT`` down and up resized, then Y of the float result by
     ``y_definition`` and ``y_rounding`` ("RGB -> Y on float").

   A grayscale image is its own Y in both cases (the SRCNN authors' rule).
3. *model*: the SRCNN (one channel, ``same`` padding) on the input plane, or the identity (the
   bicubic baseline).
4. *scores*: :func:`sr_audit.metrics.score_image` under the
   :class:`~sr_audit.protocol.Protocol` of :meth:`Setup.protocol`: the output ``x * 255``
   rounded by ``output_rounding`` and saturated (``none``: as is), against the Y of ``GT``
   (``y_definition``, ``y_rounding``) when ``metric_space="y"``, or against the RGB ``GT`` when
   ``metric_space="rgb"``; ``shave`` pixels dropped per side (None = ``s``); PSNR = 20 log10(255 /
   RMSE) and SSIM (``ssim``, :data:`SSIM_VARIANTS`) per image, then averaged. The RGB output of a
   Y model is the ``luma-shift`` rule of :data:`sr_audit.evaluation.COLOUR_RULES`: the down-and-up
   resized RGB ``GT`` with its luma moved by the model's correction, ``rgb + (y_out - y_in) / k``
   on every channel, ``k`` the sum of the Y definition's RGB weights, which keeps the chroma of
   that definition unchanged (for MATLAB's YCbCr, exactly ``ycbcr2rgb`` of the output Y with the
   input's Cb and Cr, unrounded; this differs from :data:`sr_audit.protocol.Y_MODEL_RGB`, which
   resizes rounded Cb/Cr planes, only by that rounding).

Steps 1-4 are the one evaluation path of :mod:`sr_audit.evaluation` (``prepare`` with the setup's
:class:`~sr_audit.evaluation.Preparation`, ``run_model``, ``score_prepared``); only the walk is here.

Exact sums
----------
Mean PSNR and SSIM are snapped to the dyadic grid ``2**-32`` (about 2e-10, far below any printed
digit) before differences are taken. Values on that grid below 2**12 and their differences are exact
in float64, so the Δ column sums, in any order, to the total ``end - start`` exactly.
"""
from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sr_audit import backends
from sr_audit.colour import Y_DEFINITIONS
from sr_audit.conventions import ROUNDINGS
from sr_audit.datasets import Dataset, find_data_root, load_dataset
from sr_audit.degradation import COMPUTES, Degradation
from sr_audit.errors import SpecError
from sr_audit.evaluation import (
    FITS,
    RESIZE_SPACES,
    Preparation,
    Prepared,
    prepare,
    run_model,
    score_prepared,
)
from sr_audit.model import SRCNN
from sr_audit.model_source import y_srcnn
from sr_audit.protocol import SPACES, Protocol, SSIMSpec
from sr_audit.report.markdown import markdown_table
from sr_audit.weights import BICUBIC

#: SSIM implementations, as arguments of skimage.metrics.structural_similarity.
SSIM_VARIANTS: dict[str, SSIMSpec] = {
    "gaussian": SSIMSpec(),
    "uniform": SSIMSpec(gaussian_weights=False, use_sample_covariance=True),
}

#: The factors of a setup, in the default order of the walk, with what each decides.
FACTORS: dict[str, str] = {
    "backend": "resize spec of the down and up resizes",
    "compute": "float: im2double, no rounding between the resizes; uint8: each resize on the 8-bit path",
    "fit": "modcrop or resize-to-fit (FITS)",
    "resize_space": "Y then resize, or resize RGB then Y on float (RESIZE_SPACES)",
    "y_definition": "which luma: matlab (16-235), bt601-256, typo-64.738, yiq",
    "y_rounding": "rounding of every Y plane computed from RGB (none = unrounded)",
    "output_rounding": "rounding of the model output x*255 before the metrics (none = as is)",
    "shave": "border pixels dropped per side (None = the scale)",
    "ssim": "SSIM implementation: gaussian (Wang et al., sigma 1.5) or uniform (7x7, sample covariance)",
    "metric_space": "PSNR/SSIM on the Y plane or on RGB",
}

#: Where the grid of exact sums sits (module docstring).
_GRID = 2.0**-32


def _snap(value: float) -> float:
    return value if not math.isfinite(value) else round(value / _GRID) * _GRID


@dataclass(frozen=True)
class Setup:
    """An evaluation setup: the factors of :data:`FACTORS` plus a name (module docstring).

    Attributes
    ----------
    name : str
    backend : str
        Resize spec (resolved to its canonical form).
    compute : str
        Key of :data:`sr_audit.degradation.COMPUTES`.
    fit : str
        Key of :data:`FITS`.
    resize_space : str
        Key of :data:`RESIZE_SPACES`.
    y_definition : str
        Key of :data:`sr_audit.colour.Y_DEFINITIONS`.
    y_rounding : str
        Key of :data:`sr_audit.conventions.ROUNDINGS`.
    output_rounding : str
        Key of ``ROUNDINGS``.
    shave : int or None
        Pixels per side; None = the scale.
    ssim : str
        Key of :data:`SSIM_VARIANTS`.
    metric_space : str
        Key of :data:`sr_audit.protocol.SPACES`.
    notes : str
        Where the setup comes from.
    """

    name: str
    backend: str
    compute: str
    fit: str
    resize_space: str
    y_definition: str
    y_rounding: str
    output_rounding: str
    shave: int | None
    ssim: str
    metric_space: str
    notes: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SpecError(f"setup name must be a non-empty string, got {self.name!r}")
        object.__setattr__(self, "backend", str(backends.resolve(self.backend)))
        tables = {
            "compute": COMPUTES,
            "fit": FITS,
            "resize_space": RESIZE_SPACES,
            "y_definition": Y_DEFINITIONS,
            "y_rounding": ROUNDINGS,
            "output_rounding": ROUNDINGS,
            "ssim": SSIM_VARIANTS,
            "metric_space": SPACES,
        }
        for name, table in tables.items():
            if getattr(self, name) not in table:
                raise SpecError(f"setup {self.name}: {name} {getattr(self, name)!r} is not one of: {', '.join(table)}")
        if self.shave is not None and (isinstance(self.shave, bool) or not isinstance(self.shave, int) or self.shave < 0):
            raise SpecError(f"setup {self.name}: shave must be None (= the scale) or an integer >= 0, got {self.shave!r}")

    def protocol(self) -> Protocol:
        """The metric :class:`~sr_audit.protocol.Protocol` of this setup (grayscale used as its own Y)."""
        return Protocol(
            name=self.name,
            spaces=(self.metric_space,),
            y_definition=self.y_definition,
            y_rounding=self.y_rounding,
            output_rounding=self.output_rounding,
            shave=self.shave,
            grayscale="as-y",
            ssim=SSIM_VARIANTS[self.ssim],
            notes=self.notes,
        )

    def value(self, factor: str) -> str:
        """A factor's value as text (``shave`` None is ``"scale"``)."""
        value = getattr(self, factor)
        return "scale" if factor == "shave" and value is None else str(value)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: Setup presets by name.
SETUPS: dict[str, Setup] = {
    s.name: s
    for s in (
        Setup(
            name="paper",
            backend="matlab-legacy:bicubic",
            compute="float",
            fit="modcrop",
            resize_space="y",
            y_definition="matlab",
            y_rounding="half-away-from-zero",
            output_rounding="half-away-from-zero",
            shave=None,
            ssim="gaussian",
            metric_space="y",
            notes=(
                "SRCNN authors' MATLAB protocol: modcrop, rgb2ycbcr Y rounded to uint8, im2double, imresize "
                "bicubic down and up in double, uint8(x*255), shave s, PSNR on Y; SSIM of Wang et al. "
                "MATLAB imresize of the paper's generation (legacy, clamped border): tests/test_conformance.py "
                "reproduces the published table with it, modern MATLAB misses a published digit"
            ),
        ),
        Setup(
            name="typical-pytorch",
            backend="pil:bicubic",
            compute="uint8",
            fit="resize-to-fit",
            resize_space="rgb",
            y_definition="typo-64.738",
            y_rounding="none",
            output_rounding="none",
            shave=0,
            ssim="uniform",
            metric_space="y",
            notes=(
                "a common PyTorch SRCNN reimplementation: PIL opens RGB, resizes the HR to a multiple of the "
                "scale with BICUBIC, PIL BICUBIC down and up on 8-bit RGB, Y of the float RGB with the /256 "
                "coefficients and the 64.738 typo, no rounding, PSNR over the whole image (no shave), "
                "skimage structural_similarity with its defaults (7x7 uniform window)"
            ),
        ),
    )
}


def _parse_value(factor: str, text: str) -> Any:
    if factor != "shave":
        return text
    if text.strip().lower() in ("none", "scale"):
        return None
    try:
        return int(text)
    except ValueError:
        raise SpecError(f"shave must be 'scale' or an integer >= 0, got {text!r}") from None


def parse_setup(text: str | Setup) -> Setup:
    """A setup from ``PRESET[,FACTOR=VALUE...]``, e.g. ``paper,backend=matlab,shave=0``.

    >>> parse_setup("paper,shave=0").shave
    0
    """
    if isinstance(text, Setup):
        return text
    parts = [p.strip() for p in str(text).split(",")]
    preset = parts[0].lower()
    if preset not in SETUPS:
        raise SpecError(f"unknown setup {parts[0]!r}; presets: {', '.join(SETUPS)} (then ,FACTOR=VALUE overrides)")
    changes: dict[str, Any] = {}
    for part in parts[1:]:
        factor, sep, value = part.partition("=")
        factor = factor.strip()
        if not sep or factor not in FACTORS:
            raise SpecError(f"cannot read {part!r} in setup {text!r}: expected FACTOR=VALUE with a factor of: {', '.join(FACTORS)}")
        changes[factor] = _parse_value(factor, value.strip())
    setup = SETUPS[preset]
    return dataclasses.replace(setup, name=str(text).strip(), **changes) if changes else setup


def parse_order(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """The walk order: every factor once; a partial order is completed with the rest in default order."""
    if text is None:
        return tuple(FACTORS)
    names = [t.strip() for t in text.split(",")] if isinstance(text, str) else list(text)
    unknown = [n for n in names if n not in FACTORS]
    if unknown or len(set(names)) != len(names):
        raise SpecError(f"order {text!r} must name distinct factors of: {', '.join(FACTORS)}")
    return tuple(names) + tuple(f for f in FACTORS if f not in names)


# ------------------------------------------------------------------------------------ pipeline


def _preparation(setup: Setup, scale: int) -> Preparation:
    """The evaluation path's preparation of a setup: its fit, resize space and network luma; the
    luma-shift colour rule for RGB metrics (module docstring)."""
    degradation = Degradation(down=setup.backend, up=setup.backend, scale=scale, compute=setup.compute)  # type: ignore[arg-type]
    return Preparation(degradation, fit=setup.fit, resize_space=setup.resize_space, y_definition=setup.y_definition,
                       y_rounding=setup.y_rounding, colour="luma-shift")


class _Runner:
    """Evaluates setups on a fixed data set and model through the one evaluation path
    (:mod:`sr_audit.evaluation`), reusing the prepared images and outputs that several steps share."""

    def __init__(self, dataset: Dataset, scale: int, model: SRCNN | None) -> None:
        self.dataset, self.scale, self.model = dataset, scale, model
        self._outputs: dict[tuple[str, Preparation], tuple[Prepared, np.ndarray]] = {}

    def scores(self, setup: Setup) -> pd.DataFrame:
        """Per-image PSNR and SSIM of ``setup``: columns ``image, psnr, ssim``."""
        protocol, how, rows = setup.protocol(), _preparation(setup, self.scale), []
        for record in self.dataset:
            key = (record.name, how)
            if key not in self._outputs:
                prepared = prepare(record.image, how, name=record.name)
                self._outputs[key] = (prepared, run_model(self.model, prepared))
            s = score_prepared(*self._outputs[key], protocol)
            value_psnr, value_ssim = (s.psnr_y, s.ssim_y) if setup.metric_space == "y" else (s.psnr_rgb, s.ssim_rgb)
            rows.append({"image": record.name, "psnr": value_psnr, "ssim": value_ssim})
        return pd.DataFrame(rows, columns=["image", "psnr", "ssim"])


# -------------------------------------------------------------------------------------- explain


@dataclass(frozen=True)
class Explanation:
    """The walk from one setup to another and what each step changed.

    Attributes
    ----------
    start, end : Setup
    order : tuple of str
        Factor order of the walk (factors equal in both setups are not steps).
    dataset : str
    dataset_source : str
    n_images : int
    scale : int
    model : str
        ``bicubic`` or the weights file.
    steps : DataFrame
        One row per step, step 0 being ``start``: ``step, factor, from, to, psnr, delta_psnr,
        ssim, delta_ssim`` (Δ NaN at step 0). PSNR/SSIM are means over the images.
    per_image : DataFrame
        Long format ``step, image, psnr, ssim``.
    total_psnr, total_ssim : float
        ``end - start``; the Δ column sums to it exactly.
    """

    start: Setup
    end: Setup
    order: tuple[str, ...]
    dataset: str
    dataset_source: str
    n_images: int
    scale: int
    model: str
    steps: pd.DataFrame
    per_image: pd.DataFrame
    total_psnr: float
    total_ssim: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        steps = self.steps.astype(object).where(self.steps.notna(), None)
        return {
            "from": self.start.as_dict(),
            "to": self.end.as_dict(),
            "order": list(self.order),
            "dataset": self.dataset,
            "dataset_source": self.dataset_source,
            "n_images": self.n_images,
            "scale": self.scale,
            "model": self.model,
            "steps": steps.to_dict("records"),
            "total_psnr": self.total_psnr,
            "total_ssim": self.total_ssim,
            "per_image": self.per_image.to_dict("records"),
        }


def default_weights(scale: int, data_root: str | os.PathLike[str] | None = None) -> str:
    """The authors' 9-1-5 (T91) weights for ``scale`` under the data root, else :data:`BICUBIC`."""
    root, _ = find_data_root(data_root)
    if root is not None:
        path = Path(root) / "srcnn_official_weights" / "9-1-5_T91" / f"x{scale}.mat"
        if path.is_file():
            return str(path)
    return BICUBIC


def default_data(data_root: str | os.PathLike[str] | None = None) -> str | None:
    """``Set5`` when the data root holds it, else None (the embedded eval images)."""
    root, _ = find_data_root(data_root)
    return "Set5" if root is not None and (Path(root) / "Set5").is_dir() else None


def explain(
    start: str | Setup,
    end: str | Setup,
    *,
    data: str | os.PathLike[str] | None = None,
    data_root: str | os.PathLike[str] | None = None,
    scale: int = 3,
    weights: str | os.PathLike[str] | None = None,
    order: str | Sequence[str] | None = None,
    progress: bool = True,
) -> Explanation:
    """Walk from ``start`` to ``end`` one factor at a time and measure every step.

    Parameters
    ----------
    start, end : str or Setup
        Presets of :data:`SETUPS`, with ``,FACTOR=VALUE`` overrides (:func:`parse_setup`).
    data : str, PathLike or None
        What :func:`sr_audit.datasets.load_dataset` takes; None: :func:`default_data`.
    data_root : str or PathLike, optional
        Where set names and the default weights are looked up.
    scale : int
        Integer factor >= 2.
    weights : str or PathLike, optional
        ``bicubic``, an authors' ``.mat`` or an sr-audit checkpoint of a one-channel ``same``-padded
        SRCNN; None: :func:`default_weights`.
    order : str or sequence of str, optional
        Factor order (:func:`parse_order`); default the order of :data:`FACTORS`.
    progress : bool
        tqdm bar over the steps (on a terminal).

    Returns
    -------
    Explanation

    Raises
    ------
    SpecError
        Unknown preset, factor or value; a bad scale; a model that is not a one-channel ``same`` SRCNN.
    DataError
        Data or weights not found.
    """
    from tqdm import tqdm

    a, b = parse_setup(start), parse_setup(end)
    walk_order = parse_order(order)
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 2:
        raise SpecError(f"scale must be an integer >= 2, got {scale!r}")
    weights_name = str(weights) if weights is not None else default_weights(scale, data_root)
    model = y_srcnn(weights_name, "explain")
    dataset = load_dataset(data if data is not None else default_data(data_root), data_root=data_root, scale=int(scale))
    runner = _Runner(dataset, int(scale), model)

    setups = [("start", "", a.name, a)]
    current = a
    for factor in walk_order:
        if getattr(current, factor) != getattr(b, factor):
            before = current.value(factor)
            current = dataclasses.replace(current, name=f"{a.name} -> {b.name}", **{factor: getattr(b, factor)})
            setups.append((factor, before, current.value(factor), current))
    if any(getattr(current, f) != getattr(b, f) for f in FACTORS):
        raise AssertionError("the walk did not reach the end setup")

    rows, per_image = [], []
    previous: tuple[float, float] | None = None
    for step, (factor, before, after, setup) in enumerate(tqdm(setups, desc="explain", unit="step", disable=None if progress else True)):
        table = runner.scores(setup)
        mean_psnr, mean_ssim = _snap(float(table["psnr"].mean())), _snap(float(table["ssim"].mean()))
        rows.append(
            {
                "step": step,
                "factor": factor,
                "from": before,
                "to": after,
                "psnr": mean_psnr,
                "delta_psnr": math.nan if previous is None else mean_psnr - previous[0],
                "ssim": mean_ssim,
                "delta_ssim": math.nan if previous is None else mean_ssim - previous[1],
            }
        )
        per_image.extend({"step": step, **r} for r in table.to_dict("records"))
        previous = (mean_psnr, mean_ssim)
    steps = pd.DataFrame(rows)
    return Explanation(
        start=a,
        end=b,
        order=walk_order,
        dataset=dataset.name,
        dataset_source=dataset.source,
        n_images=len(dataset),
        scale=int(scale),
        model=weights_name,
        steps=steps,
        per_image=pd.DataFrame(per_image, columns=["step", "image", "psnr", "ssim"]),
        total_psnr=float(steps["psnr"].iloc[-1] - steps["psnr"].iloc[0]),
        total_ssim=float(steps["ssim"].iloc[-1] - steps["ssim"].iloc[0]),
    )


# ------------------------------------------------------------------------------------------ output


def steps_table(result: Explanation) -> pd.DataFrame:
    """The steps as display strings, with a total row (what the command prints)."""

    def signed(value: float, digits: int) -> str:
        return "" if math.isnan(value) else f"{value:+.{digits}f}"

    s = result.steps
    table = pd.DataFrame(
        {
            "factor": s["factor"],
            "from → to": [f"{a} → {b}" if f != "start" else b for f, a, b in zip(s["factor"], s["from"], s["to"])],
            "PSNR": s["psnr"].map("{:.3f}".format),
            "ΔPSNR": s["delta_psnr"].map(lambda v: signed(v, 3)),
            "SSIM": s["ssim"].map("{:.4f}".format),
            "ΔSSIM": s["delta_ssim"].map(lambda v: signed(v, 4)),
        },
    )
    table.index = s["step"].astype(str).to_numpy()
    total = pd.DataFrame(
        {
            "factor": ["total"],
            "from → to": [f"{result.start.name} → {result.end.name}"],
            "PSNR": [""],
            "ΔPSNR": [signed(result.total_psnr, 3)],
            "SSIM": [""],
            "ΔSSIM": [signed(result.total_ssim, 4)],
        },
        index=[""],
    )
    return pd.concat([table, total])


def report_text(result: Explanation) -> str:
    """The explanation as markdown-ish text."""
    steps = steps_table(result)
    lines = [
        f"# explain: {result.start.name} → {result.end.name}",
        "",
        f"data: {result.dataset} ({result.dataset_source}), {result.n_images} images, x{result.scale}; "
        f"model: {result.model}; mean PSNR (dB) and SSIM over the images.",
        f"order of the walk (factors equal in both setups are skipped): {', '.join(result.order)}. "
        "Each Δ is measured with the factors before it already changed; another order gives other Δs with the same total.",
        "",
        markdown_table(["step", *steps.columns], steps.itertuples(name=None)),
        "",
        "setups:",
    ]
    for setup in (result.start, result.end):
        fields = ", ".join(f"{f}={setup.value(f)}" for f in FACTORS)
        lines.append(f"- {setup.name}: {fields}" + (f" ({setup.notes})" if setup.notes else ""))
    return "\n".join(lines)


__all__ = [
    "FACTORS",
    "FITS",
    "RESIZE_SPACES",
    "SETUPS",
    "SSIM_VARIANTS",
    "Explanation",
    "Setup",
    "default_data",
    "default_weights",
    "explain",
    "parse_order",
    "parse_setup",
    "report_text",
    "steps_table",
]
