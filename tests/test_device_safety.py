"""Nothing the lessons put on the device is float64: Apple's GPU (MPS) cannot hold float64 at all.

The lessons' float64 work (the bowl of lesson 03, finite differences in lesson 02, the checkers)
runs on CPU tensors that never move to the device. Everything that does run on `device` goes through
the helpers below, so each is run here under a dispatch mode that fails on the first operation that
produces a float64 tensor: a stand-in for a device that rejects float64, on any machine.
"""

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

import utils
from utils import lesson04, lesson07, lesson08


class RejectFloat64(TorchDispatchMode):
    """Raise as soon as any operation returns a float64 tensor, naming the operation."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for leaf in tree_leaves(out):
            if isinstance(leaf, torch.Tensor) and leaf.dtype == torch.float64:
                raise AssertionError(f"{func} produced a float64 tensor, which an MPS device cannot hold")
        return out


@pytest.fixture(scope="module")
def digits():
    train, val, test = utils.make_loaders("mnist", batch_size=64, train_size=256, val_size=128)
    return train, val, test


def test_the_mode_catches_float64():
    with pytest.raises(AssertionError, match="float64"), RejectFloat64():
        torch.zeros(2, dtype=torch.float64)


def test_loading_and_training_helpers_stay_float32(digits):
    train, val, test = digits
    with RejectFloat64():
        utils.set_seed(0)
        train2, val2, _ = utils.make_loaders("mnist", batch_size=64, train_size=128, val_size=64)
        for model, options in [(utils.make_mlp([784, 32, 10]), {"optimizer": "adam", "schedule": "onecycle"}),
                               (utils.make_cnn(channels=(4, 8), hidden=16), {"optimizer": "sgd", "weight_decay": 1e-3,
                                                                               "label_smoothing": 0.1})]:
            utils.fit(model, train, val, epochs=1, lr=1e-3, patience=1, progress=False, **options)
            utils.evaluate(model, test)
            utils.predict(model, test.images[:100])
        utils.augment_batch(train.images, flip=0.5, degrees=10, zoom=0.1, shift=0.1, brightness=0.2)
        list(utils.AugmentedLoader(train, degrees=10))


def test_explorers_that_train_stay_float32(monkeypatch):
    with RejectFloat64():
        lesson04.train_val_gap(50, 16, dropout=0.2, steps=20)
        lesson08.noisy_label_run(0.3, list(lesson08.MODEL_SIZES)[0], epochs=1)
        model = utils.make_cnn(classes=5)
        images, labels = utils.load_tensors("mnist", train=False)
        keep = labels < 5
        features = lesson07.transfer_features(model, images[keep][:200])
        lesson07.label_budget_accuracy(features, labels[keep][:200], features, labels[keep][:200], per_class=2,
                                       updates=5)
