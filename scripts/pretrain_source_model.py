"""Pretrain the source model that notebook 07 (transfer learning) starts from, and save it in data/.

The source task is MNIST digits 0-4; the notebook's target task is digits 5-9. The model is the
course's small CNN, `utils.make_cnn(channels=(16, 32), hidden=128, classes=5)`, trained on all
30,596 training images of digits 0-4. Run from the repository root:

    .venv/bin/python scripts/pretrain_source_model.py

It takes about a minute on a 2-core CPU (see data/README.md for the recorded time) and prints the
checkpoint's sha256: if it differs from the line in data/SHA256SUMS (other hardware or library
versions round differently), put the new line there so that the notebook accepts the new file.
"""

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import utils  # noqa: E402
from utils.data import DATA_DIR, TensorLoader, load_tensors, sha256  # noqa: E402

SOURCE_CLASSES = [0, 1, 2, 3, 4]
ARCHITECTURE = {"channels": [16, 32], "hidden": 128, "classes": len(SOURCE_CLASSES)}


def digits(images: torch.Tensor, labels: torch.Tensor, keep: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Return only the images whose label is in `keep`, relabelled 0, 1, ... in that order."""
    mask = torch.isin(labels, torch.tensor(keep, device=labels.device))
    relabel = torch.full((10,), -1, dtype=torch.long, device=labels.device)
    relabel[torch.tensor(keep)] = torch.arange(len(keep), device=labels.device)
    return images[mask], relabel[labels[mask]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DATA_DIR / "checkpoints" / "mnist_0to4_cnn.pt")
    args = parser.parse_args()

    wall, cpu = time.perf_counter(), time.process_time()
    utils.set_seed(args.seed)
    device = utils.get_device()
    train = digits(*load_tensors("mnist", train=True, device=device), SOURCE_CLASSES)
    test = digits(*load_tensors("mnist", train=False, device=device), SOURCE_CLASSES)
    model = utils.make_cnn(channels=tuple(ARCHITECTURE["channels"]), hidden=ARCHITECTURE["hidden"],
                           classes=ARCHITECTURE["classes"]).to(device)
    utils.fit(model, TensorLoader(*train, batch_size=128, shuffle=True), epochs=args.epochs, lr=3e-3,
              schedule="onecycle")
    _, test_acc = utils.evaluate(model, TensorLoader(*test, batch_size=1024))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    checkpoint = {
        "state_dict": {name: tensor.cpu() for name, tensor in model.state_dict().items()},
        "architecture": ARCHITECTURE,
        "source_task": "MNIST digits 0-4 (label i = digit i)",
        "source_classes": SOURCE_CLASSES,
        "train_examples": len(train[1]),
        "epochs": args.epochs,
        "test_accuracy": round(test_acc, 4),
        "made_by": "scripts/pretrain_source_model.py",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, args.out)
    print(f"Source model: {len(train[1])} training images of digits 0-4, {args.epochs} epochs, "
          f"test accuracy {test_acc:.2%} on {len(test[1])} test images of digits 0-4.")
    print(f"Took {wall:.0f} s wall, {cpu:.0f} s CPU (user+sys) on {device} "
          f"with {torch.get_num_threads()} CPU thread(s).")
    print(f"Saved {args.out} ({args.out.stat().st_size / 1e6:.2f} MB). Its line for data/SHA256SUMS:")
    out = args.out.resolve()
    print(f"{sha256(out)}  {out.relative_to(DATA_DIR) if out.is_relative_to(DATA_DIR) else out}")


if __name__ == "__main__":
    main()
