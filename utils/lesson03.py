"""Lesson 03's exercise checkers and explorer, for notebooks/03_learning_rates.ipynb."""

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from .checks import is_close, report
from .plotting import COLORS
from .training import check_learning_rate


def check_stable_rate(answer, curvatures=(1.0, 25.0)) -> bool:
    """Exercise 03.1: the learning rate above which descent on 0.5 * (a x² + b y²) diverges: 2 / max(a, b)."""
    gentle, steep = min(curvatures), max(curvatures)
    expected = 2 / steep
    hint = (f"One step multiplies y by (1 - lr * {steep:g}). Find the learning rate at which that "
            "factor reaches -1: beyond it, every step lands farther from the bottom than the last.")
    if is_close(answer, 2 / gentle, 0.01, floor=0):
        hint = (f"That is the limit along the gentle direction x (curvature {gentle:g}). The steep "
                f"direction y (curvature {steep:g}) breaks first.")
    elif is_close(answer, 1 / steep, 0.01, floor=0):
        hint = (f"At 1/{steep:g} one step lands exactly on the bottom along y: the fastest rate for y, "
                "not the limit. Above it the path zig-zags, and it still converges for a while.")
    return report(is_close(answer, expected, 0.01, floor=0),
                  f"lr = 2 / {steep:g} = {expected:g}: there the factor (1 - lr * {steep:g}) is -1, so y "
                  "flips sign without shrinking; any larger and it grows. The steepest direction sets the limit.",
                  hint)


def check_onecycle_start(answer, max_lr: float = 0.1) -> bool:
    """Exercise 03.2: the learning rate at the first step of PyTorch's OneCycleLR with this max_lr."""
    weight = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=max_lr)
    torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=100)
    expected = optimizer.param_groups[0]["lr"]
    hint = ("Read it off the one-cycle curve above, or make an optimizer and a "
            "torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=100) and print "
            "optimizer.param_groups[0]['lr'].")
    if is_close(answer, max_lr, 0.01, floor=0):
        hint = "That is the peak. One-cycle does not start there: it warms up from a much smaller rate."
    return report(is_close(answer, expected, 0.01, floor=0),
                  f"It starts at max_lr / div_factor = {max_lr:g} / {max_lr / expected:g} = {expected:g}, "
                  "warms up to the peak, then anneals far below the start.", hint)


def check_scaled_rate(answer, base_lr: float = 0.01, base_batch: int = 64, new_batch: int = 256) -> bool:
    """Exercise 03.3: the learning rate the linear scaling rule gives for a new batch size."""
    ratio = new_batch / base_batch
    expected = base_lr * ratio
    hint = "The linear scaling rule multiplies the learning rate by the same factor as the batch size."
    if is_close(answer, base_lr / ratio, 0.01, floor=0):
        hint = ("That goes the wrong way: a bigger batch averages more examples, so its gradient is less "
                "noisy and there are fewer steps per epoch. Both call for a larger rate.")
    elif is_close(answer, base_lr * ratio ** 0.5, 0.01, floor=0):
        hint = ("That is the square-root rule, which some use with Adam. The linear rule scales by the "
                "ratio of batch sizes itself.")
    elif is_close(answer, base_lr, 0.01, floor=0):
        hint = (f"With the same rate, an epoch has {ratio:g} x fewer steps, each no bigger than before: "
                "training falls behind. Scale the rate with the batch.")
    return report(is_close(answer, expected, 0.01, floor=0),
                  f"{base_lr:g} x {new_batch} / {base_batch} = {expected:g}. Watch the first epochs: at "
                  "large batches the rule needs a warm-up, and it stops working beyond some size.", hint)


BOWL_CURVATURES = (1.0, 10.0)   # the bowl 0.5 * (1 * x² + 10 * y²): gentle along x, steep along y
BOWL_START = (-4.0, 1.5)


def descent_path(lr: float, steps: int = 30, curvatures: tuple[float, float] = BOWL_CURVATURES,
                 start: tuple[float, float] = BOWL_START) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (points, losses): `steps` of gradient descent on the bowl 0.5 * (a x² + b y²), start included."""
    lr = check_learning_rate(lr)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive whole number; got {steps!r}.")
    curvature = torch.tensor(curvatures, dtype=torch.float64)
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    points, losses = [], []
    for _ in range(steps + 1):
        loss = 0.5 * (curvature * point ** 2).sum()
        points.append(point.detach().clone())
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            break
        loss.backward()
        with torch.no_grad():
            point -= lr * point.grad        # the whole of gradient descent
        point.grad = None
    return torch.stack(points), torch.tensor(losses, dtype=torch.float64)


def descent_summary(lr: float, steps: int = 30) -> dict:
    """Run descent_path on the bowl; print one line and return lr, verdict, first and last loss, path.

    Verdicts: "diverges" (loss ends above where it started); else "crawls" or, when the path jumps
    across the valley at every step, "zig-zags, barely converging" (still above 1% of the starting
    loss); else "converges" or "converges, zig-zagging". Zig-zagging is harmless while it dies down.
    """
    points, losses = descent_path(lr, steps)
    first, last = losses[0].item(), losses[-1].item()
    across = points[1:, 1] * points[:-1, 1]          # y times the previous y: negative when y changed sign
    zig_zags = len(across) > 0 and bool((across < 0).all())
    if not math.isfinite(last) or last >= first:
        verdict = "diverges"
    elif last > 0.01 * first:
        verdict = "zig-zags, barely converging" if zig_zags else "crawls"
    else:
        verdict = "converges, zig-zagging" if zig_zags else "converges"
    print(f"learning rate {lr:.3g}: loss {first:.3g} -> {last:.3g} after {steps} steps ({verdict})")
    return {"lr": lr, "verdict": verdict, "first_loss": first, "last_loss": last,
            "points": points, "losses": losses}


def show_descent(lr: float, steps: int = 30) -> None:
    """Print the summary and draw the path on the bowl's contours beside the loss per step."""
    result = descent_summary(lr, steps)
    points, losses = result["points"], result["losses"]
    grid_x, grid_y = torch.meshgrid(torch.linspace(-5, 5, 101), torch.linspace(-3, 3, 61), indexing="xy")
    surface = 0.5 * (BOWL_CURVATURES[0] * grid_x ** 2 + BOWL_CURVATURES[1] * grid_y ** 2)
    fig, (path_ax, loss_ax) = plt.subplots(1, 2, figsize=(10, 3.6))
    path_ax.contour(grid_x, grid_y, surface, levels=[0.5, 2, 5, 10, 20, 35, 50], colors="0.7")
    path_ax.plot(points[:, 0], points[:, 1], "o-", color=COLORS[0], markersize=3)
    path_ax.plot(0, 0, "*", color=COLORS[3], markersize=12)
    path_ax.set(xlim=(-5, 5), ylim=(-3, 3), xlabel="weight x", ylabel="weight y",
                title=f"learning rate {lr:.3g}: {result['verdict']}")
    loss_ax.semilogy(range(len(losses)), losses.clamp(min=1e-12), "o-", color=COLORS[0], markersize=3)
    loss_ax.set(xlabel="step", ylabel="loss (log scale)", title="Loss per step")
    fig.tight_layout()
    display(fig)
    plt.close(fig)


def make_descent_explorer() -> widgets.Widget:
    """Return an explorer: a learning-rate slider that redraws gradient descent on the bowl.

    Control: FloatLogSlider "learning rate" (0.001 to 1, log scale). Each change reprints the line
    "learning rate 0.05: loss 19.2 -> ... after 30 steps (crawls)" and redraws the path and loss curve.
    """
    slider = widgets.FloatLogSlider(value=0.05, base=10, min=-3, max=0, step=0.05, readout_format=".3g",
                                    description="learning rate", continuous_update=False,
                                    style={"description_width": "initial"})
    return widgets.interactive(show_descent, lr=slider, steps=widgets.fixed(30))
