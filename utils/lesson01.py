"""Lesson 01's exercise checkers and figures, for notebooks/01_what_is_deep_learning.ipynb."""


import matplotlib.pyplot as plt
import torch

from .checks import comma_typed, is_close, report
from .models import count_parameters, make_mlp
from .plotting import COLORS
from .seeds import make_generator


def check_neuron_output(answer, inputs=(1.0, 2.0, -1.0), weights=(0.5, -0.25, 1.0), bias=0.75) -> bool:
    """Exercise 01.1: output of one sigmoid neuron with the given inputs, weights and bias."""
    x, w = torch.tensor(inputs), torch.tensor(weights)
    z = (w * x).sum().item() + bias
    expected = torch.sigmoid(torch.tensor(z)).item()
    hint = "Multiply each input by its weight, add them up, add the bias, then apply torch.sigmoid."
    if is_close(answer, z, 1e-3):
        hint = f"You have z = w·x + b = {z:g}. Now apply the activation: torch.sigmoid(z)."
    elif is_close(answer, max(z, 0.0), 1e-3):
        hint = "That is what ReLU would give. This neuron uses the sigmoid: torch.sigmoid(z)."
    elif is_close(answer, torch.sigmoid(torch.tensor(z - bias)).item(), 1e-3):
        hint = f"Close: don't forget to add the bias ({bias:g}) before the activation."
    elif any(is_close(answer, round(expected, digits), 1e-9) for digits in (1, 2)):
        hint = "Close, but rounded too far: give the answer to 3 decimals (or not rounded at all)."
    return report(is_close(answer, expected, 1e-3),
                  f"z = {z:g}, and sigmoid({z:g}) = {expected:.4f}.", hint)


def check_same_range(answer) -> bool:
    """Exercise 01.2: which activation has the same range of outputs as g(z) = 2 * sigmoid(z) - 1?"""
    functions = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}
    z = torch.linspace(-30, 30, 601, dtype=torch.float64)
    g = 2 * torch.sigmoid(z) - 1

    def same_range(f) -> bool:   # the same lowest and highest output, up to the grid's ends
        return bool(abs(f(z).min() - g.min()) < 1e-6 and abs(f(z).max() - g.max()) < 1e-6)

    fits = {name: same_range(f) for name, f in functions.items()}
    name = getattr(answer, "__name__", type(answer).__name__) if not isinstance(answer, str) else answer
    name = name.strip().lower().removeprefix("torch.").removeprefix("nn.").strip("()")
    name = {"hyperbolic tangent": "tanh", "logistic": "sigmoid"}.get(name, name)
    if name not in functions:
        return report(False, "", 'Answer with one of the names "relu", "sigmoid" or "tanh", as a string.')
    hints = {"relu": "ReLU has no upper limit, but g has one: sigmoid stays below 1, so g stays below 2 * 1 - 1.",
             "sigmoid": "Sigmoid's outputs run from 0 to 1. Work out where g's run: 2 * 0 - 1 up to 2 * 1 - 1."}
    return report(fits[name], "g runs from 2 * 0 - 1 = -1 to 2 * 1 - 1 = 1, just like tanh. "
                  "(It is in fact tanh stretched sideways: 2 * sigmoid(z) - 1 = tanh(z / 2).)",
                  hints.get(name, "Plot g(z) = 2 * torch.sigmoid(z) - 1 next to the three functions."))


def check_mlp_parameters(answer, layer_sizes=(784, 100, 30, 10)) -> bool:
    """Exercise 01.3: number of parameters of the fully connected network with these layer widths."""
    expected = count_parameters(make_mlp(list(layer_sizes)))
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    weights_only = sum(n_in * n_out for n_in, n_out in pairs)
    hint = "For each nn.Linear(n_in, n_out) add n_in * n_out weights and n_out biases, then add up the layers."
    answer, comma_hint = comma_typed(answer)
    if comma_hint:
        right = is_close(answer, expected)
        return report(False, "", comma_hint + (" Your count itself is right." if right else ""))
    if is_close(answer, weights_only):
        hint = "You counted the weights. Each neuron also has one bias: add n_out for every layer."
    sum_text = " + ".join(f"({n_in} x {n_out} + {n_out})" for n_in, n_out in pairs)
    return report(is_close(answer, expected), f"{sum_text} = {expected:,}.", hint)


def neighbour_correlation(weights: torch.Tensor) -> float:
    """Return how alike the weights of side-by-side pixels are: the correlation between each pixel's
    weight and its right-hand neighbour's, averaged over the neurons (rows of `weights`, 784 each).

    Only the central 20 x 20 pixels count: MNIST's outer 4-pixel border is blank in almost every image
    (287 of its 384 pixels hold ink in under 1% of the training images): a blank pixel is the same
    number in every image, so a neuron's weights on those pixels get (nearly) the same updates, move
    together, and would make any network look smooth.
    """
    grid = weights.detach().float().cpu().reshape(-1, 28, 28)[:, 4:24, 4:24]
    left, right = grid[:, :, :-1].flatten(1), grid[:, :, 1:].flatten(1)
    left, right = left - left.mean(1, keepdim=True), right - right.mean(1, keepdim=True)
    return ((left * right).sum(1) / (left.norm(dim=1) * right.norm(dim=1))).mean().item()


def label_free_change(start: torch.Tensor, trained: torch.Tensor, images: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Return a control for the trained first layer that uses no labels: `start` plus, for each neuron, a
    random mix of `images` (each image times a random number, summed), scaled so that every neuron's
    weights move by as much as training moved them (`trained - start`, row by row)."""
    generator = make_generator(seed)   # the seed plus DLB_SEED_OFFSET, as every draw of the lessons
    flat = images.detach().flatten(1).float().cpu()
    mix = torch.randn(len(start), len(flat), generator=generator) @ flat
    change = (trained - start).detach().float().cpu()
    return start.detach().float().cpu() + mix * (change.norm(dim=1, keepdim=True) / mix.norm(dim=1, keepdim=True))


def show_weight_images(panels: dict[str, torch.Tensor], ncols: int = 12) -> None:
    """Draw each neuron's 784 input weights as a 28 x 28 image, one row of neurons per panel.

    Red: a positive weight (ink on that pixel raises the neuron's sum); blue: negative; white: zero.
    Each neuron gets its own colour scale, so that weak and strong neurons are both visible.
    """
    fig, axes = plt.subplots(len(panels), ncols, figsize=(1.1 * ncols, 1.35 * len(panels)), squeeze=False)
    for row, (name, weights) in zip(axes, panels.items()):
        for ax, neuron in zip(row, weights.detach().float().cpu()):
            limit = neuron.abs().max().item()
            ax.imshow(neuron.reshape(28, 28).numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(name, rotation=0, ha="right", va="center")
    fig.suptitle("Input weights of the first hidden layer's neurons, one 28 x 28 image per neuron")
    fig.tight_layout()


def project_2d(features: torch.Tensor) -> torch.Tensor:
    """Return the features projected onto their first two principal components (PCA, via an SVD)."""
    centred = features - features.mean(0)
    _, _, directions = torch.linalg.svd(centred, full_matrices=False)
    return centred @ directions[:2].T


def plot_representations(representations: dict[str, torch.Tensor], labels: torch.Tensor, points: int = 2000) -> None:
    """Draw each representation's first `points` images in 2-D (PCA), coloured by digit, with each digit's centre."""
    digit_colors = COLORS + ["#999999", "#882255"]  # the course palette, plus two for 10 digits
    labels = labels[:points].cpu()
    fig, axes = plt.subplots(1, len(representations), figsize=(3.8 * len(representations), 4), squeeze=False)
    for ax, (name, features) in zip(axes[0], representations.items()):
        xy = project_2d(features[:points].float()).cpu().numpy()
        ax.scatter(xy[:, 0], xy[:, 1], c=[digit_colors[i] for i in labels], s=4, alpha=0.6)
        for digit in range(10):
            centre = xy[(labels == digit).numpy()].mean(0)
            ax.text(*centre, str(digit), fontsize=12, fontweight="bold", ha="center", va="center",
                    bbox={"facecolor": "white", "edgecolor": digit_colors[digit], "linewidth": 2.5, "pad": 2})
        ax.set(title=name, xlabel="direction 1", ylabel="direction 2", xticks=[], yticks=[])
    fig.suptitle(f"{points:,} images seen through each layer of the trained network (PCA to 2-D)")
    fig.tight_layout()
