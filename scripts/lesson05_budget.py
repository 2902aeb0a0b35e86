"""Lesson 05's CNN against its MLPs at the lesson's budget and at equal arithmetic, over several seed offsets.

Lesson 05 trains the CNN for 2 epochs and the MLPs for 3 (to keep the lesson fast). A CNN epoch costs about 5.2
times the multiply-adds of an MLP epoch, so 2 CNN epochs cost about the arithmetic of 10 MLP epochs. This script
trains, per seed offset, the lesson's three Fashion-MNIST models with its recipe and data (the MLP and the MLP with
batch norm at 3 and at 10 epochs, the CNN at 2) and prints their test accuracies as a markdown table:

    OMP_NUM_THREADS=1 .venv/bin/python scripts/lesson05_budget.py 0 1 2 3 4 5

The table is in benchmarks/results/lesson05-budget.md, which the lesson cites.
"""
import os
import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import utils  # noqa: E402

RECIPE = {"optimizer": "adam", "lr": 6e-3, "schedule": "onecycle"}   # lesson 05's recipe for every model


def mlp(batch_norm: bool) -> nn.Sequential:
    """Lesson 05's MLP (784-256-128-10), with a BatchNorm1d after each hidden layer if `batch_norm`."""
    if not batch_norm:
        return utils.make_mlp([784, 256, 128, 10])
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.BatchNorm1d(256), nn.ReLU(),
                         nn.Linear(256, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10))


def test_accuracy(make_model, loaders, epochs: int) -> float:
    """Train a fresh model from the lesson's seed with the lesson's recipe; return its test accuracy."""
    train_loader, val_loader, test_loader = loaders
    utils.set_seed(0)
    model = make_model()
    utils.fit(model, train_loader, val_loader, **RECIPE, epochs=epochs, progress=False)
    return utils.evaluate(model, test_loader)[1]


def row(offset: int) -> list[float]:
    """Return [MLP 3, MLP 10, MLP+BN 3, MLP+BN 10, CNN 2] test accuracies at one seed offset."""
    os.environ["DLB_SEED_OFFSET"] = str(offset)          # read by utils.set_seed, as in the lesson
    utils.set_seed(0)
    loaders = utils.make_loaders("fashion_mnist", batch_size=128, device="cpu", val_size=5000)
    return [test_accuracy(lambda: mlp(False), loaders, 3), test_accuracy(lambda: mlp(False), loaders, 10),
            test_accuracy(lambda: mlp(True), loaders, 3), test_accuracy(lambda: mlp(True), loaders, 10),
            test_accuracy(utils.make_cnn, loaders, 2)]


def main(offsets: list[int]) -> None:
    columns = ["MLP, 3 epochs", "MLP, 10 epochs", "MLP + BN, 3", "MLP + BN, 10", "CNN, 2 epochs",
               "CNN − MLP (3 / 10)", "CNN − (MLP + BN) (3 / 10)"]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    print("| seed offset | " + " | ".join(columns) + " |")
    print("| --- " * (len(columns) + 1) + "|")
    for offset in offsets:
        m3, m10, b3, b10, cnn = row(offset)
        cells = [f"{100 * v:.2f}%" for v in (m3, m10, b3, b10, cnn)]
        cells += [f"{100 * (cnn - m3):+.2f} / {100 * (cnn - m10):+.2f}", f"{100 * (cnn - b3):+.2f} / {100 * (cnn - b10):+.2f}"]
        print(f"| {offset} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [0])
