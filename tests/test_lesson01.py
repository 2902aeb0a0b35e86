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
    for wrong in (None, "0.44x", 0.5, 1.0, -0.3):
        assert not lesson.check_neuron_output(wrong)
    assert "❌" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (-0.25, "Now apply the activation"),                        # forgot the sigmoid
    (0.0, "That is what ReLU would give"),                      # used ReLU
    (1 / (1 + math.exp(1.0)), "don't forget to add the bias"),  # sigmoid(w.x) without the bias
])
def test_neuron_output_checker_explains_common_mistakes(capsys, wrong, hint):
    assert not lesson.check_neuron_output(wrong)
    assert hint in capsys.readouterr().out


def test_neuron_output_checker_computes_its_answer():
    assert lesson.check_neuron_output(torch.sigmoid(torch.tensor(2.0)).item(), (1.0, 1.0), (1.0, 1.0), 0.0)
    assert not lesson.check_neuron_output(0.4378, (1.0, 1.0), (1.0, 1.0), 0.0)


@pytest.mark.parametrize("right", ["tanh", " Tanh ", "torch.tanh", torch.tanh, nn.Tanh, nn.Tanh()])
def test_activation_range_checker_accepts_tanh(capsys, right):
    assert lesson.check_activation_range(right)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    ("sigmoid", "never negative"), (torch.sigmoid, "never negative"), ("relu", "no upper limit"),
    (nn.ReLU(), "no upper limit"), (None, "as a string"), ("softmax", "as a string"), (1, "as a string"),
])
def test_activation_range_checker_rejects_others(capsys, wrong, hint):
    assert not lesson.check_activation_range(wrong)
    assert hint in capsys.readouterr().out


def test_mlp_parameters_checker(capsys):
    right = (784 * 100 + 100) + (100 * 30 + 30) + (30 * 10 + 10)
    assert lesson.check_mlp_parameters(right)
    assert lesson.check_mlp_parameters(float(right))
    assert "81,840" in capsys.readouterr().out
    for wrong in (None, right + 1, right - 10, "many"):
        assert not lesson.check_mlp_parameters(wrong)
    assert not lesson.check_mlp_parameters(784 * 100 + 100 * 30 + 30 * 10)  # weights only
    assert "bias" in capsys.readouterr().out


def test_mlp_parameters_checker_computes_its_answer():
    assert lesson.check_mlp_parameters(2 * 3 + 3 + 3 * 1 + 1, layer_sizes=(2, 3, 1))
    assert not lesson.check_mlp_parameters(81840, layer_sizes=(2, 3, 1))
