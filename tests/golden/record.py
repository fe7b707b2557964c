"""Record the golden resize values checked by ``tests/test_golden.py``, and compare with them.

Usage (from the repository root)::

    python tests/golden/record.py            # every registered backend
    python tests/golden/record.py cv2 tf     # only these; the others keep their recorded values
    python tests/golden/record.py --seen cv2 # the installed cv2 gives the recorded values: note its version

For every registered backend, every kernel (both antialias states where the library has the
switch), uint8 and float64, and scales 1/3 and 2, the fixed input :func:`pattern` is resized and
the file ``resize_golden.json`` beside this script keeps: the library's distribution and the
version it was recorded with, the spec's conventions, the output shape, the sha256 of the output
bytes (uint8), a few sample values and the sum (float compared to 1e-9 relative). Values are what
is pinned: another library version that computes the same values passes, and ``--seen`` adds it
to the entry's ``same_output_versions`` (after checking the values). Re-record only after
checking why a value changed (a new library version, a deliberate fix); :func:`check` names the
backend, spec (so the kernel) and both versions.
"""
from __future__ import annotations

import hashlib
import json
import platform
import sys
from dataclasses import dataclass
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


def _close(new: float, old: float) -> bool:
    return abs(new - old) <= 1e-9 * max(1.0, abs(old))


def output_change(case: str, new: dict[str, Any], old: dict[str, Any]) -> str | None:
    """None when the measured ``new`` has the recorded ``old`` values, else what changed in ``case``."""
    if new["shape"] != old["shape"]:
        return f"{case}: output shape {old['shape']} -> {new['shape']}"
    if set(new["samples"]) != set(old["samples"]):
        return f"{case}: sample positions changed (re-record)"
    if "sha256" in old:  # uint8: bytes must be identical
        if new["sha256"] == old["sha256"]:
            return None
    elif all(_close(new["samples"][i], old["samples"][i]) for i in old["samples"]) and _close(new["sum"], old["sum"]):
        return None
    largest = max(abs(new["samples"][i] - old["samples"][i]) for i in old["samples"])
    return f"{case}: output changed: max difference {largest:.3g} at the recorded samples, sum {old['sum']!r} -> {new['sum']!r}"


def _conventions_change(spec: str, new: dict[str, Any], old: dict[str, Any]) -> str | None:
    fields = sorted(set(new) | set(old))
    changed = [f"{f}: {old.get(f)!r} -> {new.get(f)!r}" for f in fields if new.get(f) != old.get(f)]
    return f"{spec}: conventions changed: " + "; ".join(changed) if changed else None


@dataclass(frozen=True)
class GoldenCheck:
    """One backend's outputs now, against its golden entry.

    Attributes
    ----------
    name, distribution : str
        Backend and the distribution whose version is recorded.
    recorded : str
        Version the values were recorded with.
    installed : str or None
        Version installed now.
    same_output : tuple of str
        Other versions already known to give the recorded values.
    problems : tuple of str
        One line per spec (``backend:kernel±aa``) and case that differs; empty when all match.
    """

    name: str
    distribution: str
    recorded: str
    installed: str | None
    same_output: tuple[str, ...]
    problems: tuple[str, ...]

    def failure(self) -> str | None:
        """The failure message (backend, both versions, every differing spec), or None."""
        if not self.problems:
            return None
        if self.installed == self.recorded:
            versions = f"{self.distribution} {self.installed} (the recorded version: the change is in sr-audit or the platform)"
        else:
            versions = f"{self.distribution} {self.installed} installed, values recorded with {self.recorded}"
        return (
            f"backend {self.name}: {versions}:\n" + "\n".join(self.problems)
            + f"\nCheck why, then re-record with `python tests/golden/record.py {self.name}`"
        )

    def notice(self) -> str | None:
        """When the values match under a version not yet noted: says so and how to note it; else None."""
        if self.problems or self.installed == self.recorded or self.installed in self.same_output:
            return None
        return (
            f"backend {self.name}: {self.distribution} {self.installed} gives the values recorded with "
            f"{self.recorded} (identical output); note it with `python tests/golden/record.py --seen {self.name}`"
        )


def check(name: str, entry: dict[str, Any]) -> GoldenCheck:
    """Measure backend ``name`` (its library must be installed) and compare with its golden ``entry``."""
    backend = backends.get_backend(name)
    problems: list[str] = []
    wanted = specs(name)
    missing = [s for s in wanted if s not in entry["specs"]]
    stale = [s for s in entry["specs"] if s not in wanted]
    if missing or stale:
        problems.append(f"specs not recorded: {missing or 'none'}; recorded specs that no longer exist: {stale or 'none'}")
    for spec in wanted:
        if spec in missing:
            continue
        old = entry["specs"][spec]
        conventions = json.loads(json.dumps(backend.conventions(backends.resolve(spec)).as_dict()))  # tuples as lists
        change = _conventions_change(spec, conventions, old["conventions"])
        problems += [change] if change else []
        for dtype in DTYPES:
            for scale in SCALES:
                case = f"{spec} {case_key(dtype, scale)}"
                recorded = old["outputs"].get(case_key(dtype, scale))
                change = f"{case}: not recorded" if recorded is None else output_change(case, measure(spec, dtype, scale), recorded)
                problems += [change] if change else []
    return GoldenCheck(
        name=name,
        distribution=entry["distribution"],
        recorded=entry["version"],
        installed=backend.version() if backend.distribution == entry["distribution"] else f"{backend.distribution} {backend.version()}",
        same_output=tuple(entry.get("same_output_versions", ())),
        problems=tuple(problems),
    )


def load() -> dict[str, Any]:
    """The recorded golden file (an empty skeleton when it does not exist yet)."""
    if GOLDEN.is_file():
        return json.loads(GOLDEN.read_text())
    return {"backends": {}}


def note_seen(golden: dict[str, Any], name: str) -> str | None:
    """Add the installed version of ``name`` to its entry's ``same_output_versions`` when its values
    match; return None then, else why not (no entry, or the values differ)."""
    entry = golden["backends"].get(name)
    if entry is None:
        return f"no golden values for {name}: record them first with `python tests/golden/record.py {name}`"
    result = check(name, entry)
    if result.problems:
        return result.failure()
    if result.installed != result.recorded and result.installed not in result.same_output:
        entry["same_output_versions"] = sorted({*result.same_output, str(result.installed)})
    return None


def main(argv: list[str]) -> int:
    seen = argv[:1] == ["--seen"]
    names = argv[1:] if seen else argv
    names = names or backends.names()
    unknown = [n for n in names if n not in backends.names()]
    if unknown:
        print(f"record.py: unknown backend(s) {', '.join(unknown)}; registered: {', '.join(backends.names())}", file=sys.stderr)
        return 2
    golden = load()
    if seen:
        refused = [why for why in (note_seen(golden, name) for name in names) if why is not None]
        if refused:
            print("record.py: nothing written:\n" + "\n".join(refused), file=sys.stderr)
            return 1
        for name in names:
            entry = golden["backends"][name]
            print(f"{name}: values recorded with {entry['distribution']} {entry['version']}, same output with: "
                  f"{', '.join(entry.get('same_output_versions', [])) or 'no other version'}")
    else:
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
