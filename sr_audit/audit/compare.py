"""How far apart do the resize backends land? Pairwise PSNR of their low-resolution outputs.

:func:`compare_backends` takes high-resolution (HR) images (a folder, an image file or a set name,
:func:`sr_audit.datasets.load_dataset`) and an integer scale ``s``:

1. each image is modcropped (bottom and right rows/columns dropped) to a multiple of ``s``;
2. each backend shrinks it to ``(H/s, W/s)`` on its 8-bit path (RGB stays RGB, grayscale stays
   grayscale); the size is passed explicitly, so every backend's LR has the same shape whatever its
   size rule, and its scale is exactly ``1/s``;
3. for every pair of backends, the PSNR between their LR images, on RGB and on Y, averaged over the
   images;
4. for every backend, the round trip down then up again (the same backend, 8-bit, back to
   ``(H, W)``) against HR, on RGB and on Y, after shaving ``shave`` pixels on every side (default
   ``s``, as in the SRCNN evaluation protocol).

PSNR is ``20 log10(255 / RMSE)`` on the 0..255 scale. Y is MATLAB ``rgb2ycbcr``'s luma, unrounded
(:func:`sr_audit.colour.rgb_to_y`, ``"matlab"``); a grayscale image is its own Y (and its own RGB).
Two backends whose outputs are identical give ``inf`` dB, written "identical" in tables. When a pair
is identical on some images only, the mean is taken over the images where it differs and the count
of identical images is reported beside it (a mean with ``inf`` in it says nothing).
"""
from __future__ import annotations

import itertools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sr_audit import backends
from sr_audit.backends.selection import BackendStatus
from sr_audit.colour import rgb_to_y
from sr_audit.conventions import ResizeSpec
from sr_audit.degradation import modcrop
from sr_audit.errors import ImageError, SpecError
from sr_audit.datasets import Dataset, load_dataset
from sr_audit.io_util import atomic_write_bytes
from sr_audit.report.markdown import markdown_table
from sr_audit.metrics import psnr
from sr_audit.resize import resize

#: How an infinite PSNR (identical images) is written in tables.
IDENTICAL = "identical"

#: PSNR channels reported, in table order.
CHANNELS: tuple[str, ...] = ("y", "rgb")


def _luma(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float64) if image.ndim == 2 else rgb_to_y(image, "matlab")


def _shaved(image: np.ndarray, shave: int) -> np.ndarray:
    return image[shave : image.shape[0] - shave, shave : image.shape[1] - shave] if shave else image


def _psnr_pair(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    return {
        "y": psnr(_luma(a), _luma(b), data_range=255.0),
        "rgb": psnr(a, b, data_range=255.0),
    }


@dataclass(frozen=True)
class Comparison:
    """Per-image results of :func:`compare_backends` (long format) and their summaries.

    Attributes
    ----------
    specs : list of str
        Canonical specs compared, in the order given.
    skipped : list of BackendStatus
        Backends left out because they cannot run here.
    scale : int
        Downscaling factor.
    shave : int
        Border shaved before the round-trip PSNR.
    pairs : DataFrame
        Columns ``image, a, b, y, rgb``: PSNR (dB) between the LR outputs of specs ``a`` and ``b``.
    roundtrip : DataFrame
        Columns ``image, spec, y, rgb``: PSNR (dB) of down-then-up against the HR image.
    """

    specs: list[str]
    skipped: list[BackendStatus]
    scale: int
    shave: int
    pairs: pd.DataFrame
    roundtrip: pd.DataFrame

    def pair_matrix(self, channel: str, column: str | None = None) -> pd.DataFrame:
        """Square table (specs x specs) of :meth:`pair_means` ``column`` (default: the mean PSNR on
        ``channel``; ``f"{channel}_identical_images"`` gives the counts); NaN on the diagonal."""
        matrix = pd.DataFrame(np.nan, index=self.specs, columns=self.specs, dtype=float)
        for row in self.pair_means().itertuples(index=False):
            value = getattr(row, column or channel)
            matrix.loc[row.a, row.b] = matrix.loc[row.b, row.a] = value
        return matrix

    def pair_means(self) -> pd.DataFrame:
        """One row per pair: mean PSNR per channel and how many images the pair gives identically."""
        rows = []
        for (a, b), group in self.pairs.groupby(["a", "b"], sort=False):
            row: dict[str, object] = {"a": a, "b": b}
            for c in CHANNELS:
                row[c] = mean_psnr(group[c])
                row[f"{c}_identical_images"] = int(np.isinf(group[c]).sum())
            rows.append(row)
        columns = ["a", "b"] + [f"{c}{suffix}" for c in CHANNELS for suffix in ("", "_identical_images")]
        return pd.DataFrame(rows, columns=columns)

    def roundtrip_summary(self) -> pd.DataFrame:
        """One row per spec: mean round-trip PSNR on Y and RGB."""
        rows = [
            {"spec": spec, **{c: mean_psnr(group[c]) for c in CHANNELS}}
            for spec, group in self.roundtrip.groupby("spec", sort=False)
        ]
        return pd.DataFrame(rows, columns=["spec", *CHANNELS]).set_index("spec")

    @property
    def n_images(self) -> int:
        return int(self.roundtrip["image"].nunique())


def mean_psnr(values: pd.Series) -> float:
    """Mean of per-image PSNRs over the finite ones; ``inf`` when all are infinite."""
    finite = values[np.isfinite(values)]
    return math.inf if finite.empty else float(finite.mean())


def compare_backends(
    data: str | os.PathLike[str] | Dataset,
    scale: int,
    specs: Sequence[str | ResizeSpec],
    *,
    skipped: Sequence[BackendStatus] = (),
    shave: int | None = None,
    data_root: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> Comparison:
    """Downscale every HR image in ``data`` with every spec; PSNR between backends and round trips.

    Parameters
    ----------
    data : str, PathLike or Dataset
        An image file, a folder of them or a set name (8-bit RGB or grayscale), or a loaded set;
        images are named by their file stems.
    scale : int
        Integer downscaling factor, at least 2.
    specs : sequence of str or ResizeSpec
        Backend specs, at least two, different once resolved (see
        :func:`sr_audit.backends.selection.select_specs`); results are labelled with their canonical form.
    skipped : sequence of BackendStatus, optional
        Backends left out, carried into the result for reporting.
    shave : int, optional
        Pixels shaved on every side before the round-trip PSNR; default ``scale``.
    data_root : str or PathLike, optional
        Where set names are looked up.
    progress : bool
        Show a tqdm progress bar over the images (on a terminal).

    Returns
    -------
    Comparison
    """
    from tqdm import tqdm

    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 2:
        raise SpecError(f"scale must be an integer of at least 2, got {scale!r}")
    labels = [str(backends.resolve(spec)) for spec in specs]
    if len(set(labels)) < 2 or len(set(labels)) != len(labels):
        raise SpecError(f"comparing needs at least two different backend specs, got: {', '.join(labels) or 'none'}")
    shave = int(scale) if shave is None else shave
    if shave < 0:
        raise SpecError(f"shave must be 0 or more pixels, got {shave}")
    dataset = data if isinstance(data, Dataset) else load_dataset(data, data_root=data_root, scale=int(scale))
    pair_rows: list[dict[str, object]] = []
    trip_rows: list[dict[str, object]] = []
    for record in tqdm(list(dataset), desc="compare", unit="image", disable=None if progress else True):
        hr = modcrop(record.image, scale)
        if min(hr.shape[:2]) <= 2 * shave or min(hr.shape[:2]) < scale:
            raise ImageError(f"{record.source}: {hr.shape[0]}x{hr.shape[1]} is too small for scale {scale} with "
                             f"{shave} pixels shaved per side; use a smaller --scale or --shave")
        lr_size = (hr.shape[0] // scale, hr.shape[1] // scale)
        low = {spec: resize(hr, spec, size=lr_size) for spec in labels}
        for a, b in itertools.combinations(labels, 2):
            pair_rows.append({"image": record.name, "a": a, "b": b, **_psnr_pair(low[a], low[b])})
        for spec in labels:
            up = resize(low[spec], spec, size=hr.shape[:2])
            trip_rows.append({"image": record.name, "spec": spec, **_psnr_pair(_shaved(hr, shave), _shaved(up, shave))})
    return Comparison(
        specs=labels,
        skipped=list(skipped),
        scale=int(scale),
        shave=shave,
        pairs=pd.DataFrame(pair_rows, columns=["image", "a", "b", *CHANNELS]),
        roundtrip=pd.DataFrame(trip_rows, columns=["image", "spec", *CHANNELS]),
    )


# ------------------------------------------------------------------------------------------ output


def format_psnr(value: float, identical_images: int = 0, n_images: int = 0) -> str:
    """``"31.27"``, ``"identical"`` for inf, ``""`` for NaN; a partial identity is counted beside it.

    >>> format_psnr(31.2689), format_psnr(math.inf), format_psnr(30.0, 1, 5)
    ('31.27', 'identical', '30.00 (1/5 identical)')
    """
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return IDENTICAL
    text = f"{value:.2f}"
    return f"{text} ({identical_images}/{n_images} identical)" if identical_images else text


def pair_markdown(result: Comparison, channel: str) -> str:
    """The pairwise table of ``channel`` as markdown, formatted cells, ``—`` on the diagonal."""
    matrix = result.pair_matrix(channel)
    counts = result.pair_matrix(channel, f"{channel}_identical_images")
    cells = pd.DataFrame(
        [
            [
                "—" if a == b else format_psnr(matrix.loc[a, b], int(counts.loc[a, b]), result.n_images)
                for b in result.specs
            ]
            for a in result.specs
        ],
        index=result.specs,
        columns=result.specs,
    )
    return markdown_table(["PSNR (dB)", *cells.columns], cells.itertuples(name=None))


def roundtrip_markdown(result: Comparison) -> str:
    """The round-trip table as markdown."""
    summary = result.roundtrip_summary()
    cells = summary.apply(lambda col: col.map(format_psnr)).rename(columns={"y": "Y", "rgb": "RGB"})
    return markdown_table(["spec (down then up)", *cells.columns], cells.itertuples(name=None))


def report_markdown(result: Comparison, data: str) -> str:
    """The whole comparison as one markdown document."""
    parts = [
        f"# Resize backends compared: x{result.scale} downscaling",
        "",
        f"Data: `{data}`, {result.n_images} images, modcropped to a multiple of {result.scale}; every backend "
        f"shrinks by 1/{result.scale} on its 8-bit path. PSNR in dB on the 0..255 scale; Y is MATLAB rgb2ycbcr "
        "luma (unrounded), a grayscale image is its own Y. Mean over images.",
        "",
        "## Pairwise PSNR between LR outputs, Y",
        "",
        pair_markdown(result, "y"),
        "",
        "## Pairwise PSNR between LR outputs, RGB",
        "",
        pair_markdown(result, "rgb"),
        "",
        f"## Round trip: down then up with the same backend, against HR (shave {result.shave})",
        "",
        roundtrip_markdown(result),
    ]
    if result.skipped:
        parts += ["", "## Skipped backends", ""]
        parts += [f"- `{s.name}`: {s.reason}" for s in result.skipped]
    return "\n".join(parts) + "\n"


def plot_pair_heatmap(result: Comparison, channel: str, path: str | os.PathLike[str]) -> None:
    """Heatmap of the pairwise PSNR on ``channel``, annotated; identical pairs in a colour of their own."""
    import matplotlib
    from matplotlib.patches import Patch, Rectangle

    from sr_audit.report.plots import agg_figure, figure_png

    matrix = result.pair_matrix(channel).to_numpy()
    n = len(result.specs)
    finite = np.isfinite(matrix)
    identical = np.isinf(matrix)
    identical_colour, diagonal_colour = "#f2c14e", "#d9d9d9"
    size = 1.5 + 0.9 * n
    fig = agg_figure(figsize=(size + 2.5, size + 1.5))
    ax = fig.subplots()
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad=diagonal_colour)
    values = np.ma.masked_array(matrix, mask=~finite)
    if finite.any():
        low, high = float(matrix[finite].min()), float(matrix[finite].max())
        if high - low < 1e-6:
            low, high = low - 0.5, high + 0.5
    else:
        low, high = 0.0, 1.0
    image = ax.imshow(values, cmap=cmap, vmin=low, vmax=high)
    for i, j in itertools.product(range(n), range(n)):
        if identical[i, j]:
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, color=identical_colour))
            ax.text(j, i, "∞\nidentical", ha="center", va="center", fontsize=8)
        elif finite[i, j]:
            shade = (matrix[i, j] - low) / (high - low)
            ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=9,
                    color="black" if shade > 0.6 else "white")
        else:
            ax.text(j, i, "—", ha="center", va="center", color="#555555")
    ax.set_xticks(range(n), result.specs, rotation=40, ha="right")
    ax.set_yticks(range(n), result.specs)
    images = f"{result.n_images} image{'s' if result.n_images != 1 else ''}"
    ax.set_title(f"PSNR between LR outputs ({channel.upper()}), x{result.scale} down, {images}")
    colourbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    colourbar.set_label("PSNR (dB); higher = closer")
    if identical.any():
        fig.legend(handles=[Patch(color=identical_colour, label="identical (∞ dB)")],
                   loc="lower left", bbox_to_anchor=(0.0, 0.0), frameon=False)
    fig.tight_layout()
    atomic_write_bytes(path, figure_png(fig, dpi=120, bbox_inches="tight", pad_inches=0.15))


@dataclass(frozen=True)
class ComparisonFiles:
    """Paths written by :func:`write_comparison`."""

    markdown: Path
    pairs_csv: Path
    pairs_mean_csv: Path
    roundtrip_csv: Path
    heatmap: Path


def write_comparison(result: Comparison, out_dir: str | os.PathLike[str], data: str) -> ComparisonFiles:
    """Write the markdown report, the CSVs and the Y heatmap.

    CSVs: ``pairs.csv`` and ``roundtrip.csv`` per image (long format), ``pairs_mean.csv`` one row per
    pair with the means and identical-image counts; identical images are written ``inf``.

    The folder is created when missing; each file is written atomically.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = ComparisonFiles(
        markdown=out / "compare.md",
        pairs_csv=out / "pairs.csv",
        pairs_mean_csv=out / "pairs_mean.csv",
        roundtrip_csv=out / "roundtrip.csv",
        heatmap=out / "pairs_y.png",
    )
    atomic_write_bytes(files.markdown, report_markdown(result, data).encode())
    atomic_write_bytes(files.pairs_csv, result.pairs.to_csv(index=False).encode())
    atomic_write_bytes(files.pairs_mean_csv, result.pair_means().to_csv(index=False).encode())
    atomic_write_bytes(files.roundtrip_csv, result.roundtrip.to_csv(index=False).encode())
    plot_pair_heatmap(result, "y", files.heatmap)
    return files
