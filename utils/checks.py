"""Exercise checkers: each tells a right answer from a wrong one, prints feedback, returns a bool."""

import torch


def report(correct: bool, praise: str, hint: str) -> bool:
    """Print a tick and `praise` if correct, else a cross and `hint`; return `correct`."""
    print(f"✅ Correct! {praise}" if correct else f"❌ Not yet. {hint}")
    return correct


def is_close(answer, expected: float, tolerance: float = 1e-6) -> bool:
    """Return whether `answer` is a number within `tolerance` (relative) of `expected`."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False
    return abs(value - expected) <= tolerance * max(1.0, abs(expected))


def is_same_tensor(answer, expected: torch.Tensor, tolerance: float = 1e-5) -> bool:
    """Return whether `answer` is a tensor of the expected shape and values."""
    return (isinstance(answer, torch.Tensor) and answer.shape == expected.shape
            and torch.allclose(answer.float(), expected.float(), atol=tolerance))


# Each lesson's checkers follow, in lesson order. A checker takes the student's answer, prints
# feedback through `report`, and returns True or False; tests/ call each one with right and wrong answers.

# --- 01 What deep learning is ---

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
    from .models import count_parameters, make_mlp
    expected = count_parameters(make_mlp(list(layer_sizes)))
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    weights_only = sum(n_in * n_out for n_in, n_out in pairs)
    hint = "For each nn.Linear(n_in, n_out) add n_in * n_out weights and n_out biases, then add up the layers."
    if is_close(answer, weights_only):
        hint = "You counted the weights. Each neuron also has one bias: add n_out for every layer."
    sum_text = " + ".join(f"({n_in} x {n_out} + {n_out})" for n_in, n_out in pairs)
    return report(is_close(answer, expected), f"{sum_text} = {expected:,}.", hint)

# --- 02 The training loop ---

def check_cross_entropy(answer, logits=(2.0, 0.5, -1.0), label: int = 1) -> bool:
    """Exercise 02.1: cross-entropy loss of one example with these logits and true class `label`."""
    scores = torch.tensor(logits, dtype=torch.float64)
    expected = torch.nn.functional.cross_entropy(scores.unsqueeze(0), torch.tensor([label])).item()
    probability = torch.softmax(scores, dim=0)[label].item()
    hint = "Softmax the logits (exp, then divide by the sum), pick the true class's probability p, answer -log(p)."
    if is_close(answer, probability, 1e-3):
        hint = f"That is the probability of the true class, p = {probability:.4f}. The loss is -log(p)."
    elif is_close(answer, -expected, 1e-3):
        hint = "Check the sign: the loss is MINUS the log of the probability, so it is positive."
    elif is_close(answer, expected / torch.log(torch.tensor(10.0)).item(), 1e-3):
        hint = "That is the base-10 logarithm. Cross-entropy uses the natural log: math.log or torch.log."
    elif is_close(answer, -(scores[label] / scores.sum()).log().item(), 1e-3):
        hint = "Exponentiate the logits before dividing by their sum: that is what the softmax does."
    return report(is_close(answer, expected, 1e-3),
                  f"The true class gets p = {probability:.4f}, so the loss is -log(p) = {expected:.4f}.", hint)


def check_gradient(answer, w: float = 1.0, x: float = 2.0, y: float = 5.0) -> bool:
    """Exercise 02.2: derivative of f(w) = (w*x - y)**2 with respect to w, at the given point."""
    weight = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    ((weight * x - y) ** 2).backward()
    expected = weight.grad.item()
    hint = "Chain rule: the derivative of (something)**2 is 2 * something * (derivative of something)."
    if is_close(answer, 2 * (w * x - y), 1e-6):
        hint = f"Almost: the inner part w*x - y also has a derivative with respect to w, namely x = {x:g}."
    elif is_close(answer, -expected, 1e-6):
        hint = "Check the sign: at this w, w*x - y is negative."
    elif is_close(answer, (w * x - y) ** 2, 1e-6):
        hint = "That is the value of f itself. The question asks for its derivative df/dw."
    return report(is_close(answer, expected, 1e-6),
                  f"df/dw = 2(wx - y) * x = {expected:g}: increasing w lowers f here.", hint)


def check_steps_per_epoch(answer, examples: int = 50_000, batch_size: int = 64) -> bool:
    """Exercise 02.3: number of mini-batch steps in one epoch over `examples` with this batch size."""
    expected = -(-examples // batch_size)
    hint = "Divide the number of training images by the batch size, and think about what happens to the rest."
    if is_close(answer, examples // batch_size):
        hint = (f"{examples:,} / {batch_size} leaves {examples % batch_size} images over: they make one more, "
                "smaller batch, and that is a step too.")
    elif is_close(answer, examples / batch_size):
        hint = "Steps are whole numbers: round to a whole number of batches (up or down?)."
    return report(is_close(answer, expected),
                  f"{examples:,} / {batch_size} = {examples / batch_size:g}, so {expected} steps "
                  f"(the last batch has {examples - (expected - 1) * batch_size} images).", hint)

# --- 03 Learning rates ---

# --- 04 Overfitting ---

# --- 05 Convolutional networks ---

# --- 06 Data augmentation ---

# --- 07 Transfer learning ---
