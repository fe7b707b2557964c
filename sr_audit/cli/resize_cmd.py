"""``sr-audit resize``: resize image files with one backend spec, writing same-named files.

Output files
------------
Each output keeps its input's file name, in ``--out`` (alias ``--out-dir``), and is written in the format its
extension names (PNG, BMP or TIFF, all lossless). A JPEG input is read as it decodes and written as
``STEM.png`` (a lossy output would add its own error), with a note that the input itself was lossy.
With ``--npy`` each output is ``STEM.npy`` holding the resized array unrounded (float64 with
``--compute float``).

Compute paths
-------------
* default: the input's own dtype (uint8 -> the backend's 8-bit path; uint16 where it has one).
* ``--compute uint8``: the same for 8-bit input; other input is refused.
* ``--compute float``: MATLAB ``im2double`` (x / 255, x / 65535), resized in float64, then written
  rounded half away from zero to the input's bit depth (as MATLAB ``imwrite`` does for doubles).
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from sr_audit.backends.selection import resolve_available
from sr_audit.cli.options import add_out
from sr_audit.conventions import ResizeSpec
from sr_audit.errors import ImageError, SpecError
from sr_audit.image_io import from_unit_float, im2double, list_images, read_image, write_array, write_image
from sr_audit.resize import conventions_of, resize
from sr_audit.sizes import parse_scale

#: ``--compute`` choices.
COMPUTE_PATHS: tuple[str, ...] = ("uint8", "float")

_LOSSY_EXTENSIONS = (".jpg", ".jpeg")
_SIZE_RE = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


def parse_size(text: str) -> tuple[int, int]:
    """``"HxW"`` (height first) -> ``(H, W)``.

    >>> parse_size("123x234")
    (123, 234)
    """
    m = _SIZE_RE.match(text)
    if m is None or int(m[1]) < 1 or int(m[2]) < 1:
        raise SpecError(f"--size {text!r} is not HEIGHTxWIDTH with positive integers, e.g. 123x234")
    return int(m[1]), int(m[2])


def checked_scale(text: str) -> str:
    """``text`` unchanged when it is a positive finite number or fraction, else a :class:`SpecError`."""
    try:
        parse_scale(text)
    except SpecError:
        raise SpecError(f"--scale {text!r} is not a positive number or fraction such as 3, 0.5 or 1/3") from None
    return text


def conventions_line(spec: ResizeSpec) -> str:
    """One line that states what ``spec`` computes."""
    c = conventions_of(spec)
    cubic = f", cubic a={c.cubic_a}" if c.cubic_a is not None else ""
    return (
        f"{spec}: kernel {c.kernel}{cubic}, antialias {'on' if c.antialias else 'off'}, centres {c.pixel_centre}, "
        f"border {c.border}, size rule {c.size_rule}, float in {c.float_precision}, 8-bit rounding {c.rounding}"
    )


def output_paths(files: list[Path], out_dir: Path, npy: bool) -> list[Path]:
    """Where each input's result goes (a JPEG's as ``STEM.png``); refuses name clashes and overwriting
    an input."""
    targets: dict[Path, Path] = {}
    for f in files:
        if npy:
            target = out_dir / (f.stem + ".npy")
        else:
            target = out_dir / (f.stem + ".png" if f.suffix.lower() in _LOSSY_EXTENSIONS else f.name)
        if target in targets:
            raise ImageError(f"{targets[target]} and {f} would both write {target}; resize them into separate --out folders")
        if target.resolve() == f.resolve():
            raise ImageError(f"{f}: the output would overwrite the input; choose another --out folder")
        targets[target] = f
    return list(targets)


def resize_file(source: Path, target: Path, spec: ResizeSpec, *, scale: str | None, size: tuple[int, int] | None,
                compute: str | None) -> None:
    """Read ``source``, resize it on the chosen compute path, write ``target`` (image or ``.npy``)."""
    image = read_image(source)
    if compute == "uint8" and image.dtype != np.uint8:
        raise ImageError(f"{source}: --compute uint8 needs an 8-bit image, this one is {image.dtype}; use --compute float")
    data = im2double(image) if compute == "float" else image
    result = resize(data, spec, scale=scale, size=size)
    if target.suffix == ".npy":
        write_array(target, result)
    elif result.dtype.kind == "f":
        write_image(target, from_unit_float(result, image.dtype))
    else:
        write_image(target, result)


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    spec = resolve_available(args.backend, "--backend")
    scale = checked_scale(args.scale) if args.scale is not None else None
    size = parse_size(args.size) if args.size is not None else None
    files = [f for given in args.inputs for f in list_images(given)]
    out_dir = Path(args.out)
    targets = output_paths(files, out_dir, args.npy)
    print(conventions_line(spec))
    lossy = [f for f in files if f.suffix.lower() in _LOSSY_EXTENSIONS]
    if lossy:
        print(f"note: {len(lossy)} JPEG input{'s' if len(lossy) != 1 else ''} (lossy: the decoded pixels are resized, "
              f"JPEG's own error included){'' if args.npy else '; written as .png'}")
    out_dir.mkdir(parents=True, exist_ok=True)
    for source, target in tqdm(list(zip(files, targets)), desc="resize", unit="file", disable=None):
        resize_file(source, target, spec, scale=scale, size=size, compute=args.compute)
    print(f"wrote {len(targets)} file{'s' if len(targets) != 1 else ''} to {out_dir}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "resize",
        help="resize image files with one backend spec",
        description="Resize image files (or every image in folders) with one backend spec; outputs keep the "
        "input file names and their lossless format (PNG, BMP, TIFF) in --out.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders of images")
    p.add_argument("--backend", required=True, metavar="SPEC",
                   help="BACKEND[:KERNEL][+aa|-aa], e.g. pil, matlab, torch:bicubic+aa (see `sr-audit backends`)")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--scale", metavar="S", help="scale factor, > 1 enlarges; a number or fraction, e.g. 3 or 1/3")
    how.add_argument("--size", metavar="HxW", help="output size, HEIGHT first, e.g. 123x234")
    add_out(p, "the outputs")
    p.add_argument("--compute", choices=COMPUTE_PATHS, default=None,
                   help="uint8: the 8-bit path; float: im2double, resize in float64, write rounded half away from "
                   "zero (MATLAB imwrite). Default: the input's own dtype")
    p.add_argument("--npy", action="store_true",
                   help="write STEM.npy holding the result as computed instead of an image (float64 and "
                   "unrounded with --compute float)")
    p.set_defaults(func=_run)
