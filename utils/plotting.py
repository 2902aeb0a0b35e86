"""Plots the lessons share, in one colour-blind-safe style.

Each helper draws a new figure and returns nothing: Jupyter shows the figure below the cell
(returning it too would show it twice). Use plt.gcf() to get hold of it.
"""

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import torch

# Okabe & Ito's palette, readable with every common colour-vision deficiency
# (https://jfly.uni-koeln.de/color/).
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def use_course_style() -> None:
    """Set matplotlib defaults for every plot in the course: palette, grid, readable sizes."""
    plt.rcParams.update({
        "axes.prop_cycle": plt.cycler(color=COLORS),
        "axes.grid": True, "grid.alpha": 0.3,
        "axes.spines.top": False, "axes.spines.right": False,
        "figure.dpi": 100, "font.size": 10, "image.cmap": "gray",
    })


def show_images(images: torch.Tensor, labels=None, predictions=None, class_names=None,
                ncols: int = 8, title: str | None = None, size: float = 1.2) -> None:
    """Draw a grid of images, captioned with labels (and predictions, red where wrong)."""
    images = images.detach().cpu()
    if images.ndim == 4:
        if images.shape[1] != 1:
            raise ValueError(f"show_images draws grayscale images shaped N x 1 x H x W; got {tuple(images.shape)}.")
        images = images[:, 0]
    if images.ndim != 3:
        raise ValueError(f"show_images needs images shaped N x H x W or N x 1 x H x W; got {tuple(images.shape)}.")
    count = len(images)
    nrows = -(-count // ncols)
    caption = 0 if labels is None else 0.25 if predictions is None else 0.45  # inches of title per row
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, (size + caption) * nrows),
                             squeeze=False)
    name = (lambda i: class_names[int(i)]) if class_names else (lambda i: str(int(i)))
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= count:
            continue
        ax.imshow(images[index], cmap="gray")
        if labels is not None and predictions is None:
            ax.set_title(name(labels[index]), fontsize=8)
        elif labels is not None:
            wrong = int(predictions[index]) != int(labels[index])
            ax.set_title(f"{name(predictions[index])}\n(true: {name(labels[index])})" if wrong
                         else name(predictions[index]), fontsize=8, color=COLORS[3] if wrong else "black")
    if title:
        fig.suptitle(title)
    fig.tight_layout()


def plot_history(histories: dict[str, dict[str, list[float]]] | dict[str, list[float]],
                 title: str | None = None) -> None:
    """Draw loss and accuracy per epoch (training solid, validation dashed) for one or more runs."""
    if "train_loss" in histories:
        histories = {"": histories}
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 3.5))
    for color, (name, history) in zip(COLORS * 4, histories.items()):
        label = f"{name} " if name else ""
        for ax, metric in ((loss_ax, "loss"), (acc_ax, "acc")):
            for split, style in (("train", "-"), ("val", "--")):
                values = history.get(f"{split}_{metric}", [])
                if values:
                    ax.plot(range(1, len(values) + 1), values, style, color=color,
                            label=f"{label}{'training' if split == 'train' else 'validation'}")
    loss_ax.set(xlabel="epoch", ylabel="loss", title="Loss")
    acc_ax.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    for ax in (loss_ax, acc_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # epochs are whole numbers: no tick at 1.5
    acc_ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()


def plot_confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor, class_names: list[str]) -> None:
    """Draw the confusion matrix: row = true class, column = predicted class, counts in the cells."""
    count = len(class_names)
    matrix = torch.zeros(count, count, dtype=torch.long)
    matrix.index_put_((labels.cpu(), predictions.cpu()), torch.ones(len(labels), dtype=torch.long), accumulate=True)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ax.imshow(matrix, cmap="Blues")
    ax.grid(False)
    for (row, col), value in zip(torch.cartesian_prod(torch.arange(count), torch.arange(count)).tolist(),
                                 matrix.flatten().tolist()):
        ax.text(col, row, value, ha="center", va="center", fontsize=7,
                color="white" if value > matrix.max() / 2 else "black")
    ax.set_xticks(range(count), class_names, rotation=45, ha="right")
    ax.set_yticks(range(count), class_names)
    ax.set(xlabel="predicted class", ylabel="true class", title="Confusion matrix")
    fig.tight_layout()
