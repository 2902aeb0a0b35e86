"""Lesson 03 (learning rates): checkers tell right from wrong, the range test and the descent explorer work."""

import math

import matplotlib
import pytest
import torch
from torch import nn

import utils
from utils import lesson03 as lesson
from utils.data import TensorLoader

matplotlib.use("Agg")


def test_stable_rate_checker(capsys):
    assert lesson.check_stable_rate(0.08)
    assert lesson.check_stable_rate(2 / 25)
    assert lesson.check_stable_rate(0.2, curvatures=(1, 10))
    assert "✅" in capsys.readouterr().out
    for wrong in (None, "fast", 0.1, 0.2, 1.0, -0.08):
        assert not lesson.check_stable_rate(wrong)
    assert not lesson.check_stable_rate(2.0)
    assert "gentle direction" in capsys.readouterr().out
    assert not lesson.check_stable_rate(0.04)
    assert "lands exactly on the bottom" in capsys.readouterr().out


def test_stable_rate_checker_agrees_with_descent():
    """Just below the rate the checker accepts, descent on that bowl converges; just above, it diverges."""
    below = lesson.descent_path(0.079, steps=200, curvatures=(1.0, 25.0))[1]
    above = lesson.descent_path(0.081, steps=200, curvatures=(1.0, 25.0))[1]
    assert below[-1] < below[0] < above[-1]


def test_effective_step_checker(capsys):
    assert lesson.check_effective_step(0.04)
    assert lesson.check_effective_step(0.002 / (1 - 0.95))
    assert lesson.check_effective_step("0.04")
    assert lesson.check_effective_step(0.1, lr=0.01, momentum=0.9)
    assert "✅" in capsys.readouterr().out
    for wrong, hint in ((0.02, "Ten times holds for momentum 0.9"), (0.002, "the rate itself"),
                        (0.0019, "1 / (1 - β)"), (0.002 / 0.95, "1 / (1 - β)"), (0.0001, "wrong way"),
                        (None, "steady slope"), ("fast", "steady slope"), (0.4, "steady slope"), (-0.04, "steady slope")):
        assert not lesson.check_effective_step(wrong)
        assert hint in capsys.readouterr().out


def test_effective_step_checker_agrees_with_torch():
    """The answer the checker accepts is the step torch's SGD with that momentum reaches on a steady slope."""
    weight = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=0.002, momentum=0.95)
    for _ in range(400):
        before = weight.item()
        weight.grad = torch.ones(1)
        optimizer.step()
    assert lesson.check_effective_step(before - weight.item())


def test_onecycle_start_checker(capsys):
    assert lesson.check_onecycle_start(0.004)
    assert lesson.check_onecycle_start(0.1 / 25)
    assert lesson.check_onecycle_start(0.002, max_lr=0.05)
    assert "0.1 / 25 = 0.004" in capsys.readouterr().out
    for wrong in (None, "0.004x", 0.01, 0.0, 0.04):
        assert not lesson.check_onecycle_start(wrong)
    assert not lesson.check_onecycle_start(0.1)
    assert "That is the peak" in capsys.readouterr().out


def test_scaled_rate_checker(capsys):
    assert lesson.check_scaled_rate(0.08)
    assert lesson.check_scaled_rate(0.01 * 512 / 64)
    assert not lesson.check_scaled_rate(0.04)            # Exercise 2's answer, or the batch of 256 of an older version
    assert lesson.check_scaled_rate(0.2, base_lr=0.1, base_batch=32, new_batch=64)
    assert "✅" in capsys.readouterr().out
    for wrong, hint in ((0.00125, "wrong way"), (0.01 * 8 ** 0.5, "square-root"), (0.01, "fewer steps"),
                        (None, "same factor"), (0.4, "same factor")):
        assert not lesson.check_scaled_rate(wrong)
        assert hint in capsys.readouterr().out


@pytest.mark.parametrize("lr, verdict", [(0.001, "crawls"), (0.02, "crawls"), (0.1, "converges"),
                                         (0.18, "converges, zig-zagging"), (0.199, "zig-zags, barely converging"),
                                         (0.21, "diverges"), (1.0, "diverges")])
def test_descent_summary_verdicts(lr, verdict, capsys):
    result = lesson.descent_summary(lr)
    assert result["verdict"] == verdict
    assert capsys.readouterr().out.strip() == (f"learning rate {lr:.3g}: loss {result['first_loss']:.3g} -> "
                                               f"{result['last_loss']:.3g} after 30 steps ({verdict})")
    assert result["points"].shape == (31, 2) and len(result["losses"]) == 31


def test_descent_verdict_rules():
    """The rules the notebook states: diverges (ends above the start), crawls (above 1%), converges, zig-zags."""
    def path(ys, losses):
        return torch.tensor([[0.0, y] for y in ys], dtype=torch.float64), losses
    assert lesson.descent_verdict(*path([1, 1, 1], [10, 5, 11])) == "diverges"
    assert lesson.descent_verdict(*path([1, 1, 1], [10, 5, 0.2])) == "crawls"
    assert lesson.descent_verdict(*path([1, 1, 1], [10, 5, 0.05])) == "converges"
    assert lesson.descent_verdict(*path([1, -1, 1], [10, 5, 0.2])) == "zig-zags, barely converging"
    assert lesson.descent_verdict(*path([1, -1, 1], [10, 5, 0.05])) == "converges, zig-zagging"
    assert lesson.descent_verdict(*path([1, 1, 1], [10, 5, math.inf])) == "diverges"
    rolled = torch.tensor([[-1.0, 1.0], [0.5, 1.0], [0.2, 1.0]], dtype=torch.float64)   # x changes sign
    assert lesson.descent_verdict(rolled, [10, 5, 0.2]) == "swings past the bottom"
    assert lesson.descent_verdict(rolled, [10, 5, 0.05]) == "converges"


@pytest.mark.parametrize("lr", [0.001, 0.01, 0.05, 0.1, 0.18, 0.2, 0.5, 1.0])
def test_plain_descent_never_swings_past_the_bottom(lr):
    """The fifth verdict is momentum's: with lr <= 1 plain descent shrinks x without changing its sign."""
    assert lesson.descent_summary(lr)["verdict"] != "swings past the bottom"


@pytest.mark.parametrize("lr, verdict", [(0.02, "swings past the bottom"), (0.3, "swings past the bottom"),
                                         (0.39, "diverges")])
def test_descent_summary_verdicts_with_momentum(lr, verdict):
    assert lesson.descent_summary(lr, momentum=0.9)["verdict"] == verdict


@pytest.mark.parametrize("exponent, verdict", [(-1.55, "converges"), (-1.45, "swings past the bottom"),
                                               (-1.15, "converges")])
def test_momentum_verdict_flips_with_the_swing(exponent, verdict, capsys):
    """Slider values (10 ** exponent): with momentum 0.9 the verdict flips as the rate rises, as the notebook warns."""
    assert lesson.descent_summary(10 ** exponent, momentum=0.9)["verdict"] == verdict
    assert "depends on where the ball is in its swing" in capsys.readouterr().out


def test_descent_summary_without_momentum_prints_one_line(capsys):
    lesson.descent_summary(0.05)
    assert len(capsys.readouterr().out.strip().splitlines()) == 1


def test_descent_path_with_momentum_follows_the_update_rule():
    """velocity = β velocity + gradient, point -= lr velocity, as torch.optim.SGD(momentum=β) does."""
    points, _ = lesson.descent_path(0.02, steps=5, momentum=0.9)
    start = torch.tensor(lesson.BOWL_START, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([start], lr=0.02, momentum=0.9)
    curvature = torch.tensor(lesson.BOWL_CURVATURES, dtype=torch.float64)
    expected = [start.detach().clone()]
    for _ in range(5):
        optimizer.zero_grad()
        (0.5 * (curvature * start ** 2).sum()).backward()
        optimizer.step()
        expected.append(start.detach().clone())
    assert torch.allclose(points, torch.stack(expected))
    assert torch.equal(lesson.descent_path(0.1, momentum=0.0)[0], lesson.descent_path(0.1)[0])


def test_momentum_is_stable_up_to_2_times_1_plus_beta_over_curvature():
    below = lesson.descent_path(0.37, steps=200, momentum=0.9)[1]
    above = lesson.descent_path(0.39, steps=200, momentum=0.9)[1]
    assert below[-1] < below[0] < above[-1]


@pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5, "high", None, True])
def test_descent_path_rejects_bad_momentum(momentum):
    with pytest.raises(ValueError, match="momentum must be a number from 0"):
        lesson.descent_path(0.1, momentum=momentum)


def test_descent_path_follows_the_update_rule():
    points, losses = lesson.descent_path(0.05, steps=3)
    x0, y0 = lesson.BOWL_START
    a, b = lesson.BOWL_CURVATURES
    expected = torch.tensor([[x0 * (1 - 0.05 * a) ** k, y0 * (1 - 0.05 * b) ** k] for k in range(4)],
                            dtype=torch.float64)
    assert torch.allclose(points, expected)
    assert torch.allclose(losses, 0.5 * (a * expected[:, 0] ** 2 + b * expected[:, 1] ** 2))


def test_descent_summary_text_changes_with_the_rate(capsys):
    lesson.descent_summary(0.01)
    lesson.descent_summary(0.5)
    first, second = capsys.readouterr().out.splitlines()
    assert first != second and "crawls" in first and "diverges" in second


@pytest.mark.parametrize("lr", [0, -1, None, "fast", math.nan])
def test_descent_path_rejects_bad_rates(lr):
    with pytest.raises(ValueError, match="learning rate must be a positive number"):
        lesson.descent_path(lr)


def test_descent_path_rejects_bad_steps():
    with pytest.raises(ValueError, match="steps must be a positive whole number"):
        lesson.descent_path(0.1, steps=0)


def test_descent_explorer_has_a_log_slider_and_redraws(capsys):
    explorer = lesson.make_descent_explorer()
    slider, momentum = explorer.children[0], explorer.children[1]
    assert type(slider).__name__ == "FloatLogSlider" and slider.description == "learning rate"
    assert not slider.continuous_update and slider.base == 10 and (slider.min, slider.max) == (-3, 0)
    assert type(momentum).__name__ == "Dropdown" and momentum.description == "momentum"
    assert momentum.value == 0.0 and [value for _, value in momentum.options] == [0.0, 0.5, 0.9]
    slider.value = 0.5                                  # what a student's drag does
    assert explorer.result is None                      # the callback draws and returns nothing
    assert "learning rate 0.5: " in capsys.readouterr().out
    assert lesson.descent_summary(slider.value)["verdict"] == "diverges"
    momentum.value = 0.9                                # and a student's pick from the menu
    assert "learning rate 0.5, momentum 0.9: " in capsys.readouterr().out
    slider.value = 0.3                                  # beyond plain descent's limit 0.2, momentum 0.9 holds
    assert "learning rate 0.3, momentum 0.9: loss 19.2 -> 1.08 after 30 steps (swings past the bottom)" \
        in capsys.readouterr().out


def blobs(count=512, seed=0):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (count,), generator=generator)
    points = torch.randn(count, 2, generator=generator) + 3 * labels.unsqueeze(1).float()
    return TensorLoader(points, labels, batch_size=32, shuffle=True)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_find_learning_rate_sweeps_restores_and_suggests(optimizer):
    utils.set_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    before = [p.detach().clone() for p in model.parameters()]
    rates, losses, suggestion = utils.training.find_learning_rate(model, blobs(), optimizer=optimizer,
                                                                  start_lr=1e-4, end_lr=100.0, steps=100)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters())), "weights must be put back"
    assert len(rates) == len(losses) <= 100 and rates == sorted(rates) and rates[0] == pytest.approx(1e-4)
    assert suggestion == pytest.approx(rates[losses.index(min(losses))] / 10)
    assert min(losses) < 0.5 * losses[0], "the loss should fall somewhere in the sweep"
    assert len(rates) < 100 or losses[-1] > min(losses), "the sweep stops once the loss blows up"


@pytest.mark.parametrize("kwargs, message", [
    ({"start_lr": 1.0, "end_lr": 0.1}, "end_lr .* must be larger than start_lr"),
    ({"start_lr": 0}, "learning rate must be a positive number"),
    ({"steps": 5}, "steps must be a whole number of at least 10"),
    ({"smoothing": 1.0}, "smoothing must be at least 0 and below 1"),
    ({"optimizer": "rmsprop"}, "Unknown optimizer 'rmsprop'"),
])
def test_find_learning_rate_explains_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        utils.training.find_learning_rate(nn.Linear(2, 2), blobs(), **kwargs)
