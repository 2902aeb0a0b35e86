"""Small models the lessons share."""

from torch import nn


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
    return nn.Sequential(
        nn.Conv2d(1, first, 3, padding=1), nn.BatchNorm2d(first), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(first, second, 3, padding=1), nn.BatchNorm2d(second), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(second * 7 * 7, hidden), nn.ReLU(),
        nn.Linear(hidden, classes),
    )


def count_parameters(model: nn.Module) -> int:
    """Return the number of trainable parameters in a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
