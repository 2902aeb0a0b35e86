"""Lesson 01 (what deep learning is): the exercise checkers tell right answers from wrong ones."""

import math

import pytest
import torch
from torch import nn

from utils import lesson01 as lesson


def test_neuron_output_checker(capsys):
    right = 1 / (1 + math.exp(0.25))  # z = 1*0.5 + 2*(-0.25) + (-1)*1 + 0.75 = -0.25
    assert lesson.check_neuron_output(right)
    assert lesson.check_neuron_output(torch.sigmoid(torch.tensor(-0.25)))  # a 0-d tensor works too
    assert lesson.check_neuron_output(round(right, 3))
    assert "✅" in capsys.readouterr().out
    assert lesson.check_neuron_output(0.437)  # 3 decimals, cut off rather than rounded, is fine too
    assert "✅" in capsys.readouterr().out
    for wrong in (None, "0.44x", 0.5, 1.0, -0.3):
        assert not lesson.check_neuron_output(wrong)
    assert "❌" in capsys.readouterr().out


@pytest.mark.parametrize("too_rounded", [0.44, 0.4])
def test_neuron_output_checker_asks_for_three_decimals(capsys, too_rounded):
    assert not lesson.check_neuron_output(too_rounded)
    assert "3 decimals" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (-0.25, "Now apply the activation"),                        # forgot the sigmoid
    (0.0, "That is what ReLU would give"),                      # used ReLU
    (1 / (1 + math.exp(1.0)), "don't forget to add the bias"),  # sigmoid(w.x) without the bias
])
def test_neuron_output_checker_explains_common_mistakes(capsys, wrong, hint):
    assert not lesson.check_neuron_output(wrong)
    assert hint in capsys.readouterr().out


def test_neuron_output_checker_gives_the_rounding_hint_only_to_rounded_answers(capsys):
    for slip in (0.43, 0.447):           # near, but not the right value rounded: an arithmetic slip
        assert not lesson.check_neuron_output(slip)
        assert "3 decimals" not in capsys.readouterr().out


def test_neuron_output_checker_computes_its_answer():
    assert lesson.check_neuron_output(torch.sigmoid(torch.tensor(2.0)).item(), (1.0, 1.0), (1.0, 1.0), 0.0)
    assert not lesson.check_neuron_output(0.4378, (1.0, 1.0), (1.0, 1.0), 0.0)


@pytest.mark.parametrize("right", ["tanh", " Tanh ", "torch.tanh", "hyperbolic tangent", torch.tanh, nn.Tanh, nn.Tanh()])
def test_same_range_checker_accepts_tanh(capsys, right):
    assert lesson.check_same_range(right)
    assert "tanh(z / 2)" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    ("sigmoid", "Work out where g's run"), (torch.sigmoid, "Work out where g's run"), ("logistic", "Work out"),
    ("relu", "no upper limit"), (nn.ReLU(), "no upper limit"),
    (None, "as a string"), ("softmax", "as a string"), (1, "as a string"),
])
def test_same_range_checker_rejects_others(capsys, wrong, hint):
    assert not lesson.check_same_range(wrong)
    assert hint in capsys.readouterr().out


def test_same_range_checker_agrees_with_the_identity():
    z = torch.linspace(-8, 8, 161)
    assert torch.allclose(2 * torch.sigmoid(z) - 1, torch.tanh(z / 2), atol=1e-6)  # the solution's claim


def test_mlp_parameters_checker(capsys):
    right = (784 * 100 + 100) + (100 * 30 + 30) + (30 * 10 + 10)
    assert lesson.check_mlp_parameters(right)
    assert lesson.check_mlp_parameters(float(right))
    assert "81,840" in capsys.readouterr().out
    for wrong in (None, right + 1, right - 10, "many"):
        assert not lesson.check_mlp_parameters(wrong)
    assert not lesson.check_mlp_parameters(784 * 100 + 100 * 30 + 30 * 10)  # weights only
    assert "bias" in capsys.readouterr().out


def test_mlp_parameters_checker_reads_a_number_written_with_a_comma(capsys):
    assert lesson.check_mlp_parameters("81,840")
    answer = 81,840                      # what a student types after reading "81,840": a tuple
    assert not lesson.check_mlp_parameters(answer)
    out = capsys.readouterr().out
    assert "without a comma" in out and "Your count itself is right" in out
    assert not lesson.check_mlp_parameters((81, 841))
    assert "Your count itself is right" not in capsys.readouterr().out


def test_mlp_parameters_checker_computes_its_answer():
    assert lesson.check_mlp_parameters(2 * 3 + 3 + 3 * 1 + 1, layer_sizes=(2, 3, 1))
    assert not lesson.check_mlp_parameters(81840, layer_sizes=(2, 3, 1))


def test_neighbour_correlation_tells_noise_from_smooth_patterns():
    generator = torch.Generator().manual_seed(0)
    noise = torch.randn(64, 784, generator=generator)
    assert abs(lesson.neighbour_correlation(noise)) < 0.05
    smooth = torch.nn.functional.avg_pool2d(torch.randn(64, 1, 32, 32, generator=generator), 5, stride=1).reshape(64, 784)
    assert lesson.neighbour_correlation(smooth) > 0.5
    assert lesson.neighbour_correlation(smooth.double().requires_grad_()) > 0.5  # a model's weights work as they are


def test_figures_draw():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    weights = torch.randn(12, 784)
    lesson.show_weight_images({"before": weights, "after": weights.cumsum(1)})
    labels = torch.arange(100) % 10
    representations = {"pixels": torch.randn(100, 784), "hidden 1": torch.randn(100, 16)}
    lesson.plot_representations(representations, labels, points=60)
    assert lesson.project_2d(torch.randn(50, 8)).shape == (50, 2)
    plt.close("all")


def test_label_free_change_moves_each_neuron_as_far_as_training_did():
    torch.manual_seed(0)
    start, trained = torch.randn(5, 784), torch.randn(5, 784)
    images = torch.rand(50, 1, 28, 28)
    control = lesson.label_free_change(start, trained, images, seed=1)
    assert torch.allclose((control - start).norm(dim=1), (trained - start).norm(dim=1), rtol=1e-4)
    assert torch.equal(control, lesson.label_free_change(start, trained, images, seed=1))   # seeded: the same control
    assert not torch.equal(control, lesson.label_free_change(start, trained, images, seed=2))
