"""Lesson 01's exercise checkers, for notebooks/01_what_is_deep_learning.ipynb."""


import torch

from .checks import is_close, report
from .models import count_parameters, make_mlp


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
    return report(is_close(answer, expected, 1e-3),
                  f"z = {z:g}, and sigmoid({z:g}) = {expected:.4f}.", hint)


def check_activation_range(answer) -> bool:
    """Exercise 01.2: name the activation whose outputs fill (-1, 1), negative for negative inputs."""
    functions = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}
    z = torch.linspace(-5, 5, 101)
    fits = {name: bool(f(z).min() > -1 and f(z).max() < 1 and f(z[z < 0]).max() < 0)
            for name, f in functions.items()}
    name = getattr(answer, "__name__", type(answer).__name__) if not isinstance(answer, str) else answer
    name = name.strip().lower().removeprefix("torch.").removeprefix("nn.").strip("()")
    if name not in functions:
        return report(False, "", 'Answer with one of the names "relu", "sigmoid" or "tanh", as a string.')
    hints = {"relu": "ReLU has no upper limit: relu(100) = 100, and it is never negative.",
             "sigmoid": "Sigmoid stays inside (-1, 1), but its outputs are never negative: its range is (0, 1)."}
    return report(fits[name], f"{name} squashes every input into (-1, 1), centred on 0.",
                  hints.get(name, "Try plotting each function for inputs from -5 to 5."))


def check_mlp_parameters(answer, layer_sizes=(784, 100, 30, 10)) -> bool:
    """Exercise 01.3: number of parameters of the fully connected network with these layer widths."""
    expected = count_parameters(make_mlp(list(layer_sizes)))
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    weights_only = sum(n_in * n_out for n_in, n_out in pairs)
    hint = "For each nn.Linear(n_in, n_out) add n_in * n_out weights and n_out biases, then add up the layers."
    if is_close(answer, weights_only):
        hint = "You counted the weights. Each neuron also has one bias: add n_out for every layer."
    sum_text = " + ".join(f"({n_in} x {n_out} + {n_out})" for n_in, n_out in pairs)
    return report(is_close(answer, expected), f"{sum_text} = {expected:,}.", hint)
