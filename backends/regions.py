"""Region resizes: the top-left part of a resize, computed from the part of the image it reads.

A backend module may define::

    resize_region(spec, image, size, scale, region, in_size=None) -> np.ndarray | None

``spec`` is the resolved :class:`~sr_audit.conventions.ResizeSpec`, ``image``, ``size`` and
``scale`` are what the backend's resize callable is given for the whole image (see
:mod:`sr_audit.backends.base`), and ``region`` is ``(rows, cols)``. The result is bit for bit
``fn(image, size, scale)[:rows, :cols]``, computed from a top-left part of ``image``; None where the
library offers no way to make a part map as the whole image does (then the caller resizes the
whole image), or where that part would be the whole image. With ``in_size``, ``image`` is only the
top-left part of an image of that size (and ``size`` and ``scale`` are the whole one's); a helper
that needs more of it than ``image`` holds returns None. Each helper states in its docstring why its part computes what the whole computes,
and ``tests/test_identify_crops.py`` pins it against the whole image over many sizes, scales and
regions. :func:`sr_audit.audit.identify.identify` uses them to screen candidates on small crops.

A part maps as the whole image when the library is given the whole image's ratio (in/out per
axis) and computes every output pixel from the input pixels and weights of its own footprint,
clamped only at the image's edges. Two ways to give the ratio:

* **mapped**: the library takes the ratio as an argument (Pillow's ``box``, TensorFlow's
  ``ScaleAndTranslate`` scale, PyTorch's ``scale_factor``, scipy's zoom factors): any part that
  holds every input pixel the kept output reads (:func:`mapped_axis`);
* **rational**: the library computes the ratio from the sizes it is given, so the part's sizes
  are the whole's reduced ratio times an integer, ``k p -> k q`` (:func:`rational_axis`): the same
  ratio, and so the same floating-point number whatever precision the library divides in.

Where no part computes the region exactly (a recursive prefilter over whole lines, a clip to the
whole image's range), a backend module may instead define *bounds*::

    resize_region_bounds(spec, image, size, scale, region, in_size=None) -> (lo, hi) | None

with the same arguments and ``lo <= fn(image, size, scale)[:rows, :cols] <= hi`` elementwise, in
the dtype the backend returns; the docstring says why the bounds hold, and the tests pin them
against the whole image. ``identify``'s screen counts a pixel as a mismatch only where the LR lies
outside the rounded bounds (rounding and saturation are monotone) and checks every whole-image
result it scores against them.
"""
from __future__ import annotations

import math


def reach(rows: int, ratio: float, half_width: float) -> int:
    """Input pixels (from 0) that output pixels ``0 .. rows - 1`` may read, with a margin: the last
    one's centre ``(rows - 0.5) * ratio`` (half-pixel centres) plus the kernel's half width in
    input pixels, plus three (the libraries' inclusive ends and rounding of bounds).

    >>> reach(64, 3.0, 6.0)
    199
    """
    return math.floor((rows - 0.5) * ratio + half_width) + 3


def mapped_axis(n_in: int, n_out: int, rows: int, needed: int) -> tuple[int, int]:
    """(input pixels, output pixels) of the part along one axis when the ratio is passed
    explicitly: the ``needed`` input pixels and the ``rows`` kept, or the whole axis when the part
    would not be smaller.

    >>> mapped_axis(481, 160, 64, 200), mapped_axis(481, 160, 64, 500)
    ((200, 64), (481, 160))
    """
    if rows >= n_out or needed >= n_in:
        return n_in, n_out
    return needed, rows


def rational_axis(n_in: int, n_out: int, rows: int, needed: int) -> tuple[int, int]:
    """(input pixels, output pixels) ``(k p, k q)`` of the part along one axis, ``p / q`` the
    reduced ``n_in / n_out``, with ``k q >= rows`` and ``k p >= needed``; the whole axis when no
    smaller part has the ratio exactly.

    >>> rational_axis(321, 107, 64, 200), rational_axis(481, 160, 64, 200)
    ((201, 67), (481, 160))
    """
    g = math.gcd(n_in, n_out)
    p, q = n_in // g, n_out // g
    k = max(-(-rows // q), -(-needed // p), 1)
    if k * q >= n_out or k * p >= n_in:
        return n_in, n_out
    return k * p, k * q


__all__ = ["mapped_axis", "rational_axis", "reach"]
