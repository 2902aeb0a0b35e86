"""Data augmentation on whole batches of image tensors, with fresh random choices for every image.

A torchvision transform called once on a batch draws one set of random numbers for the whole batch
(every image gets the same rotation). `augment_batch` draws one set per image instead, and runs as a
few tensor operations on the batch's device, so it is fast on a CPU and faster still on a GPU.
"""

import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

# The strengths augment_batch accepts, each with the largest value it allows.
LIMITS = {"flip": 1.0, "degrees": 180.0, "zoom": 0.9, "shift": 0.9, "brightness": 0.9}


def check_strengths(strengths: dict) -> dict[str, float]:
    """Return the strengths as floats, or raise a ValueError naming the bad one and its allowed range."""
    for name, value in strengths.items():
        if name not in LIMITS:
            raise ValueError(f"Unknown augmentation {name!r}; choose from {', '.join(LIMITS)}.")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= LIMITS[name]:
            raise ValueError(f"{name} must be a number from 0 to {LIMITS[name]:g}; got {value!r}.")
    return {name: float(value) for name, value in strengths.items()}


def _uniform(count: int, low: float, high: float, device: torch.device, generator) -> torch.Tensor:
    """Return `count` random numbers drawn uniformly from [low, high] on `device`."""
    return low + (high - low) * torch.rand(count, generator=generator, device=device)


def augment_batch(images: torch.Tensor, flip: float = 0.0, degrees: float = 0.0, zoom: float = 0.0,
                  shift: float = 0.0, brightness: float = 0.0,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """Return a randomly augmented copy of a batch N x C x H x W, with new random choices for each image.

    flip: chance of a left-right mirror; degrees: largest rotation either way; zoom: largest zoom in
    or out (0.2 means 80% to 120% size); shift: largest move either way, as a fraction of the width
    and height; brightness: largest change of brightness (0.3 means 70% to 130%). Space uncovered by
    a move is filled with each image's darkest value (its background). A `generator` must live on
    the images' device.
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or not images.is_floating_point():
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"augment_batch needs a float tensor shaped N x C x H x W; got {shape}.")
    s = check_strengths({"flip": flip, "degrees": degrees, "zoom": zoom, "shift": shift,
                         "brightness": brightness})
    if not any(s.values()):
        return images.clone()
    count, device = len(images), images.device
    background = images.amin(dim=(1, 2, 3), keepdim=True)
    out = images - background                       # background becomes 0, which grid_sample fills in
    if s["flip"] or s["degrees"] or s["zoom"] or s["shift"]:
        angle = _uniform(count, -s["degrees"], s["degrees"], device, generator) * math.pi / 180
        scale = _uniform(count, 1 - s["zoom"], 1 + s["zoom"], device, generator)
        move = torch.stack([_uniform(count, -s["shift"], s["shift"], device, generator) for _ in "xy"], 1)
        mirror = torch.where(_uniform(count, 0, 1, device, generator) < s["flip"], -1.0, 1.0)
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        # theta says, for each output pixel, where to read in the input (coordinates -1..1):
        # undo the move, then the rotation and zoom, then the mirror.
        matrix = torch.stack([torch.stack([mirror * cos, mirror * sin], 1),
                              torch.stack([-sin, cos], 1)], 1)                # N x 2 x 2
        theta = torch.cat([matrix, -matrix @ (2 * move).unsqueeze(2)], 2)      # N x 2 x 3
        grid = F.affine_grid(theta, list(images.shape), align_corners=False)
        out = F.grid_sample(out, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if s["brightness"]:
        factor = _uniform(count, 1 - s["brightness"], 1 + s["brightness"], device, generator)
        white = (images - background).amax()          # brighter pixels saturate at the batch's brightest
        out = (out * factor.view(-1, 1, 1, 1)).clamp(max=white)
    return out + background


class AugmentedLoader:
    """Wrap a loader so that every batch it yields is augmented on the fly by `augment_batch`."""

    def __init__(self, loader, **strengths: float):
        check_strengths(strengths)
        self.loader, self.strengths = loader, strengths

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        for images, labels in self.loader:
            yield augment_batch(images, **self.strengths), labels


def show_augmentations(rows: dict[str, torch.Tensor], title: str | None = None, size: float = 1.1) -> None:
    """Draw one row of images per entry of `rows` ({row label: N x 1 x H x W}), all on one grey scale."""
    if not isinstance(rows, dict) or not rows or not all(isinstance(v, torch.Tensor) and v.ndim >= 2
                                                         for v in rows.values()):
        raise ValueError("show_augmentations needs a dict {row label: images}, e.g. {'original': images}, "
                         "with at least one row of image tensors.")
    rows = {name: images.detach().cpu().reshape(-1, *images.shape[-2:]) for name, images in rows.items()}
    low = min(images.min().item() for images in rows.values())
    high = max(images.max().item() for images in rows.values())
    ncols = max(len(images) for images in rows.values())
    fig, axes = plt.subplots(len(rows), ncols, figsize=(size * ncols + 1.2, size * len(rows)), squeeze=False)
    for ax_row, (name, images) in zip(axes, rows.items()):
        for index, ax in enumerate(ax_row):
            ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
            if index < len(images):
                ax.imshow(images[index].numpy(), cmap="gray", vmin=low, vmax=high)
        ax_row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()


def shift_images(images: torch.Tensor, right, down) -> torch.Tensor:
    """Return the images moved `right` and `down` whole pixels (negative: left, up), gaps filled with background.

    Lesson 05's `shift`, extended: `right` and `down` are whole numbers for the whole batch, or one whole
    number per image (tensors of length N), so each image can get its own random move. The background is
    the batch's darkest value, as in lesson 05; pixels moved out of the frame are lost.
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"shift_images needs a tensor shaped N x C x H x W; got {shape}.")
    count, channels, height, width = images.shape
    moves = []
    for name, value, size in (("right", right, width), ("down", down, height)):
        value = torch.as_tensor(value, device=images.device)
        if value.is_floating_point() or value.is_complex() or value.dtype == torch.bool or value.ndim > 1 \
                or (value.ndim == 1 and len(value) != count):
            raise ValueError(f"{name} must be a whole number or one whole number per image "
                             f"({count} of them); got {value.dtype} of shape {tuple(value.shape)}.")
        moves.append(value.long().expand(count))
    right, down = moves
    background = images.amin()                       # the darkest value, i.e. the empty background
    rows = torch.arange(height, device=images.device) - down[:, None]    # N x H: the input row each output row reads
    cols = torch.arange(width, device=images.device) - right[:, None]    # N x W: the input column it reads
    inside = ((rows >= 0) & (rows < height))[:, None, :, None] & ((cols >= 0) & (cols < width))[:, None, None, :]
    moved = images.gather(2, rows.clamp(0, height - 1)[:, None, :, None].expand(count, channels, height, width))
    moved = moved.gather(3, cols.clamp(0, width - 1)[:, None, None, :].expand(count, channels, height, width))
    return torch.where(inside, moved, background)
