"""Lesson 01's network trained until validation accuracy stops rising: does the plain recipe reach 98%?

Lesson 01 trains its 784-256-128-64-10 MLP for 4 epochs (Adam at a fixed 1e-3, batches of 128) and notes
that validation accuracy is still rising at the end. This script trains the same network with the same
recipe, data and seeds, but lets early stopping on the validation set choose the number of epochs
(`utils.fit(..., epochs=20, patience=3)`: stop after 3 epochs without a new best, keep the best epoch's
weights), then reads the test set once per seed offset. It prints a markdown table:

    .venv/bin/python scripts/lesson01_epochs.py 0 1 2 3 4 5 6 7 8 9

The table is in benchmarks/results/lesson01-epochs.md, which the lesson cites.
"""
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import utils  # noqa: E402

MAX_EPOCHS, PATIENCE = 20, 3


def row(offset: int) -> tuple[int, int, float, float, float, float]:
    """Return (epochs run, best epoch, validation accuracy after 4 epochs, best validation accuracy,
    test accuracy of the best epoch's weights, seconds) at one seed offset, as lesson 01 seeds its run."""
    os.environ["DLB_SEED_OFFSET"] = str(offset)          # read by utils.set_seed, as in the lesson
    utils.set_seed(0)
    train_loader, val_loader, test_loader = utils.make_loaders("mnist", batch_size=128, device="cpu",
                                                               val_size=5000)
    utils.set_seed(0)
    model = utils.make_mlp([784, 256, 128, 64, 10])
    start = time.perf_counter()
    history = utils.fit(model, train_loader, val_loader, epochs=MAX_EPOCHS, optimizer="adam", lr=1e-3,
                        patience=PATIENCE, progress=False)
    seconds = time.perf_counter() - start
    val = history["val_acc"]
    best = max(range(len(val)), key=val.__getitem__)
    return len(val), best + 1, val[3], val[best], utils.evaluate(model, test_loader)[1], seconds


def main(offsets: list[int]) -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); up to {MAX_EPOCHS} epochs, "
          f"patience {PATIENCE}")
    print("| seed offset | epochs run | best epoch | validation after 4 | best validation | test (best epoch) | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    tests = []
    for offset in offsets:
        run, best, val4, val_best, test, seconds = row(offset)
        tests.append(test)
        print(f"| {offset:+d} | {run} | {best} | {val4:.2%} | {val_best:.2%} | {test:.2%} | {seconds:.1f} |", flush=True)
    print(f"\ntest accuracy over {len(tests)} offsets: lowest {min(tests):.2%}, mean {sum(tests) / len(tests):.2%}, "
          f"highest {max(tests):.2%}; at least 98%: {sum(t >= 0.98 for t in tests)} of {len(tests)}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [0])
