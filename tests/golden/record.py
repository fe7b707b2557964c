"""Record the golden resize values checked by ``tests/test_golden.py``.

Usage (from the repository root)::

    python tests/golden/record.py            # every registered backend
    python tests/golden/record.py cv2 tf     # only these; the others keep their recorded values

For every registered backend, every kernel (both antialias states where the library has the
switch), uint8 and float64, and scales 1/3 and 2, the fixed input :func:`pattern` is resized and
the file ``resize_golden.json`` beside this script keeps: the library's distribution and version,
the spec's conventions, the output shape, the sha256 of the output bytes (uint8), a few sample
values and the sum. Re-record only after checking why a value changed (a new library version, a
deliberate fix); the test names the backend, spec and what differs.
"""
from __future__ import annotations

import hashlib
import json
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np

from sr_audit import backends
from sr_audit.resize import resize

GOLDEN = Path(__file__).with_name("resize_golden.json")
DTYPES = ("uint8", "float64")
SCALES = ("1/3", "2")
#: Where the samples are taken, as fractions of the flattened output's last index.
SAMPLE_AT = (0.0, 1 / 7, 1 / 3, 1 / 2, 2 / 3, 6 / 7, 1.0)
INPUT = "(37*y + 11*x*x + 5*x*y + 83*c) mod 256 for y < 17, x < 13, c < 3 (uint8; float64 = that / 255)"


def pattern(dtype: str) -> np.ndarray:
    """The fixed 17x13x3 input: a closed form with edges and fine detail, no random numbers."""
    y, x, c = np.meshgrid(np.arange(17), np.arange(13), np.arange(3), indexing="ij")
    image = ((37 * y + 11 * x * x + 5 * x * y + 83 * c) % 256).astype(np.uint8)
    return image if dtype == "uint8" else image / 255.0


def specs(name: str) -> list[str]:
    """Every kernel of backend ``name``, both antialias states where the library has the switch."""
    out: list[str] = []
    for kernel, fixed in backends.get_backend(name).kernels.items():
        out += [f"{name}:{kernel}+aa", f"{name}:{kernel}-aa"] if fixed is None else [f"{name}:{kernel}"]
    return out


def case_key(dtype: str, scale: str) -> str:
    return f"{dtype} scale {scale}"


def measure(spec: str, dtype: str, scale: str) -> dict[str, Any]:
    """Shape, samples and sum of one resize (and the sha256 of the bytes for uint8)."""
    out = np.ascontiguousarray(resize(pattern(dtype), spec, scale=scale))
    flat = out.reshape(-1)
    positions = sorted({round(f * (flat.size - 1)) for f in SAMPLE_AT})
    record: dict[str, Any] = {
        "shape": list(out.shape),
        "samples": {str(i): (int(flat[i]) if dtype == "uint8" else float(flat[i])) for i in positions},
        "sum": int(flat.astype(np.int64).sum()) if dtype == "uint8" else float(flat.sum()),
    }
    if dtype == "uint8":
        record["sha256"] = hashlib.sha256(out.tobytes()).hexdigest()
    return record


def record_backend(name: str) -> dict[str, Any]:
    """The golden entry of one backend (its library must be installed)."""
    backend = backends.get_backend(name)
    backend.require()
    entry: dict[str, Any] = {"distribution": backend.distribution, "version": backend.version(), "specs": {}}
    for spec in specs(name):
        entry["specs"][spec] = {
            "conventions": backend.conventions(backends.resolve(spec)).as_dict(),
            "outputs": {case_key(d, s): measure(spec, d, s) for d in DTYPES for s in SCALES},
        }
    return entry


def load() -> dict[str, Any]:
    """The recorded golden file (an empty skeleton when it does not exist yet)."""
    if GOLDEN.is_file():
        return json.loads(GOLDEN.read_text())
    return {"backends": {}}


def main(argv: list[str]) -> int:
    names = argv or backends.names()
    unknown = [n for n in names if n not in backends.names()]
    if unknown:
        print(f"record.py: unknown backend(s) {', '.join(unknown)}; registered: {', '.join(backends.names())}", file=sys.stderr)
        return 2
    golden = load()
    golden["input"] = INPUT
    golden["recorded_on"] = f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    for name in names:
        golden["backends"][name] = record_backend(name)
        print(f"recorded {name}: {len(golden['backends'][name]['specs'])} specs")
    text = json.dumps(golden, indent=1, sort_keys=True) + "\n"
    tmp = GOLDEN.with_suffix(".json.tmp")
    tmp.write_text(text)
    tmp.replace(GOLDEN)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
