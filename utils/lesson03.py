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
                "not the limit. Above it the path zig-zags, and still converges, up to twice that rate.")
    return report(is_close(answer, expected, 0.01, floor=0),
                  f"lr = 2 / {steep:g} = {expected:g}: there the factor (1 - lr * {steep:g}) is -1, so y "
                  "flips sign without shrinking; any larger and it grows. The steepest direction sets the limit.",
                  hint)


def check_effective_step(answer, lr: float = 0.002, momentum: float = 0.95) -> bool:
    """Exercise 03.2: the plain-SGD rate whose steps match SGD with this momentum on a steady slope: lr / (1 - β)."""
    expected = lr / (1 - momentum)
    hint = ("On a steady slope the velocity grows to gradient / (1 - momentum). Multiply the learning rate "
            "by that factor.")
    if is_close(answer, lr * 10, 0.01, floor=0) and not math.isclose(momentum, 0.9):
        hint = (f"Ten times holds for momentum 0.9, where 1 / (1 - 0.9) = 10. Here the momentum is "
                f"{momentum:g}: work out 1 / (1 - {momentum:g}).")
    elif is_close(answer, lr, 0.01, floor=0):
        hint = "That is the rate itself. Momentum makes each step on a steady slope longer: by how much?"
    elif is_close(answer, lr * momentum, 0.01, floor=0) or is_close(answer, lr / momentum, 0.01, floor=0):
        hint = ("The velocity adds up the gradients: 1 + β + β² + ... = 1 / (1 - β), not β or 1 / β. "
                "Multiply the rate by 1 / (1 - β).")
    elif is_close(answer, lr * (1 - momentum), 0.01, floor=0):
        hint = "That goes the wrong way: momentum makes the steps longer, so divide by (1 - β), don't multiply."
    return report(is_close(answer, expected, 0.01, floor=0),
                  f"{lr:g} / (1 - {momentum:g}) = {expected:g}: at full speed each step is {1 / (1 - momentum):g} "
                  "times the plain one. Where the gradient flips sign at every step (across a valley at the stability "
                  "limit), the pushes partly cancel instead.",
                  hint)


def check_onecycle_start(answer, max_lr: float = 0.1) -> bool:
    """Exercise 03.3: the learning rate at the first step of PyTorch's OneCycleLR with this max_lr."""
    weight = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=max_lr)
    torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=100)
    expected = optimizer.param_groups[0]["lr"]
    hint = ("Print the first rate of the one-cycle schedule recorded above, schedule_rates['one-cycle'][0], "
            "or make an optimizer and a torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, "
            "total_steps=100) and print optimizer.param_groups[0]['lr'].")
    if is_close(answer, max_lr, 0.01, floor=0):
        hint = "That is the peak. One-cycle does not start there: it warms up from a much smaller rate."
    return report(is_close(answer, expected, 0.01, floor=0),
                  f"It starts at max_lr / div_factor = {max_lr:g} / {max_lr / expected:g} = {expected:g}, "
                  "warms up to the peak, then anneals far below the start.", hint)


def check_scaled_rate(answer, base_lr: float = 0.01, base_batch: int = 64, new_batch: int = 512) -> bool:
    """Exercise 03.4: the learning rate the linear scaling rule gives for a new batch size."""
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
MOMENTUM_CHOICES = (0.0, 0.5, 0.9)   # the explorer's momentum menu: none, some, and utils.fit's 0.9


def descent_path(lr: float, steps: int = 30, curvatures: tuple[float, float] = BOWL_CURVATURES,
                 start: tuple[float, float] = BOWL_START,
                 momentum: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (points, losses): `steps` of gradient descent on the bowl 0.5 * (a x² + b y²), start included.

    With `momentum` β above 0, each step moves along a velocity instead of the gradient alone:
    velocity = β * velocity + gradient, then point -= lr * velocity (torch.optim.SGD's momentum).
    """
    lr = check_learning_rate(lr)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive whole number; got {steps!r}.")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
        raise ValueError(f"momentum must be a number from 0 (none) to below 1, such as 0.9; got {momentum!r}.")
    curvature = torch.tensor(curvatures, dtype=torch.float64)
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    velocity = torch.zeros(2, dtype=torch.float64)
    points, losses = [], []
    for _ in range(steps + 1):
        loss = 0.5 * (curvature * point ** 2).sum()
        points.append(point.detach().clone())
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            break
        loss.backward()
        with torch.no_grad():
            velocity = momentum * velocity + point.grad   # with momentum 0, the velocity is the gradient
            point -= lr * velocity                        # the whole of gradient descent
        point.grad = None
    return torch.stack(points), torch.tensor(losses, dtype=torch.float64)


def descent_verdict(points: torch.Tensor, losses) -> str:
    """Return the verdict on a descent path: the rules the notebook states, used by its figures and the explorer.

    "diverges": the last loss is not below the first. Otherwise "crawls" while the last loss is still above
    1% of the first, "converges" once it is below; a path that jumps across the valley (y changes sign) at
    every step "zig-zags": "zig-zags, barely converging" above 1%, "converges, zig-zagging" below.
    One more, which only momentum produces on the bowl: a path still above 1% that has rolled past the
    bottom along x (x changed sign) "swings past the bottom" rather than crawls.
    """
    losses = torch.as_tensor(losses, dtype=torch.float64)
    first, last = losses[0].item(), losses[-1].item()
    across = points[1:, 1] * points[:-1, 1]          # y times the previous y: negative when y changed sign
    zig_zags = len(across) > 0 and bool((across < 0).all())
    rolled_past = bool((points[1:, 0] * points[:-1, 0] < 0).any())   # x changed sign at least once
    if not math.isfinite(last) or last >= first:
        return "diverges"
    if last > 0.01 * first:
        if zig_zags:
            return "zig-zags, barely converging"
        return "swings past the bottom" if rolled_past else "crawls"
    return "converges, zig-zagging" if zig_zags else "converges"


def descent_summary(lr: float, steps: int = 30, momentum: float = 0.0) -> dict:
    """Run descent_path on the bowl; print one line and return lr, momentum, verdict, first and last loss, path.

    The verdict follows descent_verdict's rules (the ones section 1 of the notebook states). With momentum
    above 0 a second line reminds the reader that the verdict reads only the last loss, which depends on
    where the ball is in its swing, so nearby rates can get different verdicts.
    """
    points, losses = descent_path(lr, steps, momentum=momentum)
    first, last = losses[0].item(), losses[-1].item()
    verdict = descent_verdict(points, losses)
    with_momentum = f", momentum {momentum:g}" if momentum else ""
    print(f"learning rate {lr:.3g}{with_momentum}: loss {first:.3g} -> {last:.3g} after {steps} steps ({verdict})")
    if momentum:
        print("  With momentum the verdict reads only the loss at the last step, and that depends on where the "
              "ball is in its swing: a nearby rate can get another verdict. Judge by the loss panel, by how high "
              "the peaks of the swings still reach.")
    return {"lr": lr, "momentum": momentum, "verdict": verdict, "first_loss": first, "last_loss": last,
            "points": points, "losses": losses}


def show_descent(lr: float, steps: int = 30, momentum: float = 0.0) -> None:
    """Print the summary and draw the path on the bowl's contours beside the loss per step."""
    result = descent_summary(lr, steps, momentum)
    points, losses = result["points"], result["losses"]
    grid_x, grid_y = torch.meshgrid(torch.linspace(-5, 5, 101), torch.linspace(-3, 3, 61), indexing="xy")
    surface = 0.5 * (BOWL_CURVATURES[0] * grid_x ** 2 + BOWL_CURVATURES[1] * grid_y ** 2)
    fig, (path_ax, loss_ax) = plt.subplots(1, 2, figsize=(10, 3.6))
    path_ax.contour(grid_x, grid_y, surface, levels=[0.5, 2, 5, 10, 20, 35, 50], colors="0.7")
    path_ax.plot(points[:, 0], points[:, 1], "o-", color=COLORS[0], markersize=3)
    path_ax.plot(0, 0, "*", color=COLORS[3], markersize=12)
    with_momentum = f", momentum {momentum:g}" if momentum else ""
    path_ax.set(xlim=(-5, 5), ylim=(-3, 3), xlabel="weight x", ylabel="weight y",
                title=f"learning rate {lr:.3g}{with_momentum}: {result['verdict']}")
    loss_ax.semilogy(range(len(losses)), losses.clamp(min=1e-12), "o-", color=COLORS[0], markersize=3)
    loss_ax.set(xlabel="step", ylabel="loss (log scale)", title="Loss per step")
    fig.tight_layout()
    display(fig)
    plt.close(fig)


def make_descent_explorer() -> widgets.Widget:
    """Return an explorer: a learning-rate slider and a momentum menu that redraw gradient descent on the bowl.

    Controls: FloatLogSlider "learning rate" (0.001 to 1, log scale) and Dropdown "momentum" (0, 0.5, 0.9).
    Each change reprints the line "learning rate 0.05: loss 19.2 -> ... after 30 steps (crawls)" and redraws
    the path and loss curve. With momentum 0.9 the verdict flips between "converges" and "swings past the
    bottom" as the rate rises, because the last loss catches the ball at a different point of its swing;
    the printout then adds a reminder to judge by the loss panel.
    """
    slider = widgets.FloatLogSlider(value=0.05, base=10, min=-3, max=0, step=0.05, readout_format=".3g",
                                    description="learning rate", continuous_update=False,
                                    style={"description_width": "initial"})
    momentum = widgets.Dropdown(options=[(f"{beta:g}" + (" (none)" if beta == 0 else ""), beta)
                                         for beta in MOMENTUM_CHOICES],
                                value=0.0, description="momentum")
    return widgets.interactive(show_descent, lr=slider, momentum=momentum, steps=widgets.fixed(30))
