"""Make data/features/fashion_mnist_lite0_96px.pt: EfficientNet-Lite0's ImageNet features of Fashion-MNIST.

Lesson 07 asks whether a network pretrained on ImageNet's photos helps with Fashion-MNIST's small grey
clothes. Running the network on 3,500 images at 96 x 96 pixels takes tens of seconds on a CPU, so the
lesson reads their features from this file (made once by this script) and recomputes a
few of them live to show that the file holds what the model computes.

Images: a pool of 100 training images per class and a validation set of 50 per class, drawn from the
training set with fixed seeds, and the first 2,000 test images. Each is enlarged to 96 x 96, copied
into three channels and normalised as the model's photos were (utils.efficientnet.gray_features).
Features are stored as float16 (1,280 per image, 9 MB in all).

Run: .venv/bin/python scripts/imagenet_features.py, then put the sha256 line it prints into
data/SHA256SUMS (in place of the old line for this file).
"""

import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils import data, efficientnet  # noqa: E402

OUT = ROOT / "data" / "features" / "fashion_mnist_lite0_96px.pt"
SIZE, POOL_PER_CLASS, VAL_PER_CLASS, TEST_COUNT = 96, 100, 50, 2000


def per_class_indices(labels: torch.Tensor, per_class: int, seed: int, exclude: torch.Tensor | None = None):
    """Return `per_class` random indices of each class (never one in `exclude`), drawn with `seed`."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(labels), generator=generator)
    if exclude is not None:
        order = order[~torch.isin(order, exclude)]
    return torch.cat([order[labels[order] == c][:per_class] for c in range(int(labels.max()) + 1)])


def main() -> None:
    torch.manual_seed(0)
    train_x, train_y = data.load_tensors("fashion_mnist", train=True)
    test_x, test_y = data.load_tensors("fashion_mnist", train=False)
    val_index = per_class_indices(train_y, VAL_PER_CLASS, seed=1)
    pool_index = per_class_indices(train_y, POOL_PER_CLASS, seed=2, exclude=val_index)
    model = efficientnet.load_efficientnet_lite0()
    mean_std = data.MEAN_STD["fashion_mnist"]
    start = time.perf_counter()
    features = {}
    for name, images in [("pool", train_x[pool_index]), ("val", train_x[val_index]), ("test", test_x[:TEST_COUNT])]:
        features[name] = efficientnet.gray_features(model, images, SIZE, mean_std).half()
        print(f"{name}: {len(images)} images, {time.perf_counter() - start:.0f} s so far", flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"size": SIZE, "weights_sha256": efficientnet.WEIGHTS_SHA256,
                "pool_index": pool_index, "pool_features": features["pool"], "pool_labels": train_y[pool_index],
                "val_index": val_index, "val_features": features["val"], "val_labels": train_y[val_index],
                "test_count": TEST_COUNT, "test_features": features["test"], "test_labels": test_y[:TEST_COUNT]},
               OUT)
    print(f"{data.sha256(OUT)}  {OUT.relative_to(ROOT / 'data').as_posix()}")


if __name__ == "__main__":
    main()
