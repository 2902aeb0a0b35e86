"""Lesson 08's exercise checkers and explorer, for notebooks/08_putting_it_together.ipynb."""

import functools

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from .checks import is_close, report
from .data import TensorLoader, load_tensors, split_off
from .models import make_mlp
from .plotting import COLORS
from .seeds import make_generator, set_seed
from .training import evaluate, fit

NOISE_LEVELS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)   # shares of training labels the explorer corrupts
MODEL_SIZES = {"small (784-64-10)": [784, 64, 10], "big (784-512-512-10)": [784, 512, 512, 10]}


def corrupt_labels(labels: torch.Tensor, fraction: float, classes: int = 10, seed: int = 0) -> torch.Tensor:
    """Return a copy of `labels` in which a `fraction` of them, picked at random, get a random class.

    A random class is the right one by chance 1 time in `classes`, so the share of wrong labels
    ends up near fraction * (classes - 1) / classes.
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be a share from 0 to 1, e.g. 0.3 for 30%; got {fraction!r}.")
    generator = make_generator(seed)
    count = round(fraction * len(labels))
    picked = torch.randperm(len(labels), generator=generator)[:count].to(labels.device)
    noisy = labels.clone()
    noisy[picked] = torch.randint(0, classes, (count,), generator=generator).to(labels.device)
    return noisy


@functools.lru_cache(maxsize=2)
def _explorer_data(device: str) -> tuple:
    """Return (train_x, train_y, val_x, val_y): 1,000 Fashion-MNIST training images and 2,000 for validation."""
    (rest_x, rest_y), (val_x, val_y) = split_off(*load_tensors("fashion_mnist", device=device), 2000, seed=0)
    _, (train_x, train_y) = split_off(rest_x, rest_y, 1000, seed=1)
    return train_x, train_y, val_x, val_y


@functools.lru_cache(maxsize=64)
def noisy_label_run(noise: float, size: str, device: str = "cpu", epochs: int = 15) -> dict:
    """Train the `size` MLP (a key of MODEL_SIZES) on 1,000 images with a `noise` share of labels corrupted.

    Adam at 1e-3, batches of 100, `epochs` epochs; the result is kept, so a setting seen before
    answers at once. Returns val_acc, and the training accuracy against the labels it was given
    (noisy_train_acc) and against the true ones (clean_train_acc).
    """
    if size not in MODEL_SIZES:
        raise ValueError(f"size must be one of {', '.join(repr(name) for name in MODEL_SIZES)}; got {size!r}.")
    train_x, train_y, val_x, val_y = _explorer_data(str(device))
    noisy_y = corrupt_labels(train_y, noise, seed=2)
    set_seed(0)
    model = make_mlp(MODEL_SIZES[size]).to(device)
    fit(model, TensorLoader(train_x, noisy_y, batch_size=100, shuffle=True), epochs=epochs, lr=1e-3, progress=False)
    return {"val_acc": evaluate(model, [(val_x, val_y)])[1],
            "noisy_train_acc": evaluate(model, [(train_x, noisy_y)])[1],
            "clean_train_acc": evaluate(model, [(train_x, train_y)])[1]}


def noise_summary(noise: float, size: str, device="cpu") -> dict:
    """Run noisy_label_run, print one line about it and return its result."""
    result = noisy_label_run(float(noise), size, str(device))
    print(f"{noise:.0%} of labels corrupted, {size} model: fits {result['noisy_train_acc']:.1%} of the labels it "
          f"was given ({result['clean_train_acc']:.1%} of the true ones); validation {result['val_acc']:.1%}")
    return result


def show_noise(noise: float, size: str, device="cpu") -> None:
    """Print the summary and draw the three accuracies as bars."""
    result = noise_summary(noise, size, device)
    fig, ax = plt.subplots(figsize=(6.5, 3))
    names = ["labels it was given\n(training)", "true labels\n(training)", "validation"]
    values = [result["noisy_train_acc"], result["clean_train_acc"], result["val_acc"]]
    bars = ax.bar(names, values, color=[COLORS[0], COLORS[2], COLORS[1]])
    ax.bar_label(bars, fmt="{:.1%}")
    ax.set(ylim=(0, 1.1), ylabel="accuracy", title=f"{noise:.0%} noisy labels, {size} model")
    fig.tight_layout()
    display(fig)
    plt.close(fig)


def make_noise_explorer(device="cpu") -> widgets.Widget:
    """Return an explorer: a slider for the share of corrupted labels and a model size; see what it learns.

    Controls: SelectionSlider "corrupted labels" (0% to 60%), Dropdown "model". Each change trains
    (the first time for a setting: about a second on a CPU; after that it is remembered), reprints
    the line "30% of labels corrupted, small ... model: fits ..% of the labels it was given (..% of
    the true ones); validation ..%" and redraws the bars.
    """
    style = {"description_width": "initial"}
    noise = widgets.SelectionSlider(options=[(f"{level:.0%}", level) for level in NOISE_LEVELS], value=0.3,
                                    description="corrupted labels", continuous_update=False, style=style)
    size = widgets.Dropdown(options=list(MODEL_SIZES), value=list(MODEL_SIZES)[0], description="model", style=style)
    return widgets.interactive(show_noise, noise=noise, size=size, device=widgets.fixed(device))


def check_wrong_share(answer, fraction: float = 0.3, classes: int = 10) -> bool:
    """Exercise 08.1: the expected share of wrong labels after corrupt_labels(labels, fraction)."""
    expected = fraction * (classes - 1) / classes
    hint = ("A corrupted label gets a random class out of all of them. How often does that random class "
            "happen to be the right one?")
    if is_close(answer, fraction, 1e-3, floor=0):
        hint = (f"Not every corrupted label is wrong: the random class is the right one 1 time in {classes}. "
                f"So {fraction:.0%} are redrawn, but fewer end up wrong.")
    elif is_close(answer, 100 * expected, 1e-3, floor=0):
        hint = "Right idea, wrong unit: give it as a share (e.g. 0.5), not a percentage."
    return report(is_close(answer, expected, 1e-3, floor=0),
                  f"{fraction:.0%} are redrawn and 1 in {classes} of those lands on the right class by chance: "
                  f"{fraction:g} x {classes - 1}/{classes} = {expected:g} of the labels end up wrong.", hint)


SYMPTOMS = {
    "a": "training loss stays flat at about 2.3 from the first step",
    "b": "training accuracy near 100%, validation accuracy 20 points lower",
    "c": "the loss becomes nan after a few steps",
}
REMEDIES = {"learning rate": "raise the learning rate", "regularise": "more data, early stopping, dropout or weight decay",
            "lower rate": "lower the learning rate"}
_RIGHT_REMEDY = {"a": "learning rate", "b": "regularise", "c": "lower rate"}


def check_first_knob(answer) -> bool:
    """Exercise 08.2: a dict {symptom letter: remedy name} matching each symptom of SYMPTOMS to a key of REMEDIES."""
    hint = (f"Answer with a dict such as {{'a': '...', 'b': '...', 'c': '...'}}, using the names "
            f"{', '.join(repr(name) for name in REMEDIES)}.")
    if isinstance(answer, dict) and set(answer) == set(SYMPTOMS) and set(answer.values()) <= set(REMEDIES):
        wrong = [letter for letter in SYMPTOMS if answer[letter] != _RIGHT_REMEDY[letter]]
        hints = {"a": "(a): a loss stuck at log 10 ≈ 2.3 means nothing is being learned: the steps are too small "
                      "(lesson 03's 'too low').",
                 "b": "(b): a large train-validation gap is overfitting (lesson 04).",
                 "c": "(c): a loss that blows up to nan means the steps are too large (lesson 03's 'too high')."}
        hint = " ".join(hints[letter] for letter in wrong)
        return report(not wrong, "Flat loss: raise the rate. Gap: regularise. nan: lower the rate.", hint)
    return report(False, "", hint)
