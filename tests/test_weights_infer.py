"""Weights (.mat layout, checkpoints), device names, and tiled inference."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch

from sr_audit.device import resolve_device
from sr_audit.errors import DataError, ImageError, SpecError
from sr_audit.infer import auto_tile, bytes_per_pixel, halo, infer
from sr_audit.model import PADDINGS, SRCNN, SRCNNConfig
from sr_audit.model_source import resolve_model
from sr_audit.weights import load_authors_mat, load_model, save_model


# ---------------------------------------------------------------- direct float64 reference of SRCNN.m
def imfilter_same_replicate(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """MATLAB ``imfilter(x, k, 'same', 'replicate')``: correlation, centre at (f - 1) / 2, edge padding."""
    p = k.shape[0] // 2
    xp = np.pad(x, p, mode="edge")
    out = np.zeros_like(x)
    for r in range(k.shape[0]):
        for c in range(k.shape[1]):
            out += k[r, c] * xp[r : r + x.shape[0], c : c + x.shape[1]]
    return out


def authors_srcnn(mat: dict, im: np.ndarray) -> np.ndarray:
    """The loops of the authors' ``SRCNN.m`` in float64, filters taken as MATLAB ``reshape(w, f, f)``."""
    w1, w2, w3 = mat["weights_conv1"], mat["weights_conv2"], mat["weights_conv3"]
    b1, b2, b3 = (mat[k].ravel() for k in ("biases_conv1", "biases_conv2", "biases_conv3"))
    f1, f2, f3 = (math.isqrt(n) for n in (w1.shape[0], w2.shape[1], w3.shape[1]))
    mf = lambda v, f: np.reshape(v, (f, f), order="F")  # noqa: E731  MATLAB reshape is column-major
    conv1 = [np.maximum(imfilter_same_replicate(im, mf(w1[:, i], f1)) + b1[i], 0) for i in range(w1.shape[1])]
    conv2 = []
    for i in range(w2.shape[2]):
        acc = sum(imfilter_same_replicate(conv1[j], mf(w2[j, :, i], f2)) for j in range(w2.shape[0]))
        conv2.append(np.maximum(acc + b2[i], 0))
    return sum(imfilter_same_replicate(conv2[i], mf(w3[i, :], f3)) for i in range(w3.shape[0])) + b3[0]


def torch_forward(model: SRCNN, im: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(im)[None, None])[0, 0].numpy()


def random_mat(path: Path, f=(5, 3, 3), n1=4, n2=3, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    mat = {
        "weights_conv1": rng.normal(size=(f[0] ** 2, n1)),
        "biases_conv1": rng.normal(size=(n1, 1)),
        "weights_conv2": rng.normal(size=(n1, f[1] ** 2, n2)),
        "biases_conv2": rng.normal(size=(n2, 1)),
        "weights_conv3": rng.normal(size=(n2, f[2] ** 2)),
        "biases_conv3": rng.normal(size=(1, 1)),
    }
    scipy.io.savemat(path, mat)
    return mat


def test_mat_layout_matches_direct_imfilter_implementation(tmp_path: Path):
    mat = random_mat(tmp_path / "w.mat")
    model = load_authors_mat(tmp_path / "w.mat")
    c = model.config
    assert (c.f1, c.f2, c.f3, c.n1, c.n2, c.channels, c.padding) == (5, 3, 3, 4, 3, 1, "same-replicate")
    assert model.conv1.weight.dtype == torch.float64
    im = np.random.default_rng(1).random((13, 11))
    np.testing.assert_allclose(torch_forward(model, im), authors_srcnn(mat, im), rtol=0, atol=1e-12)


def test_delta_filter_shifts_like_matlab(tmp_path: Path):
    """A single 1 at MATLAB linear index r + c*f (0-based) of a 3x3 filter reads in(y + r - 1, x + c - 1)."""
    f = 3
    w1 = np.zeros((f * f, 1))
    w1[2 + 1 * f, 0] = 1.0  # row 2, column 1: the pixel below
    mat = {
        "weights_conv1": w1, "biases_conv1": np.zeros((1, 1)),
        "weights_conv2": np.ones((1, 1, 1)), "biases_conv2": np.zeros((1, 1)),
        "weights_conv3": np.eye(1, f * f, f * f // 2), "biases_conv3": np.zeros((1, 1)),
    }
    scipy.io.savemat(tmp_path / "delta.mat", mat)
    model = load_authors_mat(tmp_path / "delta.mat")
    im = np.arange(20.0).reshape(4, 5)
    expected = np.vstack([im[1:], im[-1:]])  # out(y, x) = in(y + 1, x), bottom row replicated
    np.testing.assert_array_equal(torch_forward(model, im), expected)


def test_authors_weights_match_direct_implementation(shared_datasets: Path):
    path = shared_datasets / "srcnn_official_weights" / "9-5-5_ImageNet" / "x3.mat"
    mat = scipy.io.loadmat(path)
    model = load_authors_mat(path)
    assert model.config.name == "9-5-5" and model.config.n1 == 64 and model.config.n2 == 32
    im = np.random.default_rng(2).random((14, 12))
    np.testing.assert_allclose(torch_forward(model, im), authors_srcnn(mat, im), rtol=0, atol=1e-12)


def test_malformed_mat_files(tmp_path: Path):
    mat = random_mat(tmp_path / "ok.mat")
    bad = dict(mat)
    del bad["biases_conv2"]
    scipy.io.savemat(tmp_path / "missing.mat", bad)
    with pytest.raises(DataError, match="missing biases_conv2"):
        load_authors_mat(tmp_path / "missing.mat")
    scipy.io.savemat(tmp_path / "shape.mat", dict(mat, weights_conv3=np.zeros((5, 9))))
    with pytest.raises(DataError, match=r"weights_conv3 has shape \(5, 9\), expected \(3, 9\)"):
        load_authors_mat(tmp_path / "shape.mat")
    scipy.io.savemat(tmp_path / "even.mat", dict(mat, weights_conv1=np.zeros((16, 4))))
    with pytest.raises(DataError, match="square of an odd size"):
        load_authors_mat(tmp_path / "even.mat")
    (tmp_path / "junk.mat").write_text("junk")
    with pytest.raises(DataError, match="not a MATLAB .mat file"):
        load_authors_mat(tmp_path / "junk.mat")
    with pytest.raises(DataError, match="no such weights file"):
        load_authors_mat(tmp_path / "nope.mat")


def test_checkpoint_round_trip(tmp_path: Path):
    torch.manual_seed(0)
    model = SRCNN(SRCNNConfig(9, 5, 5, channels=3, padding="same-zero"))
    save_model(tmp_path / "m.pt", model, {"train": "pil", "epochs": 3, "psnr": [30.5, math.inf]})
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # no temporary file left
    loaded, meta = load_model(tmp_path / "m.pt")
    assert loaded.config == model.config and meta == {"train": "pil", "epochs": 3, "psnr": [30.5, math.inf]}
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)
    assert not loaded.training
    double = load_authors_mat_like(tmp_path)
    save_model(tmp_path / "d.pth", double)
    assert resolve_model(str(tmp_path / "d.pth")).srcnn.conv1.weight.dtype == torch.float64


def load_authors_mat_like(tmp_path: Path) -> SRCNN:
    random_mat(tmp_path / "w.mat")
    return load_authors_mat(tmp_path / "w.mat")


def test_checkpoint_errors(tmp_path: Path):
    model = SRCNN(SRCNNConfig())
    with pytest.raises(DataError, match="JSON-ready"):
        save_model(tmp_path / "m.pt", model, {"x": object()})
    with pytest.raises(DataError, match="does not exist"):
        save_model(tmp_path / "no" / "m.pt", model)
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(DataError, match="not an sr-audit checkpoint"):
        load_model(tmp_path / "junk.pt")
    torch.save({"state_dict": {}}, tmp_path / "foreign.pt")
    with pytest.raises(DataError, match="format 'sr-audit-srcnn/1' expected"):
        load_model(tmp_path / "foreign.pt")
    assert resolve_model("Bicubic").module is None
    (tmp_path / "w.onnx").write_bytes(b"onnx")
    with pytest.raises(DataError, match="w.onnx: not a TorchScript file, an sr-audit checkpoint or a state_dict"):
        resolve_model(str(tmp_path / "w.onnx"))


# ---------------------------------------------------------------- device
def test_resolve_device(monkeypatch: pytest.MonkeyPatch):
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(SpecError, match="use one of: auto, cpu, cuda, cuda:N"):
        resolve_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("AUTO") == torch.device("cpu")
    with pytest.raises(SpecError, match="CUDA is not available"):
        resolve_device("cuda:0")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(SpecError, match=r"1 CUDA device\(s\), cuda:0 to cuda:0"):
        resolve_device("cuda:3")


# ---------------------------------------------------------------- tiled inference
def model_for(padding: str, f=(9, 1, 5), channels=1, seed=0) -> SRCNN:
    torch.manual_seed(seed)
    model = SRCNN(SRCNNConfig(*f, channels=channels, padding=padding)).eval()
    with torch.no_grad():  # larger biases so that ReLUs clip on both sides
        for conv in (model.conv1, model.conv2):
            conv.bias.normal_(0, 0.2)
    return model


@pytest.mark.parametrize("padding", list(PADDINGS))
@pytest.mark.parametrize("f", [(9, 1, 5), (9, 5, 5), (5, 3, 1)])
def test_tiles_equal_whole_image_bitwise_float32(padding: str, f):
    # every new tensor shape costs oneDNN a kernel compilation: few tile sizes, odd sizes throughout
    model = model_for(padding, f)
    image = np.random.default_rng(0).random((45, 34))
    whole = infer(model, image, tile=None)
    for tile in (7, 17):
        np.testing.assert_array_equal(infer(model, image, tile=tile), whole, err_msg=f"tile {tile}")
    with torch.no_grad():
        direct = model(torch.from_numpy(image).float()[None, None])[0, 0].double().numpy()
    shrink = 2 * halo(model) if padding == "valid" else 0
    assert whole.shape == direct.shape == (45 - shrink, 34 - shrink)
    np.testing.assert_allclose(whole, direct, rtol=0, atol=2e-6)


@pytest.mark.parametrize("padding", list(PADDINGS))
def test_tiles_float64_and_rgb(padding: str):
    model = model_for(padding, (9, 5, 5), channels=3)
    image = np.random.default_rng(1).random((29, 23, 3))
    whole = infer(model, image, dtype=torch.float64, tile=None)
    with torch.no_grad():
        direct = model.double()(torch.from_numpy(image).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(whole, direct, rtol=0, atol=1e-13)
    for tile in (9,):
        np.testing.assert_allclose(infer(model, image, dtype=torch.float64, tile=tile), whole, rtol=0, atol=1e-13)
    assert model.conv1.weight.dtype == torch.float64  # infer did not cast the model itself


def test_auto_tile_follows_the_budget():
    model = model_for("same-replicate", (9, 5, 5))
    small, large = auto_tile(model, max_tile_bytes=2**24), auto_tile(model, max_tile_bytes=2**29)
    assert small < large and auto_tile(model, torch.float64, max_tile_bytes=2**29) < large
    assert auto_tile(model, max_tile_bytes=1) == 32
    # float64 unfolds the 64 x 5 x 5 inputs of layer 2: far more bytes per pixel than oneDNN float32
    assert bytes_per_pixel(model, torch.float64) > 10 * bytes_per_pixel(model, torch.float32)
    image = np.random.default_rng(4).random((40, 37))
    np.testing.assert_array_equal(infer(model, image, max_tile_bytes=2**16), infer(model, image, tile=None))


def test_cpu_float32_tiles_stay_cache_sized(monkeypatch):
    """tile=0 cuts a CPU float32 run into CPU_TILE_BYTES tiles however large max_tile_bytes is,
    with the whole image's bits; float64 keeps one tile when the image fits."""
    import sr_audit.infer as infer_module

    crops = []
    run_crop = infer_module._run_crop
    monkeypatch.setattr(infer_module, "_run_crop", lambda x, *a: crops.append(x.shape) or run_crop(x, *a))
    monkeypatch.setattr(infer_module, "CPU_TILE_BYTES", 2**18)
    model = model_for("same-replicate", (9, 1, 5))
    image = np.random.default_rng(5).random((70, 61))
    side = auto_tile(model, max_tile_bytes=2**18)
    tiled = infer(model, image, max_tile_bytes=2**29)
    assert len(crops) == math.ceil(70 / side) * math.ceil(61 / side) > 1
    crops.clear()
    np.testing.assert_array_equal(tiled, infer(model, image, tile=None))
    assert len(crops) == 1
    crops.clear()
    infer(model, image, dtype=torch.float64, max_tile_bytes=2**29)
    assert len(crops) == 1


def test_infer_errors():
    model = model_for("valid")
    with pytest.raises(ImageError, match="needs an \\(H, W\\) image"):
        infer(model, np.zeros((20, 20, 3)))
    with pytest.raises(ImageError, match="float array"):
        infer(model, np.zeros((20, 20), np.uint8))
    with pytest.raises(ImageError, match="NaN"):
        infer(model, np.full((20, 20), np.nan))
    with pytest.raises(ImageError, match="smaller than the receptive field of 13 px"):
        infer(model, np.zeros((12, 40)))
    with pytest.raises(SpecError, match="tile must be"):
        infer(model, np.zeros((20, 20)), tile=-1)
    with pytest.raises(SpecError, match="dtype"):
        infer(model, np.zeros((20, 20)), dtype=torch.float16)


@pytest.mark.gpu
def test_cuda_matches_cpu():
    model = model_for("same-replicate", (9, 5, 5))
    image = np.random.default_rng(3).random((70, 61))
    cpu = infer(model, image, device="cpu")
    gpu = infer(model, image, device="cuda", tile=None)
    np.testing.assert_allclose(gpu, cpu, rtol=0, atol=1e-5)
    np.testing.assert_allclose(infer(model, image, device="cuda", tile=17), gpu, rtol=0, atol=1e-6)
