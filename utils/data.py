"""MNIST and Fashion-MNIST from the course's `data/` folder: offline, checked, and fast."""

import gzip
import hashlib
import os
import shutil
from pathlib import Path

import torch
from torchvision import datasets

from .seeds import make_generator

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# Where the unpacked files go when data/ is read-only (a course installed once for a whole class).
CACHE_DIR = Path(os.environ.get("DLB_DATA_CACHE", Path.home() / ".cache" / "deep-learning-basics"))

DATASETS = {"mnist": datasets.MNIST, "fashion_mnist": datasets.FashionMNIST}

CLASS_NAMES = {
    "mnist": [str(digit) for digit in range(10)],
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
}

# Pixel mean and standard deviation of each training set (see data/README.md).
MEAN_STD = {"mnist": (0.1307, 0.3081), "fashion_mnist": (0.2860, 0.3530)}

_verified: set[str] = set()
_roots: dict[str, Path] = {}


class DataFileError(RuntimeError):
    """A data file is missing or does not match its recorded checksum."""


def dataset_key(name: str) -> str:
    """Return the canonical key ('mnist' or 'fashion_mnist') for a dataset name."""
    key = str(name).lower().replace("-", "_").replace(" ", "_")
    key = {"fashionmnist": "fashion_mnist", "fmnist": "fashion_mnist"}.get(key, key)
    if key not in DATASETS:
        known = ", ".join(repr(k) for k in DATASETS)
        raise ValueError(f"Unknown dataset {name!r}. Known datasets: {known}.")
    return key


def expected_checksums() -> dict[str, str]:
    """Return {relative path: sha256} for every shipped file, read from data/SHA256SUMS."""
    lines = (DATA_DIR / "SHA256SUMS").read_text().splitlines()
    return {path: digest for digest, path in (line.split() for line in lines if line.strip())}


def sha256(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def prepare_files(name: str) -> Path:
    """Check a dataset's .gz files against their checksums, unpack them once, return the data root."""
    folder = DATASETS[dataset_key(name)].__name__
    if folder in _verified:
        return _roots[folder]
    restore = (f"Restore it with `git checkout -- data/{folder}` (or copy it again from the "
               "course's shared datasets), then re-run this cell.")
    packed_files = []
    for relative, expected in expected_checksums().items():
        if not relative.startswith(folder + "/"):
            continue
        packed = DATA_DIR / relative
        if not packed.exists():
            raise DataFileError(f"Missing data file {packed}. {restore}")
        actual = sha256(packed)
        if actual != expected:
            raise DataFileError(f"Corrupted data file {packed}: its sha256 is {actual}, "
                                f"expected {expected}. {restore}")
        packed_files.append(packed)
    root = unpack_root(packed_files)
    for packed in packed_files:
        unpacked = root / packed.relative_to(DATA_DIR).with_suffix("")  # x-idx3-ubyte.gz -> x-idx3-ubyte
        if is_stale(unpacked, packed):
            unpack(packed, unpacked)
    _verified.add(folder)
    _roots[folder] = root
    return root


def is_stale(unpacked: Path, packed: Path) -> bool:
    """Return whether an unpacked file is missing or older than its .gz."""
    return not unpacked.exists() or unpacked.stat().st_mtime < packed.stat().st_mtime


def unpack_root(packed_files: list[Path]) -> Path:
    """Return data/ when its unpacked files are there or can be written there, else CACHE_DIR."""
    if all(not is_stale(p.with_suffix(""), p) for p in packed_files):
        return DATA_DIR
    return DATA_DIR if all(os.access(p.parent, os.W_OK) for p in packed_files) else CACHE_DIR


def unpack(packed: Path, unpacked: Path) -> None:
    """Decompress a .gz via a temporary file renamed into place, so that no kernel ever reads half a file."""
    unpacked.parent.mkdir(parents=True, exist_ok=True)
    partial = unpacked.with_name(f"{unpacked.name}.{os.getpid()}.part")
    with gzip.open(packed) as source, open(partial, "wb") as target:
        shutil.copyfileobj(source, target)
    os.replace(partial, unpacked)


def load_dataset(name: str, train: bool = True, transform=None) -> datasets.VisionDataset:
    """Return torchvision's own Dataset for `name`, read from data/ with no network."""
    key = dataset_key(name)
    return DATASETS[key](prepare_files(key), train=train, transform=transform, download=False)


def load_tensors(name: str, train: bool = True, device: torch.device | str = "cpu",
                 normalize: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Return a whole split as (images N x 1 x 28 x 28 float32, labels N int64) on `device`."""
    key = dataset_key(name)
    dataset = load_dataset(key, train)
    images = dataset.data.unsqueeze(1).to(device, torch.float32, copy=True).div_(255)
    if normalize:
        mean, std = MEAN_STD[key]
        images = images.sub_(mean).div_(std)  # in place: no extra copy of the whole set
    return images, dataset.targets.to(device)


def take_per_class(images: torch.Tensor, labels: torch.Tensor, per_class: int,
                   seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Return a random subset with `per_class` examples of every class, shuffled."""
    generator = make_generator(seed)
    picks = []
    for label in labels.unique():
        indices = (labels == label).nonzero().squeeze(1).cpu()
        if len(indices) < per_class:
            raise ValueError(f"Class {label.item()} has only {len(indices)} examples; "
                             f"asked for {per_class} per class.")
        picks.append(indices[torch.randperm(len(indices), generator=generator)[:per_class]])
    chosen = torch.cat(picks)
    chosen = chosen[torch.randperm(len(chosen), generator=generator)].to(labels.device)
    return images[chosen], labels[chosen]


def split_off(images: torch.Tensor, labels: torch.Tensor, count: int,
              seed: int = 0) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """Return ((rest_x, rest_y), (held_x, held_y)): `count` random examples held out, e.g. for validation."""
    if not 0 < count < len(labels):
        raise ValueError(f"Cannot hold out {count} of {len(labels)} examples; pick 0 < count < {len(labels)}.")
    order = torch.randperm(len(labels), generator=make_generator(seed)).to(labels.device)
    held, rest = order[:count], order[count:]
    return (images[rest], labels[rest]), (images[held], labels[held])


class TensorLoader:
    """Mini-batches sliced from tensors already in memory: a fast stand-in for a DataLoader."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 256,
                 shuffle: bool = False):
        if len(images) != len(labels):
            raise ValueError(f"images and labels differ in length: {len(images)} vs {len(labels)}.")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive whole number, got {batch_size!r}.")
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle = batch_size, shuffle

    def __len__(self) -> int:
        return -(-len(self.labels) // self.batch_size)

    def __iter__(self):
        count = len(self.labels)
        order = torch.randperm(count, device=self.labels.device) if self.shuffle else None
        for start in range(0, count, self.batch_size):
            if order is None:
                yield self.images[start:start + self.batch_size], self.labels[start:start + self.batch_size]
            else:
                batch = order[start:start + self.batch_size]
                # index_select picks the same rows as images[batch], several times faster
                yield self.images.index_select(0, batch), self.labels.index_select(0, batch)


def make_loaders(name: str, batch_size: int = 256, device: torch.device | str = "cpu",
                 train_size: int | None = None, val_size: int = 0,
                 seed: int = 0) -> tuple[TensorLoader, TensorLoader | None, TensorLoader]:
    """Return (train, validation or None, test) TensorLoaders for a dataset held in memory on `device`."""
    train_x, train_y = load_tensors(name, train=True, device=device)
    test = TensorLoader(*load_tensors(name, train=False, device=device), batch_size=1024)
    val = None
    if val_size:
        (train_x, train_y), (val_x, val_y) = split_off(train_x, train_y, val_size, seed)
        val = TensorLoader(val_x, val_y, batch_size=1024)
    if train_size is not None:
        if not 0 < train_size <= len(train_y):
            raise ValueError(f"train_size must be between 1 and {len(train_y)}, got {train_size}.")
        order = torch.randperm(len(train_y), generator=make_generator(seed + 1))
        keep = order[:train_size].to(train_y.device)
        train_x, train_y = train_x[keep], train_y[keep]
    return TensorLoader(train_x, train_y, batch_size, shuffle=True), val, test
