"""Small models the lessons share."""

import re
from pathlib import Path

import torch
from torch import nn

from . import data


def make_mlp(layer_sizes: list[int], dropout: float = 0.0) -> nn.Sequential:
    """Return an MLP (Flatten, then Linear + ReLU per hidden layer) with the given layer widths."""
    if len(layer_sizes) < 2 or not all(isinstance(n, int) and n > 0 for n in layer_sizes):
        raise ValueError(f"layer_sizes needs at least an input and an output width, all positive "
                         f"whole numbers, e.g. [784, 256, 10]; got {layer_sizes!r}.")
    layers: list[nn.Module] = [nn.Flatten()]
    for width_in, width_out in zip(layer_sizes[:-2], layer_sizes[1:-1]):
        layers += [nn.Linear(width_in, width_out), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(layer_sizes[-2], layer_sizes[-1]))
    return nn.Sequential(*layers)


def make_cnn(channels: tuple[int, int] = (16, 32), hidden: int = 128, classes: int = 10) -> nn.Sequential:
    """Return a small CNN for 1 x 28 x 28 images: two conv-BN-ReLU-pool blocks, then two linear layers."""
    first, second = channels
    # inplace=True: each ReLU overwrites the batch norm's output instead of writing a new tensor, as
    # torchvision's models do. Same numbers to the last bit; the speed varies by CPU: lesson 05's appendix times it.
    model = nn.Sequential(
        nn.Conv2d(1, first, 3, padding=1), nn.BatchNorm2d(first), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Conv2d(first, second, 3, padding=1), nn.BatchNorm2d(second), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(second * 7 * 7, hidden), nn.ReLU(inplace=True),
        nn.Linear(hidden, classes),
    )
    # Channels-last feature maps (each pixel's channels side by side) usually make the CPU's max-pooling and a training
    # step faster (lesson 05's appendix times both on your machine); the layers and weights are unchanged, the outputs
    # up to rounding.
    return model.to(memory_format=torch.channels_last)


def count_parameters(model: nn.Module) -> int:
    """Return the number of trainable parameters in a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, damaged, unsafe to load, or does not fit the model."""


def _build_hint(checkpoint: dict) -> str:
    """Return ' (e.g. utils.make_cnn(...))' from a checkpoint's recorded architecture, or ''."""
    architecture = checkpoint.get("architecture")
    if not isinstance(architecture, dict):
        return ""
    return " (here: utils.make_cnn(" + ", ".join(f"{k}={v!r}" for k, v in architecture.items()) + "))"


SOURCE_MODEL_FIX = ("Restore the shipped file with `git checkout -- data/checkpoints`, or re-create it with "
                    "`python scripts/pretrain_source_model.py` and put the line it prints into data/SHA256SUMS.")


def load_verified(path, expected_sha256: str | None = None, fix: str = SOURCE_MODEL_FIX):
    """Return what the file at `path` holds, once its sha256 matches, read with torch.load(weights_only=True).

    `expected_sha256` defaults to the file's line in data/SHA256SUMS; `weights_only=True` accepts tensors
    and plain values only, never code. `fix` is the sentence each error ends with: how to get the file back.
    """
    path = Path(path)
    if expected_sha256 is None:
        resolved, root = path.resolve(), data.DATA_DIR.resolve()
        relative = resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else None
        expected_sha256 = data.expected_checksums().get(relative)
        if expected_sha256 is None:
            raise ValueError(f"No sha256 is recorded for {path} in data/SHA256SUMS: pass "
                             "expected_sha256='<64 hex digits>' for a file you trust.")
    if not isinstance(expected_sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", expected_sha256):
        raise ValueError(f"expected_sha256 must be 64 lowercase hex digits (what `sha256sum` prints); "
                         f"got {expected_sha256!r}.")
    if not path.is_file():
        raise CheckpointError(f"No checkpoint file at {path}. {fix}")
    actual = data.sha256(path)
    if actual != expected_sha256:
        raise CheckpointError(f"The checkpoint {path} is not the expected file: its sha256 is {actual}, "
                              f"expected {expected_sha256}. It is damaged or was replaced. {fix}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise CheckpointError(f"{path} cannot be loaded with torch.load(weights_only=True): it holds more "
                              f"than tensors and plain values (or is not a PyTorch file at all). "
                              f"Save only a model's state_dict. Details: {error}") from error
    return checkpoint


def load_checkpoint(path, expected_sha256: str | None = None, model: nn.Module | None = None,
                    fix: str = SOURCE_MODEL_FIX) -> dict:
    """Return the checkpoint dict at `path` once its sha256 checks out; with `model`, also load its weights.

    `expected_sha256` defaults to the file's line in data/SHA256SUMS. The file is read with
    torch.load(weights_only=True), which accepts tensors and plain values only, never code.
    A file that holds a bare state dict (name -> tensor) is returned as {'state_dict': ...}.
    """
    checkpoint = load_verified(path, expected_sha256, fix)
    if isinstance(checkpoint, dict) and "state_dict" not in checkpoint and all(
            isinstance(value, torch.Tensor) for value in checkpoint.values()):
        checkpoint = {"state_dict": checkpoint}
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("state_dict"), dict):
        raise CheckpointError(f"{path} is not a checkpoint this course wrote: expected a dict with a "
                              f"'state_dict' of tensors, got {type(checkpoint).__name__}.")
    if model is not None:
        weights, wanted = checkpoint["state_dict"], model.state_dict()
        missing, extra = sorted(set(wanted) - set(weights)), sorted(set(weights) - set(wanted))
        if missing or extra:
            raise CheckpointError(f"The checkpoint does not fit this model: it lacks {missing or 'nothing'} "
                                  f"and has extra {extra or 'nothing'}. Build the model exactly as the "
                                  f"checkpoint's{_build_hint(checkpoint)}.")
        for name, tensor in weights.items():
            if tensor.shape != wanted[name].shape:
                raise CheckpointError(
                    f"The checkpoint does not fit this model: its '{name}' has shape {tuple(tensor.shape)} "
                    f"but the model's has shape {tuple(wanted[name].shape)}. Build the model exactly as "
                    f"the checkpoint's{_build_hint(checkpoint)}, load the weights, and only then replace "
                    f"layers (such as the last one, for a new task).")
        model.load_state_dict(weights)
    return checkpoint
