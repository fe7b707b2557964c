"""Pair HR, LR and SR files by name, with the folder layouts and file names of the field.

Every command that takes two folders (``identify``, ``score``, ...) pairs their files here, by
name and never by sorted order. :func:`pair_files` takes a *reference* folder (HR, ground truth)
and an *other* folder (LR inputs or SR outputs) and returns a :class:`Pairing`.

Naming rules (:data:`NAME_RULES`)
---------------------------------
Each file stem gives one or more candidate keys, one per rule that parses it; two files pair when
they share a key. Rules, from the most literal to the loosest:

==================  =============================  ================================================
rule                example stems                  key
==================  =============================  ================================================
``plain``           ``baby``, ``baby_GT``          the stem itself
``role tag``        ``baby_HR``, ``baby_LR``,      the stem without a trailing role tag
                    ``baby_GT``, ``baby_SR``       (:data:`ROLE_TAGS`), after ``_``, ``-`` or ``.``
``RCAN``            ``baby_HR_x2``,                ``NAME_TAG_xK``: NAME, TAG a role or a method
                    ``baby_LRBI_x2``,              name, K the scale
                    ``baby_RCAN_x2``
``SelfExSR``        ``img_001_SRF_2_HR``,          ``NAME_SRF_K[_TAG]``, TAG a role or a method
                    ``img_001_SRF_2_A+``           name (letters, digits, ``+``)
``scale tag``       ``babyx2``, ``0801x4``,        ``NAMExK`` (DIV2K, EDSR, SwinIR)
                    ``baby_x4``
``shared suffix``   ``baby_SwinIR``,               the stem without the suffix that every file of
                    ``bird_SwinIR``                its folder shares (from a ``_``, ``-`` or ``.``);
                                                   a scale token in it is the scale
``pattern``         ``--pattern '{name}_SR_x{scale}'``  the other folder's stems only, and only it
==================  =============================  ================================================

A pair's *rank* is the sum of its two files' rule ranks (table order, ``plain`` = 0); pairs are
made level by level from the lowest rank, so a literal match always wins over a loose one. A file
that could pair with two or more files at the same rank is *ambiguous*: it is listed and not
paired, never paired by guess. A file is never paired with itself.

Roles in one folder
-------------------
A folder that holds both HR-tagged files (``_HR``, ``_GT``) and others (SelfExSR's ``_HR`` /
``_LR`` in one folder, or the same folder given twice) is split by the tags: the reference side
keeps the HR-tagged files, the other side drops them. The other side also drops the files that
carry the *own tag* of the third role (a role's own tag is the role tag spelled as the role:
``HR``, ``LR``, ``SR``; :func:`is_own_tag`) when it has other files: an ``_LR`` file is never an
SR output, an ``_SR`` file never an LR input. A folder whose files all carry one tag keeps them
all (``sr-audit resize`` writes Set5's ``baby_GT.bmp`` as ``baby_GT.png``: an LR file).

Several files for one image
---------------------------
An image's *tagged files* on one side are the files that a tag-carrying name (``role tag``,
``RCAN``, ``SelfExSR``) links to one file of the other side and to no other file: SelfExSR's
``img_001_SRF_2_LR``, ``_bicubic``, ``_nearest``, ``_SRCNN``, ``_A+``, ... beside
``img_001_SRF_2_HR``. One rule (:func:`_one_per_image`) decides between them, before pairing:

* the file with the side's own tag wins (``LR`` over ``bicubic``, ``SR`` over ``SRCNN``, ``HR``
  over ``GT``); the others are set aside, said in :attr:`Pairing.notes` with the ``--pattern``
  that reads them instead (``'{name}_SRF_{scale}_bicubic'``);
* with no such file, several tags on the LR or SR side are a :class:`~sr_audit.errors.DataError`
  that names the tags and gives a ready ``--pattern`` for one of them (a tag of the side's role
  first, such as ``bicubic`` for LR, then a method's name): SelfExSR's folder given as
  ``score --sr`` holds every method's outputs, and which one to score is the user's choice;
* one tagged file is paired as any other (HR beside ``_bicubic`` files only: down-then-up inputs).

A ``--pattern`` reads its side's files with no tags, so this rule does not apply to that side.

Scales
------
A scale read from a name (``x2``, ``SRF_2``) or from a folder name (``X4``, ``x4``, ``LRbicx4``,
``image_SRF_4``) goes with the pair. With ``scale`` given, candidates that name another scale are
dropped (a folder may hold several scales); :attr:`Pairing.scale` is the one scale the names say,
or None when they say none or several.

Where the file names say no scale, the LR or SR folder's name says it with a *scale token*, read in
the folder's name, then its parents' up to :data:`SCALE_NAME_PARENTS` (SwinIR's
``results/swinir_classical_sr_x2``, HAT's ``results/HAT_SRx4/visualization/Set5``, EDSR's
``experiment/edsr_x2/results-Set5``); the nearest name with a token wins, and the note says which.
A token never overrides: a scale of the file names that disagrees with it, or a ``scale`` that
disagrees with the folder's own name, is a one-line :class:`~sr_audit.errors.DataError` naming
both; a ``scale`` that disagrees with a parent's name wins, with a note (a parent such as
``runs/x4_tries/`` is weak evidence, and the user has no other way out). The HR folder's parents are not read (an
HR image has no scale).

Scale tokens
------------
The grammar of :func:`scale_token`, also used for the scale of a shared suffix (``_x4_SR``,
``_HAT_SRx4``). K is one or two digits and at least 2 (``x1`` is not a scale); *separators* are
``_``, ``-`` and ``.``:

* ``xK`` or ``XK`` between separators or the ends of the name, optionally right after one of
  :data:`SCALE_PREFIXES` (``SR``, ``BI``, ``L``, ``M``): ``x2``, ``X4``, ``edsr_x2``,
  ``swinir_classical_sr_x2``, ``Set5_X3``, ``EDSR_Lx2_f256b32``, ``HAT_SRx4_ImageNet-pretrain``,
  ``RCAN_BIX2``;
* ``xK`` right after letters at the end of the name: ``HAT_SRx4``, ``LRbicx4``;
* SelfExSR's ``SRF_K`` between separators: ``image_SRF_4``.

Not tokens: ``x264`` (three digits), ``img_x1`` (scale 1), ``Set14`` and ``f256b32`` (no ``x``),
``0801x4`` (after digits: the file rule ``scale tag`` reads such stems), ``RealESRGAN_x4plus``
(letters after), ``x2_to_x4`` (two scales: none). A name that ends in letters and ``xK`` is read
(``max2`` is x2), which is why a token only fills in a scale and never overrides one.

Folder layouts
--------------
A folder without images directly inside is resolved to one of its subfolders when exactly one
fits the role and scale (:data:`SUBFOLDERS`): BasicSR's ``Set5/GTmod12`` and ``Set5/LRbicx4``,
DIV2K's ``LR_bicubic/X4``, ``HR`` / ``LR`` folders, per-scale ``x2`` / ``x3`` folders; an HR
folder with none of these falls back to per-scale folders (:data:`HR_SCALE_SUBFOLDERS`: SelfExSR's
``Set5/image_SRF_4``, RCAN's ``HR/Set5/x4``). What was resolved is said in :attr:`Pairing.notes`.
Sizes are not checked here: how an HR relates to an LR or SR image (modcrop, full size) is the
caller's business.

One folder of HR images
-----------------------
Commands that take one data folder (``eval``, ``compare``, ``explain``, ``pitfalls``, ``train``)
read it through :func:`hr_files`, with the same rules: the folder is resolved as an HR folder (a
folder per scale, SelfExSR's ``image_SRF_K`` or RCAN's ``xK``, is picked by ``scale``), the role
split keeps SelfExSR's ``_HR`` files and sets the ``_LR``, ``_bicubic``, ... files beside them
aside, and a name that carries a scale (RCAN ``baby_HR_x2``, SelfExSR ``img_001_SRF_2_HR``) is
named by its key (``baby``, ``img_001``), so that an image has one name at every scale. Other
stems are kept as they are (Set5's ``baby_GT`` stays ``baby_GT``). HR files named or filed for a
scale other than ``scale`` are left out (all of them: an error); with no ``scale``, files for
several scales are an error, and so is a folder whose files are all tagged LR or SR.
"""
from __future__ import annotations

import numbers
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sr_audit.errors import DataError, ImageError, SpecError
from sr_audit.image_io import IMAGE_EXTENSIONS, list_images

#: What the second folder of a pairing holds.
OTHER_ROLES: dict[str, str] = {
    "lr": "low-resolution inputs (made from the HR images)",
    "sr": "super-resolved outputs of a model",
}

#: Role tags at the end of a stem (lower case) and the role they mean.
ROLE_TAGS: dict[str, str] = {
    "hr": "hr",
    "gt": "hr",
    "lr": "lr",
    "lrbi": "lr",
    "lrbd": "lr",
    "lrdn": "lr",
    "bicubic": "lr",
    "sr": "sr",
}

_SEP = r"[_\-.]"
_ROLE_ALTERNATIVES = "|".join(sorted(ROLE_TAGS, key=len, reverse=True))


@dataclass(frozen=True)
class NameRule:
    """One naming convention: a full-match regex on the stem with a ``name`` group and optional
    ``scale`` and ``tag`` groups."""

    name: str
    example: str
    regex: re.Pattern[str]


#: The naming rules tried on every stem, in rank order (module docstring); ``shared suffix`` and
#: ``pattern`` depend on the folder and the option and are added by :func:`pair_files`.
NAME_RULES: tuple[NameRule, ...] = (
    NameRule("plain", "baby", re.compile(r"(?P<name>.+)")),
    NameRule("role tag", "baby_HR, baby_GT, baby_LR, baby_SR",
             re.compile(rf"(?P<name>.+?){_SEP}(?P<tag>{_ROLE_ALTERNATIVES})", re.IGNORECASE)),
    NameRule("RCAN", "baby_HR_x2, baby_LRBI_x2, baby_RCAN_x2",
             re.compile(r"(?P<name>.+?)_(?P<tag>[A-Za-z][A-Za-z0-9]*)_[xX](?P<scale>\d+)")),
    NameRule("SelfExSR", "img_001_SRF_2_HR",
             re.compile(r"(?P<name>.+?)_SRF_(?P<scale>\d+)(?:_(?P<tag>[A-Za-z][A-Za-z0-9+]*))?")),
    NameRule("scale tag", "babyx2, 0801x4, baby_x4", re.compile(rf"(?P<name>.+?){_SEP}?[xX](?P<scale>\d+)")),
)

SHARED_SUFFIX = "shared suffix"
PATTERN = "pattern"

#: Rank of each rule (lower is more literal).
RULE_RANKS: dict[str, int] = {**{r.name: i for i, r in enumerate(NAME_RULES)}, SHARED_SUFFIX: len(NAME_RULES), PATTERN: 0}

#: Subfolder names a folder without images is resolved to, by role (``{s}``: the scale).
SUBFOLDERS: dict[str, tuple[str, ...]] = {
    "hr": (r"gtmod\d+", "gt", "hr", "original", "ground_?truth"),
    "lr": (r"lrbicx{s}", r"x{s}", r"lr_?bicubic", r"lr", r"lrbi", r"image_srf_{s}", r"lr_?x{s}"),
    "sr": (r"x{s}", r"sr"),
}

#: Per-scale folders that hold HR images (SelfExSR's ``image_SRF_K`` holds HR and LR files, RCAN
#: files its HR images under ``HR/Set5/xK``), tried for the ``hr`` role only when no folder of
#: :data:`SUBFOLDERS` fits, so that ``HR`` beside ``x4`` still means ``HR``.
HR_SCALE_SUBFOLDERS: tuple[str, ...] = (r"image_srf_{s}", r"x{s}")

#: Folder names that carry a scale.
_FOLDER_SCALE = re.compile(r"(?:lrbicx|lr_?x|x|image_srf_|srf_?)(?P<scale>\d+)", re.IGNORECASE)

#: Letters that may stand right before a scale token inside a name (module docstring, "Scale
#: tokens"): BasicSR's and HAT's run names ``EDSR_Lx2_f256b32``, ``HAT_SRx4_ImageNet-pretrain``,
#: ``RCAN_BIX2``.
SCALE_PREFIXES: tuple[str, ...] = ("SR", "BI", "L", "M")

_NOT_SEP = r"[^_\-.]"
_DIGITS = r"(\d{1,2})"
#: Scale tokens in a folder name or a shared suffix (module docstring, "Scale tokens").
_SCALE_TOKEN = re.compile(
    rf"(?<!{_NOT_SEP})(?:{'|'.join(SCALE_PREFIXES)})?[xX]{_DIGITS}(?!{_NOT_SEP})"  # between separators / ends
    rf"|(?<=[A-Za-z])[xX]{_DIGITS}$"  # right after letters, at the end
    rf"|(?<!{_NOT_SEP})SRF_{_DIGITS}(?!{_NOT_SEP})"  # SelfExSR's SRF_K
)

#: How many parent folders of an LR or SR folder are read for a scale token (``HAT_SRx4`` in
#: ``results/HAT_SRx4/visualization/Set5``).
SCALE_NAME_PARENTS = 2

#: How deep :func:`resolve_folder` descends.
MAX_DEPTH = 3


@dataclass(frozen=True)
class FilePair:
    """A reference file and the other file made from it (or for it).

    Attributes
    ----------
    name : str
        The key both names share.
    reference, other : Path
    scale : int or None
        The scale the names or folders say.
    rule : str
        The looser of the two files' rules (``plain``, ``role tag``, ``RCAN``, ...).
    """

    name: str
    reference: Path
    other: Path
    scale: int | None
    rule: str


@dataclass(frozen=True)
class Pairing:
    """What :func:`pair_files` found (module docstring).

    Attributes
    ----------
    reference_dir, other_dir : Path
        The folders actually read (after resolving layouts).
    other_role : str
        Key of :data:`OTHER_ROLES`.
    pairs : tuple of FilePair
        Sorted by name.
    scale : int or None
        The one scale the names and folders of the pairs say, else None.
    scale_source : str or None
        Where :attr:`scale` came from: ``"the names"`` (of the files, or a scale folder such as
        ``x2``), or ``"the folder name 'NAME'"`` (a scale token, module docstring).
    unmatched : tuple of Path
        Image files of either folder without a partner (files set aside by their role tags are
        counted in ``notes`` instead).
    ambiguous : tuple of str
        One line per file that could pair with several files equally well (not paired).
    notes : tuple of str
        Layouts resolved, files set aside by role or scale.
    """

    reference_dir: Path
    other_dir: Path
    other_role: str
    pairs: tuple[FilePair, ...]
    scale: int | None
    scale_source: str | None = None
    unmatched: tuple[Path, ...] = ()
    ambiguous: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def rules(self) -> dict[str, int]:
        """Rule -> number of pairs it made."""
        counts: dict[str, int] = {}
        for p in self.pairs:
            counts[p.rule] = counts.get(p.rule, 0) + 1
        return counts

    def describe(self) -> str:
        """A few lines for reports: folders, rules, scale, what was left unpaired."""
        rules = ", ".join(f"{rule} ({n})" for rule, n in self.rules().items())
        scale = f"x{self.scale} from {self.scale_source or 'the names'}" if self.scale is not None else "no scale in the names"
        lines = [
            f"pairing: {len(self.pairs)} pairs of HR {self.reference_dir} and {self.other_role.upper()} "
            f"{self.other_dir} by name, rules {rules}; {scale}",
        ]
        lines += [f"  {note}" for note in self.notes]
        if self.ambiguous:
            lines.append(f"  ambiguous (not paired): {'; '.join(self.ambiguous)}")
        if self.unmatched:
            lines.append(f"  without a partner (ignored): {_examples(self.unmatched, 8)}")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Candidate:
    key: str
    rank: int
    rule: str
    scale: int | None
    tag: str | None


def _examples(paths: Sequence[Path], n: int) -> str:
    names = [p.name for p in paths[:n]]
    return ", ".join(names) + (f", ... ({len(paths)} in all)" if len(paths) > n else "")


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The full-match regex of a ``--pattern`` such as ``{name}_SR_x{scale}``.

    ``{name}`` (required, once) matches the shared key, ``{scale}`` (optional) an integer; every
    other character is literal.

    >>> compile_pattern("{name}_SR_x{scale}").fullmatch("baby_SR_x4").groupdict()
    {'name': 'baby', 'scale': '4'}
    """
    if not isinstance(pattern, str) or pattern.count("{name}") != 1:
        raise SpecError(f"--pattern {pattern!r} must contain {{name}} exactly once, e.g. '{{name}}_SR_x{{scale}}'")
    parts = re.split(r"(\{[^{}]*\})", pattern)
    out = []
    for part in parts:
        if part == "{name}":
            out.append("(?P<name>.+?)")
        elif part == "{scale}":
            if "(?P<scale>" in "".join(out):
                raise SpecError(f"--pattern {pattern!r} has {{scale}} twice; use it once")
            out.append(r"(?P<scale>\d+)")
        elif part.startswith("{") and part.endswith("}"):
            raise SpecError(f"--pattern {pattern!r}: unknown placeholder {part}; use {{name}} and {{scale}}")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


def _folder_scale(folder: Path) -> int | None:
    m = _FOLDER_SCALE.fullmatch(folder.name)
    return int(m["scale"]) if m else None


def scale_token(name: str) -> int | None:
    """The scale a folder name or a shared suffix says by a scale token (module docstring, "Scale
    tokens"), or None: no token, scale 0 or 1, or tokens for different scales.

    >>> [scale_token(n) for n in ("swinir_classical_sr_x2", "HAT_SRx4", "EDSR_Lx2_f256b32", "x264", "img_x1", "Set14")]
    [2, 4, 2, None, None, None]
    """
    found = {int(next(g for g in m.groups() if g is not None)) for m in _SCALE_TOKEN.finditer(name)}
    found.discard(0)
    found.discard(1)
    return found.pop() if len(found) == 1 else None


def _named_scale(folder: Path) -> tuple[int, str, bool] | None:
    """(scale, folder name, whether it is a parent's) of the nearest of ``folder`` (an image
    file's folder) and its :data:`SCALE_NAME_PARENTS` parents whose name has a scale token."""
    folder = folder.absolute().parent if folder.is_file() else folder.absolute()
    for depth, f in enumerate([folder, *folder.parents][: SCALE_NAME_PARENTS + 1]):
        s = scale_token(f.name)
        if s is not None:
            return s, f.name, depth > 0
    return None


def _subfolder_matches(name: str, role: str, scale: int | None, templates: Sequence[str] | None = None) -> bool:
    """Whether a subfolder name fits ``role`` (and ``scale``, when given), or one of ``templates``."""
    for template in SUBFOLDERS[role] if templates is None else templates:
        regex = template.replace("{s}", str(scale) if scale is not None else r"\d+")
        if re.fullmatch(regex, name, re.IGNORECASE):
            return True
    return False


def _has_images(folder: Path) -> bool:
    wanted = tuple(f".{e}" for e in IMAGE_EXTENSIONS)
    return any(p.is_file() and p.suffix.lower() in wanted for p in folder.iterdir())


def resolve_folder(path: str | os.PathLike[str], role: str, scale: int | None = None) -> tuple[Path, list[str]]:
    """The folder of ``role`` images that ``path`` names, and notes on what was resolved.

    A folder with images is itself; one without is resolved to the one subfolder that fits
    ``role`` and ``scale`` (:data:`SUBFOLDERS`), down to :data:`MAX_DEPTH` levels.

    Raises
    ------
    ImageError
        ``path`` does not exist, or no subfolder (or several, for different scales) fits.
    """
    folder = Path(path)
    if not folder.exists():
        raise ImageError(f"{folder}: no such file or folder; check the path")
    if folder.is_file():
        return folder, []
    start, notes = folder, []
    for _ in range(MAX_DEPTH):
        if _has_images(folder):
            break
        subs = sorted(p for p in folder.iterdir() if p.is_dir())
        fits = [p for p in subs if _subfolder_matches(p.name, role, scale)]
        if not fits and role == "hr":
            fits = [p for p in subs if _subfolder_matches(p.name, role, scale, HR_SCALE_SUBFOLDERS)]
        if len(fits) > 1:
            raise ImageError(
                f"{folder} holds no images but several {role.upper()} subfolders ({', '.join(p.name for p in fits)}); "
                + ("pass --scale S to pick one" if scale is None else "name the subfolder itself")
            )
        if not fits:
            what = ", ".join(p.name for p in subs[:12]) + (f", ... ({len(subs)} in all)" if len(subs) > 12 else "")
            raise ImageError(
                f"{folder}: folder holds no image files ({', '.join(IMAGE_EXTENSIONS)}) and no {role.upper()} "
                f"subfolder{' for x' + str(scale) if scale is not None else ''} (subfolders: {what or 'none'}); "
                "name the folder of images itself"
            )
        folder = fits[0]
    else:
        list_images(folder)
    if folder != start:
        notes.append(f"{role.upper()} folder {start} -> {folder} (layout)")
    return folder, notes


def _parse(stem: str, rules: Iterable[NameRule]) -> list[_Candidate]:
    out = []
    for rule in rules:
        m = rule.regex.fullmatch(stem)
        if m and m["name"]:
            groups = m.groupdict()
            scale = int(groups["scale"]) if groups.get("scale") else None
            out.append(_Candidate(m["name"], RULE_RANKS[rule.name], rule.name, scale, groups.get("tag")))
    return out


def _shared_suffix(stems: Sequence[str]) -> str:
    """The longest suffix, starting at a separator, that every stem has and none is entirely."""
    if len(stems) < 2:
        return ""
    suffix = os.path.commonprefix([s[::-1] for s in stems])[::-1]
    while suffix:
        cut = re.search(_SEP, suffix)
        if cut is None:
            return ""
        suffix = suffix[cut.start():]
        if all(len(s) > len(suffix) for s in stems):
            return suffix
        suffix = suffix[1:]
    return ""


def _role_of(candidates: Sequence[_Candidate]) -> str | None:
    for c in candidates:
        if c.tag is not None and c.tag.lower() in ROLE_TAGS:
            return ROLE_TAGS[c.tag.lower()]
    return None


def is_own_tag(tag: str | None, role: str) -> bool:
    """Whether ``tag`` is ``role``'s own tag: the role tag spelled as the role (``HR``, ``LR``,
    ``SR``, any case), which wins over the other tags of an image (module docstring)."""
    return tag is not None and tag.lower() == role and ROLE_TAGS.get(role) == role


def _own_role(candidates: Sequence[_Candidate]) -> str | None:
    """The role whose own tag a file carries, if any."""
    return next((c.tag.lower() for c in candidates if c.tag is not None and is_own_tag(c.tag, c.tag.lower())), None)


def _candidates(files: Sequence[Path], role: str, folder_scale: int | None, pattern: re.Pattern[str] | None,
                scale: int | None, notes: list[str]) -> dict[Path, list[_Candidate]]:
    """Candidate keys of every file of one side (``role`` ``hr`` for the reference side), after the
    role split and the scale filter."""
    label = role.upper()
    if pattern is not None:
        parsed = {}
        for f in files:
            m = pattern.fullmatch(f.stem)
            if m:
                s = int(m["scale"]) if m.groupdict().get("scale") else folder_scale
                parsed[f] = [_Candidate(m["name"], RULE_RANKS[PATTERN], PATTERN, s, None)]
    else:
        parsed = {f: _parse(f.stem, NAME_RULES) for f in files}
    roles = {f: _role_of(c) for f, c in parsed.items()}
    dropped: list[Path] = []
    if "hr" in roles.values() and any(r != "hr" for r in roles.values()):
        dropped = [f for f, r in roles.items() if (r == "hr") != (role == "hr")]
    if role != "hr":  # then the files with another role's own tag (an LR file is not an SR output)
        rest = [f for f in parsed if f not in dropped]
        foreign = [f for f in rest if _own_role(parsed[f]) not in (None, role)]
        if len(foreign) < len(rest):
            dropped += foreign
    parsed = {f: c for f, c in parsed.items() if f not in dropped}
    if dropped:
        notes.append(f"{label}: {len(dropped)} files set aside by their role tags ({_examples(sorted(dropped), 3)})")
    if pattern is None:
        stems = [f.stem for f in parsed]
        suffix = _shared_suffix(stems)
        if suffix:
            s = scale_token(suffix)
            for f in parsed:
                parsed[f].append(_Candidate(f.stem[: -len(suffix)], RULE_RANKS[SHARED_SUFFIX], SHARED_SUFFIX, s, None))
    out: dict[Path, list[_Candidate]] = {}
    other_scale = []
    for f, cands in parsed.items():
        cands = [c if c.scale is not None else _Candidate(c.key, c.rank, c.rule, folder_scale, c.tag) for c in cands]
        if scale is not None:
            kept = [c for c in cands if c.scale in (None, scale)]
            if cands and not kept:
                other_scale.append(f)
            cands = kept
        out[f] = cands
    if other_scale:
        notes.append(f"{label}: {len(other_scale)} files named for another scale than x{scale} ({_examples(other_scale, 3)})")
    return out


#: Tag-carrying rules whose stems :func:`_tag_pattern` turns back into a ``--pattern``, preferred first.
_PATTERN_RULES: tuple[str, ...] = ("SelfExSR", "RCAN", "role tag")


def _tag_pattern(stem: str, tag: str) -> str | None:
    """The ``--pattern`` that reads ``stem`` and the files named like it with the same tag
    (``img_001_SRF_2_bicubic`` -> ``{name}_SRF_{scale}_bicubic``), or None."""
    rules = {r.name: r for r in NAME_RULES}
    for name in _PATTERN_RULES:
        m = rules[name].regex.fullmatch(stem)
        if m is None or m["tag"] != tag:
            continue
        spans = sorted((m.span(g), "{" + g + "}") for g in ("name", "scale") if m.groupdict().get(g) is not None)
        out, at = [], 0
        for (start, end), placeholder in spans:
            out += [stem[at:start], placeholder]
            at = end
        out.append(stem[at:])
        literal = "".join(out[i] for i in range(0, len(out), 2))
        if "{" not in literal and "}" not in literal:
            return "".join(out)
    return None


def _by_tag_order(tags: Iterable[str], role: str) -> list[str]:
    """Tags sorted for a hint: those of ``role`` (``bicubic`` for LR), then method names, then the rest."""
    def order(t: str) -> tuple[int, str]:
        r = ROLE_TAGS.get(t.lower())
        return (0 if r == role else 1 if r is None else 2, t.lower())
    return sorted(set(tags), key=order)


def _one_per_image(links: dict[tuple[Path, Path], tuple[int, _Candidate, _Candidate]], ref_role: str,
                   other_role: str, oth_dir: Path, notes: list[str]) -> set[Path]:
    """Files set aside because another file of their image has their side's own tag.

    An image's *tagged files* on one side are the files linked to one file of the other side by a
    tag-carrying name and to nothing else (SelfExSR's ``img_001_SRF_2_LR``, ``_bicubic``,
    ``_SRCNN``, ... for ``img_001_SRF_2_HR``). When there are several, the one with the side's own
    tag (:func:`is_own_tag`) is kept and the others are set aside (a note with the ``--pattern``
    that reads them); with none, several tags on the other side are an error naming them.
    """
    aside: set[Path] = set()
    for side, role in ((1, other_role), (0, ref_role)):
        linked: dict[Path, set[Path]] = {}
        for pair in links:
            linked.setdefault(pair[side], set()).add(pair[1 - side])
        groups: dict[Path, dict[Path, str]] = {}
        for pair, (_, cf, cg) in links.items():
            mine, tag = pair[side], (cf if side == 0 else cg).tag
            if tag is not None and linked[mine] == {pair[1 - side]}:
                groups.setdefault(pair[1 - side], {})[mine] = tag
        set_aside: dict[Path, str] = {}
        for anchor, group in sorted(groups.items()):
            if len(group) < 2:
                continue
            own = [f for f, t in group.items() if is_own_tag(t, role)]
            if len(own) == 1:
                set_aside |= {f: t for f, t in group.items() if f != own[0]}
            elif not own and side == 1 and len({t.lower() for t in group.values()}) > 1:
                tags = _by_tag_order(group.values(), role)
                example = min((f for f, t in group.items() if t == tags[0]), key=lambda f: f.name)
                pattern = _tag_pattern(example.stem, tags[0])
                all_tags = sorted({t for g in groups.values() if len(g) > 1 for t in g.values()}, key=str.lower)
                what = "outputs" if role == "sr" else f"{role.upper()} files"
                raise DataError(
                    f"{role.upper()} {oth_dir}: this folder holds several {what} per image (tags: {', '.join(all_tags[:12])}"
                    + (", ..." if len(all_tags) > 12 else "")
                    + f"; {anchor.name} fits {_examples(sorted(group, key=lambda f: f.name), 3)}); pick one with "
                    + (f"--pattern '{pattern}'" if pattern else "--pattern")
                )
        if set_aside:
            tags = _by_tag_order(set_aside.values(), role)
            shown = sorted(set_aside, key=lambda f: (tags.index(set_aside[f]), f.name))
            pattern = _tag_pattern(shown[0].stem, tags[0])
            notes.append(
                f"{role.upper()}: {len(set_aside)} files set aside, the {role.upper()}-tagged file of each image is "
                f"preferred ({_examples(shown, 3)}; tags {', '.join(sorted(set(tags), key=str.lower))})"
                + (f"; pass --pattern '{pattern}' to audit those" if pattern and side == 1 else "")
            )
            aside |= set(set_aside)
    return aside


def pair_files(
    reference_dir: str | os.PathLike[str],
    other_dir: str | os.PathLike[str],
    *,
    other_role: str = "lr",
    pattern: str | None = None,
    scale: int | None = None,
) -> Pairing:
    """Pair the images of ``reference_dir`` (HR) with those of ``other_dir`` by name.

    Parameters
    ----------
    reference_dir : str or PathLike
        Folder (or layout root, see :func:`resolve_folder`) of the HR / ground-truth images.
    other_dir : str or PathLike
        Folder of the LR or SR images; may be ``reference_dir`` itself for SelfExSR-style folders.
    other_role : {'lr', 'sr'}
        What ``other_dir`` holds.
    pattern : str, optional
        Stem pattern of ``other_dir``'s files, e.g. ``'{name}_SR_x{scale}'`` (:func:`compile_pattern`);
        when given it is the only rule for that side.
    scale : int, optional
        Picks per-scale subfolders and drops files named for another scale.

    Returns
    -------
    Pairing

    Raises
    ------
    DataError
        No file pairs; the message lists what was found and the rules tried.
    ImageError
        A folder is missing or holds no images.
    SpecError
        Bad ``other_role``, ``pattern`` or ``scale``.
    """
    if other_role not in OTHER_ROLES:
        raise SpecError(f"other_role {other_role!r} is not one of: {', '.join(OTHER_ROLES)}")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, int) or scale < 1):
        raise SpecError(f"scale must be a positive integer, got {scale!r}")
    regex = compile_pattern(pattern) if pattern is not None else None
    notes: list[str] = []
    ref_dir, n = resolve_folder(reference_dir, "hr", scale)
    notes += n
    oth_dir, n = resolve_folder(other_dir, other_role, scale)
    notes += n
    ref_files, oth_files = list_images(ref_dir), list_images(oth_dir)
    ref = _candidates(ref_files, "hr", _folder_scale(ref_dir), None, scale, notes)
    oth = _candidates(oth_files, other_role, _folder_scale(oth_dir), regex, scale, notes)

    links: dict[tuple[Path, Path], tuple[int, _Candidate, _Candidate]] = {}
    by_key: dict[str, list[tuple[Path, _Candidate]]] = {}
    for f, cands in ref.items():
        for c in cands:
            by_key.setdefault(c.key, []).append((f, c))
    for g, cands in oth.items():
        for cg in cands:
            for f, cf in by_key.get(cg.key, ()):
                if f == g or (cf.scale is not None and cg.scale is not None and cf.scale != cg.scale):
                    continue
                rank = cf.rank + cg.rank
                if (f, g) not in links or rank < links[(f, g)][0]:
                    links[(f, g)] = (rank, cf, cg)
    aside = _one_per_image(links, "hr", other_role, oth_dir, notes)
    links = {pair: link for pair, link in links.items() if not aside & set(pair)}

    pairs: list[FilePair] = []
    used: set[Path] = set()
    ambiguous: list[str] = []
    for level in sorted({r for r, _, _ in links.values()}):
        at = [(f, g) for (f, g), (r, _, _) in links.items() if r == level and f not in used and g not in used]
        partners: dict[Path, set[Path]] = {}
        for f, g in at:
            partners.setdefault(f, set()).add(g)
            partners.setdefault(g, set()).add(f)
        for f, g in sorted(at):
            if f in used or g in used:
                continue
            if len(partners[f]) == 1 and len(partners[g]) == 1:
                _, cf, cg = links[(f, g)]
                rule = max((cf, cg), key=lambda c: (c.rank, c.rule != "plain")).rule
                pairs.append(FilePair(cg.key, f, g, cg.scale if cg.scale is not None else cf.scale, rule))
                used |= {f, g}
        for file, others in partners.items():
            if file not in used and len(others) > 1:
                ambiguous.append(f"{file.name} fits {', '.join(sorted(o.name for o in others))}")
                used.add(file)
    pairs.sort(key=lambda p: (p.name, str(p.other)))
    names = [p.name for p in pairs]
    if len(set(names)) != len(names):
        pairs = _disambiguate(pairs)
    if not pairs:
        tried = ", ".join(r.name for r in NAME_RULES) + f", {SHARED_SUFFIX}" if regex is None else f"--pattern {pattern!r}"
        raise DataError(
            f"no files paired by name between HR {ref_dir} ({len(ref_files)} images: {_examples(ref_files, 3)}) and "
            f"{other_role.upper()} {oth_dir} ({len(oth_files)} images: {_examples(oth_files, 3)}); rules tried: {tried}"
            + ("" if not ambiguous else f"; ambiguous: {'; '.join(ambiguous[:3])}")
            + "; name the files alike or give the other folder's stems with --pattern '{name}_SR_x{scale}'"
        )
    paired = {p.reference for p in pairs} | {p.other for p in pairs}
    unmatched = tuple(sorted({*ref, *oth} - paired - aside))  # files set aside are in the notes
    pairs, scale_source = _pairing_scale(pairs, scale, oth_dir, other_role, notes)
    scales = {p.scale for p in pairs}
    return Pairing(
        reference_dir=ref_dir,
        other_dir=oth_dir,
        other_role=other_role,
        pairs=tuple(pairs),
        scale=scales.pop() if len(scales) == 1 else None,
        scale_source=scale_source,
        unmatched=unmatched,
        ambiguous=tuple(ambiguous),
        notes=tuple(notes),
    )


def _pairing_scale(pairs: list[FilePair], scale: int | None, oth_dir: Path, other_role: str,
                   notes: list[str]) -> tuple[list[FilePair], str | None]:
    """The pairs with the scale the other folder's name says where the names say none, and where
    the scale came from; a folder name that disagrees with ``scale`` or the names is an error."""
    named = _named_scale(oth_dir)
    scales = {p.scale for p in pairs}
    from_names = scales.pop() if len(scales) == 1 else None
    if named is None:
        return pairs, "the names" if from_names is not None else None
    token, folder, is_parent = named
    label = other_role.upper()
    if scale is not None and token != scale:
        if is_parent:  # a parent's name is weak evidence (a runs/x4_tries/ folder): --scale wins
            notes.append(f"{label}: --scale {scale} used; the parent folder name {folder!r} says x{token}")
            return pairs, "the names" if from_names is not None else None
        raise DataError(f"--scale {scale} but the {label} folder name {folder!r} says x{token}; check --scale and the folder")
    if from_names is not None and from_names != token:
        example = next(p.other.name for p in pairs if p.scale == from_names)
        raise DataError(
            f"the {label} file names say x{from_names} ({example}) but the folder name {folder!r} says x{token}; "
            "check that these are the files you mean"
        )
    if from_names is not None:
        return pairs, "the names"
    if any(p.scale is not None for p in pairs):  # the names say several scales: the folder name decides none
        return pairs, None
    notes.append(f"{label}: scale x{token} from the folder name {folder!r} (the file names say none)")
    return [FilePair(p.name, p.reference, p.other, token, p.rule) for p in pairs], f"the folder name {folder!r}"


def _disambiguate(pairs: list[FilePair]) -> list[FilePair]:
    """Pairs whose keys clash (two stems reduced to one key) named by the other file's stem."""
    counts: dict[str, int] = {}
    for p in pairs:
        counts[p.name] = counts.get(p.name, 0) + 1
    return sorted(
        (p if counts[p.name] == 1 else FilePair(p.other.stem, p.reference, p.other, p.scale, p.rule) for p in pairs),
        key=lambda p: (p.name, str(p.other)),
    )


#: Rules whose key names an HR file (:func:`hr_files`): the names that carry a scale.
HR_NAME_RULES: tuple[str, ...] = ("RCAN", "SelfExSR")


@dataclass(frozen=True)
class HrFiles:
    """What :func:`hr_files` found.

    Attributes
    ----------
    folder : Path
        The folder actually read (after resolving layouts), or the image file given.
    files : tuple of (str, Path)
        Image name and file, sorted by file name.
    set_name : str
        The set's name: the folder given, or its parent for a layout folder (``Set5/GTmod12``,
        ``Set5/x2``, ``Set5/image_SRF_2`` and ``Set5/HR`` are ``Set5``); a file's own name.
    scale : int or None
        The one scale the names or the folder say, else None.
    notes : tuple of str
        Layouts resolved, files set aside by role or scale, names read from scale-carrying stems.
    """

    folder: Path
    files: tuple[tuple[str, Path], ...]
    set_name: str
    scale: int | None
    notes: tuple[str, ...] = ()


def _is_layout_name(name: str) -> bool:
    """Whether a folder name is one of :data:`SUBFOLDERS` (any role, any scale) rather than a set's."""
    return any(_subfolder_matches(name, role, None) for role in SUBFOLDERS) or _folder_scale(Path(name)) is not None


def _set_name(path: Path) -> str:
    if path.is_file():
        return path.name
    folder = path.absolute()
    while _is_layout_name(folder.name) and folder.parent != folder and folder.parent.name:
        folder = folder.parent
    return folder.name


def hr_files(path: str | os.PathLike[str], scale: int | None = None) -> HrFiles:
    """The HR images of one data folder (or image file), and the names they go by.

    The rules are those of pairing (module docstring, "One folder of HR images"): the folder is
    resolved by :func:`resolve_folder` for the ``hr`` role, split by role tags as the reference side
    of a pairing is, and names that carry a scale (:data:`HR_NAME_RULES`) are named by their key.

    Parameters
    ----------
    path : str or PathLike
        A folder of images, a layout root (``Set5`` holding ``GTmod12``, ``HR``, ``x2``, ...,
        ``image_SRF_2``, ...) or one image file.
    scale : int, optional
        Picks a per-scale subfolder and leaves out HR files named or filed for another scale.

    Returns
    -------
    HrFiles

    Raises
    ------
    DataError
        ``path`` is missing, holds no images, several subfolders fit, every file is tagged LR or SR,
        or the HR files are for another scale than ``scale`` (or, without it, for several).
    SpecError
        A ``scale`` that is not a positive integer.
    """
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, numbers.Integral) or scale < 1):
        raise SpecError(f"scale must be a positive integer, got {scale!r}")
    scale = None if scale is None else int(scale)
    given = Path(path)
    try:
        folder, notes = resolve_folder(given, "hr", scale)
        files = list_images(folder)
    except ImageError as exc:
        raise DataError(str(exc)) from None
    folder_scale = _folder_scale(folder) if folder.is_dir() else None
    cands = _candidates(files, "hr", folder_scale, None, None, notes)
    if folder.is_dir() and all(_role_of(c) in ("lr", "sr") for c in cands.values()):
        raise DataError(
            f"{folder}: every image file is tagged LR or SR ({_examples(list(cands), 3)}), none HR; "
            "give the folder of HR images (or rename the files if they are HR images)"
        )
    named: dict[Path, tuple[str, int | None, str | None]] = {}  # file -> (name, scale, rule that named it)
    for f, cs in cands.items():
        by_rule = [c for c in cs if c.rule in HR_NAME_RULES and (c.tag is None or ROLE_TAGS.get(c.tag.lower()) == "hr")]
        named[f] = (by_rule[0].key, by_rule[0].scale, by_rule[0].rule) if by_rule else (f.stem, folder_scale, None)
    scales = sorted({s for _, s, _ in named.values() if s is not None})
    if scale is not None:
        other = [f for f, (_, s, _) in named.items() if s is not None and s != scale]
        if len(other) == len(named):
            raise DataError(
                f"{folder}: the HR files are named or filed for x{', x'.join(map(str, scales))} "
                f"({_examples(other, 3)}), not x{scale}; pass --scale {scales[0]} or the folder of x{scale} HR images"
            )
        if other:
            notes.append(f"HR: {len(other)} files named for another scale than x{scale} ({_examples(other, 3)})")
        named = {f: v for f, v in named.items() if f not in other}
        scales = [scale] if scale in scales else []
    elif len(scales) > 1:
        raise DataError(
            f"{folder} holds HR files for several scales (x{', x'.join(map(str, scales))}: {_examples(list(named), 3)}); "
            "pass --scale S to keep one"
        )
    names = [v[0] for v in named.values()]
    clashing = {n for n in names if names.count(n) > 1}  # two stems, one key: both keep their stems
    out = tuple((f.stem if v[0] in clashing else v[0], f) for f, v in sorted(named.items()))
    renamed = {f: v for f, v in named.items() if v[2] is not None and v[0] not in clashing}
    if renamed:
        rules = ", ".join(sorted({v[2] for v in renamed.values() if v[2]}))
        shown = ", ".join(f"{f.stem} -> {v[0]}" for f, v in list(renamed.items())[:3])
        notes.append(f"HR: {len(renamed)} images named by the key of their {rules} names ({shown}"
                     + (f", ... ({len(renamed)} in all))" if len(renamed) > 3 else ")"))
    if scale is None and scales:
        notes.append(f"HR: the files are named or filed for x{scales[0]} (no scale given to check it against)")
    return HrFiles(folder=folder, files=out, set_name=_set_name(given), scale=scales[0] if len(scales) == 1 else None,
                   notes=tuple(notes))


__all__ = [
    "HR_NAME_RULES",
    "HR_SCALE_SUBFOLDERS",
    "NAME_RULES",
    "OTHER_ROLES",
    "ROLE_TAGS",
    "SCALE_NAME_PARENTS",
    "SCALE_PREFIXES",
    "SUBFOLDERS",
    "FilePair",
    "HrFiles",
    "NameRule",
    "Pairing",
    "compile_pattern",
    "hr_files",
    "is_own_tag",
    "pair_files",
    "resolve_folder",
    "scale_token",
]
