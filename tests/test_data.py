"""The data loaders: offline, fast, and clear about what is wrong with a data file."""

import shutil

import pytest
import torch

from utils import data


def test_mnist_loads_through_torchvision_with_known_facts():
    dataset = data.load_dataset("mnist", train=True)
    assert type(dataset).__name__ == "MNIST" and len(dataset) == 60_000
    assert dataset.targets[:5].tolist() == [5, 0, 4, 1, 9]
    assert torch.bincount(dataset.targets).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert data.load_dataset("mnist", train=False).targets[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_fashion_mnist_tensors_are_normalised_with_the_training_statistics():
    images, labels = data.load_tensors("fashion_mnist", train=True)
    assert images.shape == (60_000, 1, 28, 28) and images.dtype == torch.float32
    assert labels.dtype == torch.int64 and len(labels.unique()) == 10
    assert abs(images.mean().item()) < 1e-3 and abs(images.std().item() - 1) < 1e-3


@pytest.mark.parametrize("name", ["Fashion-MNIST", "FashionMNIST", "fashion_mnist"])
def test_dataset_names_are_forgiving_about_spelling(name):
    assert data.dataset_key(name) == "fashion_mnist"


def test_unknown_dataset_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown dataset 'cifar10'\. Known datasets: 'mnist', 'fashion_mnist'"):
        data.load_tensors("cifar10")


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A private copy of data/ so that tests can damage files safely."""
    copy = tmp_path / "data"
    shutil.copytree(data.DATA_DIR, copy, ignore=shutil.ignore_patterns("*-ubyte"))
    monkeypatch.setattr(data, "DATA_DIR", copy)
    monkeypatch.setattr(data, "_verified", set())
    return copy


def test_copy_unpacks_and_loads(data_copy):
    assert len(data.load_dataset("mnist", train=False)) == 10_000
    assert (data_copy / "MNIST/raw/t10k-images-idx3-ubyte").exists()


def test_corrupted_file_names_the_file_the_expected_checksum_and_the_fix(data_copy):
    damaged = data_copy / "FashionMNIST/raw/t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-10])
    expected = data.expected_checksums()["FashionMNIST/raw/t10k-labels-idx1-ubyte.gz"]
    with pytest.raises(data.DataFileError) as error:
        data.load_dataset("fashion_mnist", train=False)
    message = str(error.value)
    assert str(damaged) in message and expected in message and "git checkout -- data/FashionMNIST" in message


def test_missing_file_says_which_and_how_to_restore(data_copy):
    (data_copy / "MNIST/raw/train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(data.DataFileError, match=r"Missing data file .*train-labels-idx1-ubyte\.gz\. Restore it"):
        data.load_dataset("mnist")


def test_tensor_loader_covers_every_example_once_per_epoch():
    images, labels = torch.arange(10.0).unsqueeze(1), torch.arange(10)
    loader = data.TensorLoader(images, labels, batch_size=4, shuffle=True)
    batches = list(loader)
    assert len(loader) == len(batches) == 3 and [len(y) for _, y in batches] == [4, 4, 2]
    assert sorted(torch.cat([y for _, y in batches]).tolist()) == list(range(10))
    assert all(torch.equal(x.squeeze(1).long(), y) for x, y in batches)


def test_tensor_loader_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="differ in length"):
        data.TensorLoader(torch.zeros(3, 1), torch.zeros(4))
    with pytest.raises(ValueError, match="batch_size must be a positive whole number"):
        data.TensorLoader(torch.zeros(3, 1), torch.zeros(3), batch_size=0)


def test_take_per_class_is_balanced_and_reproducible():
    images, labels = data.load_tensors("mnist", train=False)
    x, y = data.take_per_class(images, labels, 7, seed=3)
    assert torch.bincount(y).tolist() == [7] * 10
    assert torch.equal(x, data.take_per_class(images, labels, 7, seed=3)[0])


def test_make_loaders_holds_out_a_validation_set_disjoint_from_training():
    train, val, test = data.make_loaders("mnist", train_size=1000, val_size=5000)
    assert len(train.labels) == 1000 and len(val.labels) == 5000 and len(test.labels) == 10_000
    train_rows = {row.numpy().tobytes() for row in train.images[:200]}
    assert not train_rows & {row.numpy().tobytes() for row in val.images}


def test_a_read_only_data_folder_unpacks_into_the_cache_instead(data_copy, tmp_path, monkeypatch):
    """A course installed read-only for a whole class (a hub image): the files unpack into the user's cache."""
    cache = tmp_path / "cache"
    monkeypatch.setattr(data, "CACHE_DIR", cache)
    monkeypatch.setattr(data, "_roots", {})
    # os.access says what a student would be told; the tests run as root, who may write anywhere.
    monkeypatch.setattr(data.os, "access", lambda path, mode: not str(path).startswith(str(data_copy)))
    assert data.prepare_files("mnist") == cache
    assert len(data.load_dataset("mnist", train=False)) == 10_000
    unpacked = "MNIST/raw/t10k-images-idx3-ubyte"
    assert (cache / unpacked).exists() and not (data_copy / unpacked).exists()
    assert not list(cache.rglob("*.part")), "no half-written file should be left behind"
