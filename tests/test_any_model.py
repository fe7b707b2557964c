"""Any model in eval: TorchScript, SRCNN state_dicts, factories with LR input; their errors."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
from factory_models import near_identity_srcnn

from sr_audit.cli.main import main_from_args
from sr_audit.datasets import load_dataset
from sr_audit.degradation import Degradation
from sr_audit.errors import DataError, ImageError, SpecError
from sr_audit.evaluation import Preparation, evaluate, prepare, score_prepared
from sr_audit.image_io import write_image
from sr_audit.model import SRCNN, SRCNNConfig
from sr_audit.model_source import ModelSource, resolve_model
from sr_audit.protocol import PROTOCOLS
from sr_audit.weights import save_model

SCALE = 3
FACTORIES = Path(__file__).parent / "factory_models.py"
DEG = Degradation.parse("pil", scale=SCALE)
PROTOCOL = PROTOCOLS["matlab"]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("any-model-data")
    write_image(folder / "cat.png", np.ascontiguousarray(skimage.data.chelsea()[90:150, 140:206]))  # 60x66 colour
    write_image(folder / "camera.png", np.ascontiguousarray(skimage.data.camera()[50:110, 180:240]))  # 60x60 gray
    return folder


@pytest.fixture(scope="module")
def srcnn() -> SRCNN:
    return near_identity_srcnn(SRCNNConfig(f1=5, f2=1, f3=3, n1=8, n2=4, padding="same-zero"))


def _scores(model: torch.nn.Module | None, data: Path, preparation: Preparation | Degradation = DEG) -> list[tuple]:
    ev = evaluate(model, load_dataset(str(data)), preparation, PROTOCOL)
    return [tuple(r.scores.as_dict().values()) for r in ev.images]


def test_torchscript_srcnn_scores_like_the_native_model(srcnn: SRCNN, data: Path, tmp_path: Path) -> None:
    path = tmp_path / "srcnn_traced.pt"
    traced = torch.jit.trace(srcnn, torch.rand(1, 1, 24, 24))
    torch.jit.save(traced, str(path))
    resolved = resolve_model(str(path))
    assert resolved.kind == "torchscript" and resolved.srcnn is None and resolved.label == "srcnn_traced.pt"
    assert resolved.identity == {"srcnn_traced.pt": hashlib.sha256(path.read_bytes()).hexdigest()}
    native, scripted = _scores(srcnn, data), _scores(resolved.module, data)
    # whole-image F.conv2d against the tiled oneDNN path: equal to float32 rounding of the outputs
    assert np.allclose(native, scripted, rtol=0, atol=1e-4)
    assert native != _scores(None, data), "the model changes the scores"


def test_state_dict_srcnn_equals_the_native_model(srcnn: SRCNN, data: Path, tmp_path: Path) -> None:
    path = tmp_path / "srcnn_x3.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in srcnn.state_dict().items()}, "epoch": 3}, path)
    resolved = resolve_model(str(path))
    assert resolved.kind == "state-dict" and resolved.srcnn is not None
    assert resolved.srcnn.config == srcnn.config, "filter sizes, maps, channels from the shapes; same-zero assumed"
    assert any("assumed same-zero" in n for n in resolved.notes)
    assert _scores(resolved.module, data) == _scores(srcnn, data)
    replicate = resolve_model(ModelSource(str(path), padding="same-replicate"))
    assert replicate.srcnn.config.padding == "same-replicate" and not replicate.notes
    torch.save({"model": srcnn.state_dict()}, tmp_path / "plain.pt")
    assert resolve_model(str(tmp_path / "plain.pt")).srcnn.config == srcnn.config


def test_pixel_shuffle_factory_takes_the_lr_image(data: Path) -> None:
    source = ModelSource(f"{FACTORIES}:make_pixel_shuffle", input="lr")
    resolved = resolve_model(source)
    assert resolved.kind == "factory" and resolved.identity["factory"] == source.spec
    assert len(resolved.identity["module_sha256"]) == 64
    how = Preparation(DEG, model_input="lr")
    got = _scores(resolved.module, data, how)
    expected = []
    for record in load_dataset(str(data)):  # nearest-neighbour x3 of the LR image, scored by hand
        p = prepare(record.image, how)
        nearest = np.kron(p.input, np.ones((SCALE, SCALE)))
        expected.append(tuple(score_prepared(p, nearest, PROTOCOL).as_dict().values()))
    assert np.allclose(got, expected, rtol=0, atol=1e-9)
    assert got != _scores(None, data), "nearest is not the bicubic baseline"


def test_cli_eval_any_model(data: Path, srcnn: SRCNN, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["eval", "--data", str(data), "--scale", "3", "--backend", "pil", "--json"]
    assert main_from_args([*argv, "--model", f"{FACTORIES}:make_pixel_shuffle", "--input", "lr"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert "factory, input lr" in record["model"]
    path = tmp_path / "srcnn.pth"
    torch.save(srcnn.state_dict(), path)
    assert main_from_args([*argv, "--weights", str(path)]) == 0
    captured = capsys.readouterr()
    assert "assumed same-zero" in captured.err and "SRCNN 5-1-3, same-zero" in json.loads(captured.out)["model"]
    from_state = json.loads(captured.out)["mean"]
    traced = tmp_path / "srcnn_traced.pt"
    torch.jit.save(torch.jit.trace(srcnn, torch.rand(1, 1, 24, 24)), str(traced))
    assert main_from_args([*argv, "--model", str(traced)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert "torchscript, input upsampled" in record["model"]
    assert record["mean"]["psnr_y"] == pytest.approx(from_state["psnr_y"], abs=1e-4)


def test_help_states_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main_from_args(["eval", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "N x C x H x W tensor in [0, 1]" in text and "--input" in text and "--weights" in text


def test_wrong_output_shape_is_one_line(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = resolve_model(ModelSource(f"{FACTORIES}:make_wrong_shape", input="lr")).module
    with pytest.raises(ImageError, match=r"returned \(1, 1, 20, 20\) for a \(1, 1, 20, 20\) input; expected \(1, 1, 60, 60\)"):
        evaluate(model, load_dataset(str(data)), Preparation(DEG, model_input="lr"), PROTOCOL)
    argv = ["eval", "--data", str(data), "--backend", "pil", "--model", f"{FACTORIES}:make_wrong_shape", "--input", "lr"]
    assert main_from_args(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "expected (1, 1, 60, 60)" in err and "contract" in err


def test_corrupt_and_unknown_files_are_one_line(tmp_path: Path, srcnn: SRCNN, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "junk.pt").write_bytes(b"\x80\x02junk")
    with pytest.raises(DataError, match="junk.pt: not a TorchScript file, an sr-audit checkpoint or a state_dict torch can read"):
        resolve_model(str(tmp_path / "junk.pt"))
    traced = tmp_path / "traced.pt"
    torch.jit.save(torch.jit.trace(srcnn, torch.rand(1, 1, 24, 24)), str(traced))
    (tmp_path / "cut.pt").write_bytes(traced.read_bytes()[:-200])  # a truncated download
    for name in ("junk.pt", "cut.pt"):
        assert main_from_args(["eval", "--model", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and name in err, err
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(DataError, match=r"neither an sr-audit checkpoint nor an SRCNN state_dict .*found \['weights'\]"):
        resolve_model(str(tmp_path / "other.pt"))
    bad = dict(srcnn.state_dict())
    bad["conv3.weight"] = torch.zeros(1, 5, 3, 3)
    torch.save(bad, tmp_path / "bad.pt")
    with pytest.raises(DataError, match="are not the layers of an SRCNN"):
        resolve_model(str(tmp_path / "bad.pt"))
    with pytest.raises(DataError, match="no such file, and not 'bicubic' or package.module:factory"):
        resolve_model(str(tmp_path / "missing.pt"))


def test_factory_errors_and_option_checks(tmp_path: Path, srcnn: SRCNN) -> None:
    with pytest.raises(DataError, match="cannot import no_such_package_xyz"):
        resolve_model("no_such_package_xyz.models:build")
    with pytest.raises(DataError, match="has no callable 'nope'"):
        resolve_model(f"{FACTORIES}:nope")
    with pytest.raises(SpecError, match=r"make_not_a_module\(\) returned dict, not a torch.nn.Module"):
        resolve_model(f"{FACTORIES}:make_not_a_module")
    with pytest.raises(SpecError, match="model input 'hr' is not one of: upsampled, lr"):
        ModelSource("bicubic", input="hr")
    path = tmp_path / "ckpt.pt"
    save_model(path, srcnn, {"degradation": {"scale": 2}})
    with pytest.raises(SpecError, match="--padding applies to a state_dict SRCNN"):
        resolve_model(ModelSource(str(path), padding="valid"))
    with pytest.raises(SpecError, match="is an SRCNN, which takes the upsampled image"):
        resolve_model(ModelSource(str(path), input="lr"))
    resolved = resolve_model(str(path))
    assert resolved.kind == "sr-audit" and resolved.trained_scale == 2
    assert "trained for x2 and is evaluated at x3" in resolved.scale_warning(3) and resolved.scale_warning(2) is None
    assert resolve_model("Bicubic").module is None


def test_matrix_with_a_pretrained_row(data: Path, tmp_path: Path) -> None:
    """A pretrained LR-input model is a row of the matrix: evaluated on every eval spec, never
    trained, scored as evaluate() scores it, and found again by its key on a rerun."""
    from sr_audit.matrix import MatrixPlan, run_matrix
    from sr_audit.recipes import Budget, Recipe
    from sr_audit.matrix.store import Store
    from sr_audit.report import summary_tables, write_report

    recipe = Recipe(name="tiny", description="test", optimizer="adam", lr=(1e-3, 1e-3, 1e-4), loss="mse", init="he",
                    batch_size=8, budget=Budget("steps", 2))
    source = ModelSource(f"{FACTORIES}:make_pixel_shuffle", input="lr")
    plan = MatrixPlan(train_specs=("pil",), eval_specs=("pil", "matlab"), recipe=recipe, train_data=str(data),  # type: ignore[arg-type]
                      eval_data=(str(data),), data_root=str(tmp_path), device="cpu", crop_size=16, crop_images=1,
                      external=(source,))
    result = run_matrix(plan, tmp_path / "store", progress=False)
    table = summary_tables(Store(result.store), result.cell_keys)[0].table
    row = "factory_models.py:make_pixel_shuffle"
    assert row in table.index and set(table.columns) == {str(s) for s in plan.eval_specs}
    module = resolve_model(source).module
    for spec in plan.eval_specs:
        ev = evaluate(module, load_dataset(str(data)), Preparation(Degradation(spec, spec, SCALE), model_input="lr"), PROTOCOL)
        assert table.loc[row, str(spec)] == pytest.approx(ev.mean.psnr_y, abs=1e-12)
    store = Store(tmp_path / "store")
    external = [m for m in store.model_records() if m.kind == "external"]
    assert len(external) == 1 and external[0].model == row and external[0].data == {
        "factory": source.spec, "module_sha256": hashlib.sha256(FACTORIES.read_bytes()).hexdigest()}
    cells = [c for c in store.cell_records() if c.kind == "external"]
    assert len(cells) == 2 and all(c.model_key == external[0].key for c in cells)
    again = run_matrix(plan, tmp_path / "store", progress=False)
    assert again.computed == 0 and again.trained == 0
    assert f"| {row} |" in write_report(store).markdown.read_text(), "a row of the report"
    with pytest.raises(SpecError, match="never 'bicubic'"):
        dataclasses.replace(plan, external=(ModelSource("bicubic"),))


def test_matrix_model_option_splits_architecture_and_pretrained() -> None:
    from sr_audit.cli.matrix_cmd import split_models

    assert split_models(None) == (None, ())
    assert split_models(["9-1-5", "a.pt", "pkg.mod:make"]) == ("9-1-5", ("a.pt", "pkg.mod:make"))
    with pytest.raises(SpecError, match="at most once"):
        split_models(["9-1-5", "9-5-5"])
