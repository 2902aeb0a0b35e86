"""Lesson 05's exercise checkers and explorer, for notebooks/05_convolutional_networks.ipynb."""


import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from torch import nn
from IPython.display import display

from .checks import comma_typed, is_close, report
from .data import load_dataset


def check_output_size(answer) -> bool:
    """Exercise 05.1: side length of a 28 x 28 image after Conv2d(k=5), MaxPool2d(2), Conv2d(k=3, s=2, p=1)."""
    def side(*layers) -> int:
        return torch.nn.Sequential(*layers)(torch.zeros(1, 1, 28, 28)).shape[-1]
    expected = side(torch.nn.Conv2d(1, 1, 5), torch.nn.MaxPool2d(2), torch.nn.Conv2d(1, 1, 3, stride=2, padding=1))
    no_padding = side(torch.nn.Conv2d(1, 1, 5), torch.nn.MaxPool2d(2), torch.nn.Conv2d(1, 1, 3, stride=2))
    hint = ("Apply out = floor((n + 2 * padding - kernel) / stride) + 1 one layer at a time "
            "(max-pooling 2 x 2 is kernel 2, stride 2): 28 -> ? -> ? -> ?.")
    if is_close(answer, no_padding) and no_padding != expected:
        hint = "Close: the last convolution has padding=1, which adds one row of zeros on each side."
    return report(is_close(answer, expected), f"The output is {expected} x {expected}.", hint)


def check_conv_parameters(answer) -> bool:
    """Exercise 05.2: number of trainable parameters of nn.Conv2d(8, 24, kernel_size=5)."""
    layer = torch.nn.Conv2d(8, 24, kernel_size=5)
    expected = sum(p.numel() for p in layer.parameters())
    weights_only = layer.weight.numel()
    hint = ("Each of the 24 output channels has one 5 x 5 kernel per input channel, "
            "plus one bias. Multiply it out.")
    answer, comma_hint = comma_typed(answer)
    if comma_hint:
        return report(False, "", comma_hint + (" Your count itself is right." if is_close(answer, expected) else ""))
    if is_close(answer, weights_only):
        hint = "Almost: you counted the weights. Each output channel also has one bias."
    elif is_close(answer, weights_only + 8):
        hint = "Almost: there is one bias per output channel (24), not per input channel."
    return report(is_close(answer, expected),
                  f"{weights_only} weights + {layer.bias.numel()} biases = {expected}, "
                  "whatever the size of the image.", hint)


EDGE_RATIO = 1.2        # exercise 05.3: a diagonal edge must get at least this many times the straight-edge response
FLAT_TOLERANCE = 1e-3   # ... and a flat area at most this share of the kernel's total absolute weight
MIRROR_TOLERANCE = 0.05  # ... and answer a checkerboard or a thin line less than the edge, unless it is its own negative mirrored across a diagonal


def lopsidedness(kernel: torch.Tensor) -> float:
    """Return how far a 3 x 3 kernel is from being its own negative when mirrored across a diagonal (the smaller of the
    two diagonals' values): the largest |weight + mirrored weight|, divided by the largest |weight|. It is 0 for
    Sobel, Prewitt or Scharr turned by 45 degrees and for a plain difference across the diagonal; not for Kirsch's."""
    mirrors = (kernel.T, kernel.flip(0, 1).T)          # across the main diagonal, across the other one
    return min((kernel + mirrored).abs().max().item() for mirrored in mirrors) / kernel.abs().max().item()


def edge_responses(kernel: torch.Tensor) -> dict[str, float]:
    """Return a 3 x 3 kernel's strongest absolute response to a flat area and to vertical, horizontal and
    diagonal edges (8 x 8 images of 0s and 1s), each divided by the kernel's total absolute weight.

    A diagonal response counts only where the edge passes next to the patch's centre pixel: elsewhere the
    patch holds just a corner of bright pixels, and a kernel that finds such a spot is no edge detector.
    """
    size = kernel.abs().sum().item()
    rows, cols = torch.meshgrid(torch.arange(8), torch.arange(8), indexing="ij")
    images = {"flat": torch.ones(8, 8), "vertical": (cols >= 4).float(), "horizontal": (rows >= 4).float()}
    centre_rows, centre_cols = rows[1:-1, 1:-1], cols[1:-1, 1:-1]        # each output position's centre pixel
    near_edge = {}
    for slope, offset, centre_offset, edge in (("\\", cols - rows, centre_cols - centre_rows, 1),
                                               ("/", cols + rows, centre_cols + centre_rows, 8)):
        hard = (offset >= edge).float()
        soft = hard + 0.5 * (offset == edge - 1).float()   # a half-grey boundary pixel, as a real edge drawn on pixels has
        images[f"diagonal {slope}"], images[f"soft diagonal {slope}"] = hard, soft
        near_edge[f"diagonal {slope}"] = near_edge[f"soft diagonal {slope}"] = torch.isin(
            centre_offset, torch.tensor([edge - 1, edge]))
    responses = {}
    for name, image in images.items():
        output = torch.nn.functional.conv2d(image[None, None], kernel[None, None])[0, 0].abs()
        if name in near_edge:
            output = output[near_edge[name]]
        responses[name] = output.max().item() / size
    return responses


def pattern_responses(kernel: torch.Tensor, width: int = 1) -> dict[str, float]:
    """Return a 3 x 3 kernel's strongest absolute response to lines `width` pixels wide (both diagonals, horizontal,
    vertical), a single dot, a fine and a 2-pixel checkerboard, a bright corner, a short diagonal dash and T-junctions of
    thin lines (8 x 8 images of 0s and 1s), each divided by the kernel's total absolute weight. An edge detector answers an edge more strongly than these; a line or texture detector does not.
    With width 2 only the diagonal lines are returned: a diagonal edge detector ties with them, a line detector beats them."""
    size = kernel.abs().sum().item()
    rows, cols = torch.meshgrid(torch.arange(8), torch.arange(8), indexing="ij")
    line = "thin" if width == 1 else f"{width}-pixel"
    across, other_way = cols - rows - 1, cols + rows - 8                    # 0 on each line's first pixel
    images = {f"a {line} diagonal line": ((across >= 0) & (across < width)).float(),
              f"a {line} diagonal line the other way": ((other_way >= 0) & (other_way < width)).float()}
    if width == 1:
        images |= {"a thin horizontal line": (rows == 4).float(), "a thin vertical line": (cols == 4).float(),
                   "a single dot": ((rows == 4) & (cols == 4)).float(), "a fine checkerboard": ((rows + cols) % 2).float()}
        images |= {f"a bright corner ({where})": ((rows >= 4) == down) & ((cols >= 4) == right)      # a quadrant of light
                   for where, down, right in (("lower right", True, True), ("lower left", True, False),
                                              ("upper right", False, True), ("upper left", False, False))}
        images |= {"a 2-pixel checkerboard": (rows // 2 + cols // 2) % 2 == 1,
                   "a short diagonal dash": ((rows == 3) & (cols == 3)) | ((rows == 4) & (cols == 4)),
                   "a short diagonal dash the other way": ((rows == 3) & (cols == 4)) | ((rows == 4) & (cols == 3)),
                   "a T-junction": (rows == 3) | ((cols == 4) & (rows > 3)),          # where two thin lines meet
                   "an upside-down T-junction": (rows == 4) | ((cols == 4) & (rows < 4)),
                   "a sideways T-junction": (cols == 3) | ((rows == 4) & (cols > 3)),
                   "a sideways T-junction the other way": (cols == 4) | ((rows == 4) & (cols < 4))}
        images = {name: image.float() for name, image in images.items()}
    return {name: torch.nn.functional.conv2d(image[None, None], kernel[None, None]).abs().max().item() / size
            for name, image in images.items()}


def check_edge_kernel(answer) -> bool:
    """Exercise 05.3: a 3 x 3 kernel that gives 0 on flat areas and responds to a diagonal edge at least
    EDGE_RATIO times as strongly as to a vertical or a horizontal edge, and no more strongly (within 1%) than to
    a thin line, a dot, a checkerboard, a bright corner, a short dash, a T-junction or a 2-pixel line, nor to the
    patch of 0s and 1s that lights exactly its positive (or its negative) weights. A tie with a line is allowed: a line is two edges
    side by side, and a plain difference across the diagonal (no smoothing) answers a thin line as strongly as an edge."""
    try:
        kernel = torch.as_tensor(answer, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError):
        kernel = None
    if kernel is None or kernel.shape != (3, 3):
        return report(False, "", "Give a 3 x 3 kernel: a list of three rows of three numbers, "
                                 "e.g. [[1, 2, 3], [4, 5, 6], [7, 8, 9]].")
    if not torch.isfinite(kernel).all():
        return report(False, "", "Your kernel contains nan or infinity: give nine ordinary numbers.")
    if kernel.abs().sum().item() == 0:
        return report(False, "", "An all-zero kernel responds to nothing. Give some weights positive "
                                 "and others negative values.")
    weight_sum = kernel.double().sum().item()
    scaled = kernel / kernel.abs().max()                         # a largest weight of 1: no overflow
    response = edge_responses(scaled)
    if response["flat"] > FLAT_TOLERANCE:
        return report(False, "", f"It responds to a flat, uniform area: its weights add up to "
                                 f"{weight_sum:.3g}. Make them add up to exactly 0.")
    diagonal = max(response["diagonal \\"], response["diagonal /"])
    soft_diagonal = max(response["soft diagonal \\"], response["soft diagonal /"])
    straight = max(response["vertical"], response["horizontal"])
    if diagonal < 0.1:
        return report(False, "", "It barely responds to a diagonal edge. Put positive weights towards one "
                                 "corner of the kernel and negative weights towards the opposite corner.")
    if diagonal < EDGE_RATIO * straight:
        pair = (kernel != 0).sum().item() == 2          # e.g. +1 and -1 in two opposite corners
        return report(False, "", f"It responds to a diagonal edge less than {EDGE_RATIO} times as strongly as to a vertical or "
                                 f"horizontal one (ratio {diagonal / straight:.2f}; at least {EDGE_RATIO} is "
                                 "needed). Let the weights change steadily from one corner to the opposite one, like a Sobel "
                                 "kernel turned by 45 degrees" + (": a kernel of just two weights, one positive and one negative (such as "
                                 "Roberts' cross), also straddles straight edges." if pair else "."))
    patterns = {width: pattern_responses(scaled, width=width) for width in (1, 2)}
    for width in (1, 2):          # thin patterns, then 2-pixel lines: an edge detector may tie with them (Sobel does)
        pattern, strongest = max((value, name) for name, value in patterns[width].items())
        if pattern > 1.01 * diagonal:                     # responding more strongly than to the edge: a line detector
            return report(False, "", f"It responds more strongly to {strongest} than to a diagonal edge, so it detects "
                                     "lines or texture, or where lines meet, not edges. Make the kernel positive on one side of the diagonal "
                                     "and negative on the other, changing steadily across it.")
    if soft_diagonal < EDGE_RATIO * straight:
        return report(False, "", f"On a diagonal edge whose boundary pixel is half grey, as real edges are, it responds only "
                                 f"{soft_diagonal / straight:.2f} times as strongly as to a vertical or horizontal one (at "
                                 f"least {EDGE_RATIO} is needed): it matches the staircase of one drawn edge, not the "
                                 "diagonal direction. Let the weights change steadily from one corner to the opposite one, "
                                 "like a Sobel kernel turned by 45 degrees.")
    best_patch = max(scaled.clamp(min=0).sum().item(), (-scaled).clamp(min=0).sum().item()) / scaled.abs().sum().item()
    if diagonal < 0.99 * best_patch:             # the patch of 0s and 1s that lights its positive weights answers more
        return report(False, "", "Some pattern of bright and dark pixels other than a 45-degree edge (the one bright exactly "
                                 "where your weights are positive) gets a stronger response, so it detects that pattern: "
                                 "where lines meet, or an edge at another angle. Make the kernel positive on one side of "
                                 "the diagonal and negative on the other, symmetric about it, changing steadily across it.")
    ties = {"a checkerboard": max(patterns[1]["a fine checkerboard"], patterns[1]["a 2-pixel checkerboard"]),
            "a thin line": max(value for name, value in patterns[1].items() if "thin" in name)}
    lopsided = lopsidedness(scaled) > MIRROR_TOLERANCE   # a tie is allowed only for a plain difference across the diagonal
    for name, value in ties.items():
        if lopsided and value >= 0.99 * diagonal:
            return report(False, "", f"It answers {name} as strongly as a diagonal edge, so it is partly a "
                                     f"{'texture' if 'checker' in name else 'line'} detector. An edge kernel answers {name} "
                                     "less, unless it is a plain difference across the diagonal: each weight the negative of "
                                     "its mirror image across it. Let the weights change steadily from one corner to the "
                                     "opposite one, like a Sobel kernel turned by 45 degrees.")
    if straight < 1e-6:                          # 0, up to the rounding of the scaled kernel
        return report(True, "It stays 0 on flat areas and on vertical and horizontal edges, and lights up at "
                            "a diagonal edge.", "")
    return report(True, f"It stays 0 on flat areas and responds {diagonal / straight:.2f} times as strongly "
                        "to a diagonal edge as to a vertical or horizontal one.", "")


KERNEL_PRESETS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "blur (box)": [[1 / 9] * 3] * 3,
    "blur (Gaussian)": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "vertical edges (Sobel)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges (Sobel)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "outline (Laplacian)": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}


def kernel_feature_map(kernel, image: torch.Tensor) -> torch.Tensor:
    """Return the feature map of a 3 x 3 `kernel` on a 2-D `image` (padding 1: same size); print a summary."""
    try:
        kernel = torch.as_tensor(kernel, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"The kernel must be 3 x 3 numbers, e.g. [[0, 0, 0], [0, 1, 0], [0, 0, 0]]; "
                         f"got {kernel!r}.") from error
    if kernel.shape != (3, 3):
        raise ValueError(f"The kernel must be 3 x 3 numbers; got shape {tuple(kernel.shape)}.")
    image = torch.as_tensor(image).detach().float().cpu()
    if image.ndim == 3 and image.shape[0] == 1:
        image = image[0]
    if image.ndim != 2:
        raise ValueError(f"The image must be 2-D (height x width) or 1 x height x width; "
                         f"got shape {tuple(image.shape)}.")
    feature_map = torch.nn.functional.conv2d(image[None, None], kernel[None, None], padding=1)[0, 0]
    print(f"Feature map {feature_map.shape[0]} x {feature_map.shape[1]}: min {feature_map.min():.2f}, "
          f"max {feature_map.max():.2f}, mean {feature_map.mean():.2f} (kernel sum {kernel.sum():.2f})")
    return feature_map


def _sample_images() -> dict[str, torch.Tensor]:
    """Return a few test images (pixels in 0..1) by name: one digit and four pieces of clothing."""
    digits, clothes = load_dataset("mnist", train=False), load_dataset("fashion_mnist", train=False)
    picks = {"digit 7": (digits, 0), "ankle boot": (clothes, 0), "trouser": (clothes, 2),
             "sneaker": (clothes, 9), "bag": (clothes, 18)}
    return {name: dataset.data[index].float() / 255 for name, (dataset, index) in picks.items()}


def make_kernel_explorer(images: dict[str, torch.Tensor] | None = None) -> widgets.Widget:
    """Return an explorer: pick an image and a preset 3 x 3 kernel, or type the 9 values; see the feature map.

    Controls: Dropdown "image", Dropdown "kernel" (presets and "custom"), nine FloatText boxes
    (the kernel, row by row). Choosing a preset fills the boxes; editing a box switches the kernel
    dropdown to "custom". Each change reprints the line "Feature map 28 x 28: min .., max .., mean ..
    (kernel sum ..)" and redraws the image, the kernel and the feature map.
    """
    images = {name: torch.as_tensor(image).detach().float().cpu().reshape(image.shape[-2:])
              for name, image in (images or _sample_images()).items()}
    image_box = widgets.Dropdown(options=list(images), description="image")
    preset_box = widgets.Dropdown(options=[*KERNEL_PRESETS, "custom"], value="vertical edges (Sobel)",
                                  description="kernel")
    cells = [widgets.FloatText(value=float(v), step=0.5, layout=widgets.Layout(width="70px"))
             for row in KERNEL_PRESETS[preset_box.value] for v in row]
    grid = widgets.GridBox(cells, layout=widgets.Layout(grid_template_columns="repeat(3, 76px)"))
    out = widgets.Output()
    filling = False                                   # True while a preset writes into the boxes

    def draw(*_) -> None:
        kernel = [[cells[3 * r + c].value for c in range(3)] for r in range(3)]
        image = images[image_box.value]
        with out:
            out.clear_output(wait=True)
            feature_map = kernel_feature_map(kernel, image)
            fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
            axes[0].imshow(image.numpy(), cmap="gray")
            axes[0].set_title(f"input: {image_box.value}")
            weight_limit = max(abs(v) for row in kernel for v in row) or 1.0
            axes[1].imshow(torch.tensor(kernel).numpy(), cmap="RdBu_r", vmin=-2 * weight_limit, vmax=2 * weight_limit)
            for r in range(3):
                for c in range(3):
                    axes[1].text(c, r, f"{kernel[r][c]:.2g}", ha="center", va="center")
            axes[1].set_title(f"kernel: {preset_box.value}")
            limit = max(feature_map.abs().max().item(), 1e-6)
            axes[2].imshow(feature_map.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
            axes[2].set_title("feature map (red +, blue -)")
            for ax in axes:
                ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
            fig.tight_layout()
            display(fig)
            plt.close(fig)

    def use_preset(change) -> None:
        nonlocal filling
        if change["new"] == "custom":
            return
        filling = True
        for cell, value in zip(cells, (v for row in KERNEL_PRESETS[change["new"]] for v in row)):
            cell.value = float(value)
        filling = False
        draw()

    def edit_cell(_) -> None:
        if filling:
            return
        kernel = [[cells[3 * r + c].value for c in range(3)] for r in range(3)]
        if preset_box.value != "custom" and kernel != [[float(v) for v in row]
                                                       for row in KERNEL_PRESETS[preset_box.value]]:
            preset_box.unobserve(use_preset, "value")
            preset_box.value = "custom"
            preset_box.observe(use_preset, "value")
        draw()

    preset_box.observe(use_preset, "value")
    image_box.observe(draw, "value")
    for cell in cells:
        cell.observe(edit_cell, "value")
    draw()
    return widgets.VBox([widgets.HBox([widgets.VBox([image_box, preset_box]), grid]), out])


def multiply_adds(model: nn.Module, image: torch.Tensor, training: bool = False) -> int:
    """Return the multiply-adds one forward pass of `image` (a batch of one) costs in the model's conv and linear layers.

    Every output value of a convolution or a linear layer reads one weight per input it sees, so a layer costs
    (number of outputs) x (weights per output). Batch norm, ReLU and pooling cost little beside them.
    With training=True, add what backpropagation costs on top: each layer's weight gradients as much again as its
    forward pass, and the gradient it passes back to its input as much again, except in the first layer, whose
    input (the image) needs none.
    """
    costs = []

    def count(layer, inputs, output):
        costs.append(output.numel() * layer.weight[0].numel())

    hooks = [layer.register_forward_hook(count) for layer in model.modules() if isinstance(layer, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(image)
    model.train(was_training)
    for hook in hooks:
        hook.remove()
    return 3 * sum(costs) - costs[0] if training else sum(costs)
