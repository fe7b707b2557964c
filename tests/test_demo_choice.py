"""What ``sr-audit matrix`` runs when no data is named, and per-scale eval layouts in the matrix.

* The choice (:func:`sr_audit.matrix.plan.choose_defaults`): the near-paper configuration when
  T91, Set5 and Set14 are under the data root, else the quick demo; ``--data``, ``--eval-data``
  and ``--recipe`` turn the search off, ``--train``, ``--eval`` and ``--scales`` replace their
  part. Tested on fake data roots of tiny images in ``tmp_path``, with no training.
* The command's first line, through ``main_from_args``, with ``run_matrix`` replaced by a stub that
  keeps the plan and stops: the line and the plan the command built, no training.
* A per-scale eval folder (RCAN's ``HR/Set5/xK``, SelfExSR's ``Set5/image_SRF_K``) in
  ``matrix --eval-data`` and ``train --eval-data``: each scale reads its own folder, and a folder
  for another scale is an error naming ``--scales``. One tiny real matrix run (2 steps per model).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

import sr_audit.cli.matrix_cmd as matrix_cmd
from sr_audit import backends
from sr_audit.backends.selection import select_specs
from sr_audit.cli.main import main_from_args
from sr_audit.errors import DataError, SrAuditError
from sr_audit.image_io import write_image
from sr_audit.matrix import MatrixPlan
from sr_audit.matrix.plan import NEAR_PAPER, QUICK_DEMO, choose_defaults, describe_choice
from sr_audit.matrix.runs import read_runs
from sr_audit.matrix.store import Store
from sr_audit.matrix.work import build_workload

SET5 = ("baby", "bird")


def _images(folder: Path, stems: tuple[str, ...] | list[str], size: int, seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + size)
    for stem in stems:
        write_image(folder / f"{stem}.png", rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
    return folder


def fake_root(root: Path, sets: tuple[str, ...] = ("T91", "Set5", "Set14")) -> Path:
    """A data root holding the named sets, each two tiny images; no weights."""
    for i, name in enumerate(sets):
        _images(root / name, ("a", "b"), 24, seed=i)
    return root


@pytest.fixture(autouse=True)
def _no_env_data_root(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No ``$SR_AUDIT_DATA`` from the environment; training patches cached in a temporary folder."""
    monkeypatch.delenv("SR_AUDIT_DATA", raising=False)
    monkeypatch.setenv("SR_AUDIT_CACHE", str(tmp_path_factory.mktemp("patch-cache")))


def _expected_train() -> tuple:
    every = select_specs("all").specs
    return tuple(s for name in NEAR_PAPER.train_backends for s in every if s.backend == name)


# --------------------------------------------------------------------------------------------
# The choice, at the plan level


def test_standard_sets_found_choose_the_near_paper_configuration(tmp_path: Path) -> None:
    root = fake_root(tmp_path / "data")
    choice = choose_defaults(data_root=str(root))
    assert choice.config is NEAR_PAPER and choice.searched and choice.reason == f"standard sets found at {root}"
    plan = MatrixPlan.from_options(data_root=str(root), defaults=choice.config)
    assert (plan.recipe.name, plan.train_data, plan.eval_data, plan.scales) == ("sprint", "T91", ("Set5", "Set14"), (3,))
    assert plan.train_specs == _expected_train() and backends.resolve("matlab") in plan.train_specs
    assert plan.eval_specs == select_specs("all").specs  # every eval backend
    assert NEAR_PAPER.standard_sets == ("T91", "Set5", "Set14")


def test_the_train_backends_left_out_have_the_kernel_of_one_kept() -> None:
    """NEAR_PAPER trains on five of the seven backends; each one left out has the kernel, Keys
    coefficient and antialiasing of a kept one (its model scored within 0.04 dB of that one's in the
    full run), and the command's first line names it."""
    def kernel(spec) -> tuple:
        c = backends.get_backend(spec.backend).conventions(spec)
        return c.kernel, c.cubic_a, c.antialias

    every = select_specs("all").specs
    by_name = {s.backend: s for s in every}
    left = sorted(set(by_name) - set(NEAR_PAPER.train_backends))
    assert left == ["matlab-legacy", "torch"]
    assert kernel(by_name["matlab-legacy"]) == kernel(by_name["matlab"]) == ("bicubic", -0.5, True)
    assert kernel(by_name["torch"]) == kernel(by_name["cv2"]) == ("bicubic", -0.75, False)
    assert all(name in NEAR_PAPER.train_why for name in left)


def test_folder_names_are_found_in_any_case_and_through_the_environment(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "data"
    for i, name in enumerate(("t91", "SET5", "set14")):
        _images(root / name, ("a",), 24, seed=i)
    monkeypatch.setenv("SR_AUDIT_DATA", str(root))
    assert choose_defaults().config is NEAR_PAPER


def test_missing_sets_choose_the_quick_demo_and_say_where_they_were_looked_for(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    root = fake_root(tmp_path / "partial", ("T91", "Set5"))
    choice = choose_defaults(data_root=str(root))
    assert choice.config is QUICK_DEMO and choice.searched
    assert choice.reason == f"no standard sets under the data root (Set14 not in {root}, data root from --data-root)"
    plan = MatrixPlan.from_options(data_root=str(root), defaults=choice.config)
    assert plan == MatrixPlan.from_options(data_root=str(root))  # the quick demo as before the choice
    assert (plan.recipe.name, plan.train_data, plan.eval_data, plan.scales) == ("quick", "embedded-train",
                                                                              ("embedded-eval",), (3,))
    assert plan.train_specs == select_specs("all").specs
    monkeypatch.chdir(tmp_path)  # no ../shared/datasets from here
    nowhere = choose_defaults()
    assert nowhere.config is QUICK_DEMO and nowhere.reason.startswith("no standard sets under the data root (no --data-root")


def test_explicit_data_or_recipe_turn_the_search_off(tmp_path: Path) -> None:
    root = str(fake_root(tmp_path / "data"))
    for options in ({"data": "embedded-train"}, {"eval_data": "Set5"}, {"recipe": "fast"}):
        choice = choose_defaults(data_root=root, **options)
        assert choice.config is QUICK_DEMO and not choice.searched, options
        assert choice.reason == f"--{next(iter(options)).replace('_', '-')} given"
        assert describe_choice(choice, MatrixPlan.from_options(data_root=root, **options)) == ""
    quick = MatrixPlan.from_options(data="embedded-train", data_root=root)
    assert (quick.recipe.name, quick.eval_data, quick.train_specs) == ("quick", ("embedded-eval",), select_specs("all").specs)
    assert MatrixPlan.from_options(recipe="fast", data_root=root).train_data == "embedded-train"
    assert MatrixPlan.from_options(eval_data="Set5", data_root=root).eval_data == ("Set5",)


def test_train_eval_and_scales_replace_their_part_of_the_chosen_configuration(tmp_path: Path) -> None:
    root = str(fake_root(tmp_path / "data"))
    options = {"train": "pil", "eval": "pil,cv2", "scales": "2,4"}
    choice = choose_defaults(data_root=root, **options)
    assert choice.config is NEAR_PAPER and choice.given == ("--train", "--eval", "--scales")
    plan = MatrixPlan.from_options(data_root=root, defaults=choice.config, **options)
    assert plan.train_specs == (backends.resolve("pil"),) and plan.eval_specs == (backends.resolve("pil"), backends.resolve("cv2"))
    assert (plan.recipe.name, plan.train_data, plan.scales) == ("sprint", "T91", (2, 4))
    line = describe_choice(choice, plan)
    assert "x2, x4, 1 train x 2 eval backends;" in line and NEAR_PAPER.train_why not in line
    everything = MatrixPlan.from_options(train="all", data_root=root, defaults=NEAR_PAPER)
    assert everything.train_specs == select_specs("all").specs


def test_an_unavailable_backend_of_the_configuration_is_skipped_not_an_error(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from sr_audit.backends.base import Backend

    original = Backend.unavailable_reason
    monkeypatch.setattr(Backend, "unavailable_reason",
                        lambda self: "TensorFlow is not installed" if self.name == "tf" else original(self))
    plan = MatrixPlan.from_options(data_root=str(fake_root(tmp_path / "data")), defaults=NEAR_PAPER)
    assert "tf" not in [s.backend for s in plan.train_specs] and "matlab" in [s.backend for s in plan.train_specs]
    assert [s.name for s in plan.skipped] == ["tf"]


# --------------------------------------------------------------------------------------------
# The command's first line (no training: run_matrix is a stub that keeps the plan and stops)


class _Stop(SrAuditError):
    pass


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[MatrixPlan]:
    plans: list[MatrixPlan] = []

    def stub(plan: MatrixPlan, out, **kwargs):
        plans.append(plan)
        raise _Stop("stub: no run")

    monkeypatch.setattr(matrix_cmd, "run_matrix", stub)
    return plans


def _first_line(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main_from_args(["matrix", *args, "--no-progress"]) == 2  # the stub's stop
    out, err = capsys.readouterr()
    assert "stub: no run" in err
    return out.splitlines()[0] if out else ""


def test_command_says_it_runs_the_near_paper_configuration(tmp_path: Path, planned: list[MatrixPlan],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = fake_root(tmp_path / "data")
    line = _first_line(["--data-root", str(root), "--out", str(tmp_path / "s")], capsys)
    rows = ", ".join(s.backend for s in _expected_train())
    assert line == (f"standard sets found at {root}: running the near-paper configuration: recipe sprint, "
                    f"T91 -> Set5, Set14, x3, {len(_expected_train())} train x {len(select_specs('all').specs)} eval "
                    f"backends (train: {rows}; {NEAR_PAPER.train_why}); pass --data embedded-train for the quick demo")
    [plan] = planned
    assert (plan.recipe.name, plan.train_data, plan.data_root) == ("sprint", "T91", str(root.absolute()))


def test_command_says_it_runs_the_quick_demo(tmp_path: Path, planned: list[MatrixPlan],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    line = _first_line(["--data-root", str(empty), "--out", str(tmp_path / "s")], capsys)
    n = len(select_specs("all").specs)
    assert line == (f"no standard sets under the data root (T91, Set5, Set14 not in {empty}, data root from --data-root): "
                    f"running the quick demo on embedded photos: recipe quick, embedded-train -> embedded-eval, x3, "
                    f"{n} train x {n} eval backends; pass --data-root DIR holding T91, Set5, Set14 for the near-paper "
                    "configuration")
    assert planned[0].recipe.name == "quick"


def test_command_with_explicit_data_prints_no_choice(tmp_path: Path, planned: list[MatrixPlan],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    root = fake_root(tmp_path / "data")
    assert _first_line(["--data", "embedded-train", "--data-root", str(root), "--out", str(tmp_path / "s")], capsys) == ""
    assert (planned[0].recipe.name, planned[0].eval_data) == ("quick", ("embedded-eval",))
    _first_line(["--recipe", "fast", "--train", "pil", "--data-root", str(root), "--out", str(tmp_path / "s")], capsys)
    assert (planned[1].recipe.name, planned[1].train_data) == ("fast", "embedded-train")


# --------------------------------------------------------------------------------------------
# Per-scale eval layouts


def rcan_set5(root: Path, scales: tuple[int, ...] = (2, 3)) -> Path:
    """RCAN's ``HR/Set5/xK/NAME_HR_xK.png`` (48x48 images, different per scale)."""
    set5 = root / "HR" / "Set5"
    for s in scales:
        _images(set5 / f"x{s}", [f"{n}_HR_x{s}" for n in SET5], 48, seed=s)
    return set5


def selfexsr_set5(root: Path, scales: tuple[int, ...] = (2, 3)) -> Path:
    """SelfExSR's ``Set5/image_SRF_K/img_00I_SRF_K_{HR,LR}.png``."""
    set5 = root / "Set5"
    for s in scales:
        _images(set5 / f"image_SRF_{s}", [f"img_00{i}_SRF_{s}_HR" for i in (1, 2)], 48, seed=s)
        _images(set5 / f"image_SRF_{s}", [f"img_00{i}_SRF_{s}_LR" for i in (1, 2)], 48 // s, seed=s)
    return set5


@pytest.fixture
def train_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "train"
    folder.mkdir()
    for name, y, x in (("astronaut", 80, 160), ("coffee", 100, 250)):
        Image.fromarray(getattr(skimage.data, name)()[y:y + 80, x:x + 80]).save(folder / f"{name}.png")
    return folder


def _plan(train: Path, eval_data: Path, scales: tuple[int, ...], root: Path) -> MatrixPlan:
    return MatrixPlan(train_specs=("pil",), eval_specs=("pil",), scales=scales, train_data=str(train),
                      eval_data=(str(eval_data),), data_root=str(root), device="cpu", crop_size=16, crop_images=1)


@pytest.mark.parametrize("layout", [rcan_set5, selfexsr_set5])
def test_each_scale_reads_its_own_per_scale_folder(layout, train_folder: Path, tmp_path: Path) -> None:
    set5 = layout(tmp_path / layout.__name__)
    workload = build_workload(_plan(train_folder, set5, (2, 3), tmp_path), Store(tmp_path / "store", create=True))
    x2, x3 = workload.eval_set("Set5", 2), workload.eval_set("Set5", 3)
    assert Path(x2.source).name in ("x2", "image_SRF_2") and Path(x3.source).name in ("x3", "image_SRF_3")
    assert [r.name for r in x2] == [r.name for r in x3] and x2.images[0].sha256 != x3.images[0].sha256
    assert workload.train_set(2) is workload.train_set(3)  # a plain folder is kept once
    cells = {t.inputs["scale"]: t.inputs["data"] for j in workload.jobs for t in j.cells}
    assert cells[2] == {r.name: r.sha256 for r in x2} and cells[3] == {r.name: r.sha256 for r in x3}


def test_a_folder_for_another_scale_names_the_matrix_option(train_folder: Path, tmp_path: Path) -> None:
    x2 = rcan_set5(tmp_path, (2,)) / "x2"
    with pytest.raises(DataError, match=r"not x3; pass --scales 2 or the folder of x3 HR images") as caught:
        build_workload(_plan(train_folder, x2, (3,), tmp_path), Store(tmp_path / "store", create=True))
    assert "--scale " not in str(caught.value)


def test_matrix_and_train_commands_run_on_a_per_scale_eval_folder(train_folder: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    set5 = rcan_set5(tmp_path)
    store = tmp_path / "store"
    code = main_from_args(["matrix", "--train", "pil", "--eval", "pil", "--scales", "2,3", "--data", str(train_folder),
                           "--eval-data", str(set5), "--data-root", str(tmp_path), "--steps", "2", "--crop-size", "16",
                           "--no-progress", "--no-report", "--out", str(store)])
    out, err = capsys.readouterr()
    assert code == 0, err
    records = Store(store).cell_records()
    assert sorted((r.scale, r.kind) for r in records) == [(2, "bicubic"), (2, "trained"), (3, "bicubic"), (3, "trained")]
    assert len({canonical(r.data) for r in records}) == 2  # each scale its own images
    (run,) = read_runs(store)  # the command recorded its run: options named everything, so no choice line
    assert run.command.startswith("sr-audit matrix --train pil --eval pil --scales 2,3 --data ") and run.configuration == ""
    assert (run.cells_total, run.cells_computed, run.models_trained) == (4, 4, 2)
    code = main_from_args(["train", "--backend", "pil", "--scale", "3", "--data", str(train_folder), "--eval-data",
                           str(set5), "--data-root", str(tmp_path), "--steps", "2", "--no-progress",
                           "--out", str(tmp_path / "run")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Set5" in out and "x3" in err  # the eval set read from the x3 folder, said in a note


def canonical(data: dict) -> tuple:
    return tuple(sorted(data.items()))
