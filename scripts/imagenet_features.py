"""Make data/features/*_lite0_96px.pt: EfficientNet-Lite0's ImageNet features of Fashion-MNIST and of digits 5-9.

Lesson 07 asks whether a network pretrained on ImageNet's photos helps with small grey images: the
MNIST digits 5-9 (the target task of its digit experiments, where it competes with a source model
trained on the digits 0-4) and Fashion-MNIST's clothes. Running the network on 3,500 images at 96 x 96 pixels takes tens of seconds on a CPU, so the
lesson reads their features from this file (made once by this script) and recomputes a
few of them live to show that the file holds what the model computes.

Images, for each data set: a pool of 100 training images per class and a validation set of 50 per
class, drawn from the training set with fixed seeds, and the first 2,000 test images (for digits:
of the digits 5-9, relabelled 0-4). Each is enlarged to 96 x 96, copied
into three channels and normalised as the model's photos were (utils.efficientnet.gray_features).
Features are stored as float16 (1,280 per image, 9 MB per file).

Run: .venv/bin/python scripts/imagenet_features.py, then put the sha256 lines it prints into
data/SHA256SUMS (in place of the old lines for these files).
"""

import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils import data, efficientnet  # noqa: E402

OUT = ROOT / "data" / "features"
SIZE, POOL_PER_CLASS, VAL_PER_CLASS, TEST_COUNT = 96, 100, 50, 2000


def per_class_indices(labels: torch.Tensor, per_class: int, seed: int, exclude: torch.Tensor | None = None):
    """Return `per_class` random indices of each class (never one in `exclude`), drawn with `seed`."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(labels), generator=generator)
    if exclude is not None:
        order = order[~torch.isin(order, exclude)]
    return torch.cat([order[labels[order] == c][:per_class] for c in range(int(labels.max()) + 1)])


def target_images(name: str):
    """Return (train images, train labels, test images, test labels) of the data set lesson 07 probes."""
    train_x, train_y = data.load_tensors(name, train=True)
    test_x, test_y = data.load_tensors(name, train=False)
    if name == "mnist":           # the digit experiments' target task: 5-9, relabelled 0-4
        train_x, train_y = train_x[train_y >= 5], train_y[train_y >= 5] - 5
        test_x, test_y = test_x[test_y >= 5], test_y[test_y >= 5] - 5
    return train_x, train_y, test_x, test_y


def make(name: str, model) -> Path:
    """Write the features file for one data set and return its path."""
    train_x, train_y, test_x, test_y = target_images(name)
    val_index = per_class_indices(train_y, VAL_PER_CLASS, seed=1)
    pool_index = per_class_indices(train_y, POOL_PER_CLASS, seed=2, exclude=val_index)
    start = time.perf_counter()
    features = {}
    for part, images in [("pool", train_x[pool_index]), ("val", train_x[val_index]), ("test", test_x[:TEST_COUNT])]:
        features[part] = efficientnet.gray_features(model, images, SIZE, data.MEAN_STD[name]).half()
        print(f"{name} {part}: {len(images)} images, {time.perf_counter() - start:.0f} s so far", flush=True)
    path = OUT / f"{'digits_5to9' if name == 'mnist' else name}_lite0_96px.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"size": SIZE, "weights_sha256": efficientnet.WEIGHTS_SHA256,
                "pool_index": pool_index, "pool_features": features["pool"], "pool_labels": train_y[pool_index],
                "val_index": val_index, "val_features": features["val"], "val_labels": train_y[val_index],
                "test_count": TEST_COUNT, "test_features": features["test"], "test_labels": test_y[:TEST_COUNT]},
               path)
    return path


def main(names: list[str]) -> None:
    torch.manual_seed(0)
    model = efficientnet.load_efficientnet_lite0()
    for name in names:
        path = make(name, model)
        print(f"{data.sha256(path)}  {path.relative_to(ROOT / 'data').as_posix()}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["fashion_mnist", "mnist"])
