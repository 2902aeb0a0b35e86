"""Lesson 08's helpers, exercise checkers and explorer, for notebooks/08_putting_it_together.ipynb.

The lesson's project: read the handwritten digits 5-9 (labels 0-4) from 20 labelled examples per
class, starting from the CNN pretrained on the digits 0-4 that lesson 07 used.
"""

import functools
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import display
from torch import nn

from .checks import is_close, report
from .data import DATA_DIR, TensorLoader, load_tensors, split_off, take_per_class
from .models import load_checkpoint, make_cnn
from .plotting import COLORS
from .seeds import make_generator, set_seed
from .training import evaluate, fit

CHECKPOINT = DATA_DIR / "checkpoints" / "mnist_0to4_cnn.pt"   # lesson 07's source model, digits 0-4
PER_CLASS, VAL_PER_CLASS = 20, 50        # labelled training and validation examples per class
CLASS_NAMES = ["5", "6", "7", "8", "9"]  # label c is the digit c + 5
NOISE_LEVELS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)   # shares of training labels the explorer redraws at random
MODEL_SIZES = {"small head (128 units)": 128, "big head (1,024 units)": 1024}   # the explorer's two heads


def corrupt_labels(labels: torch.Tensor, fraction: float, classes: int = 10, seed: int = 0) -> torch.Tensor:
    """Return a copy of `labels` in which a `fraction` of them, picked at random, get a random class
    (any of the `classes`, the right one included). How many end up wrong is Exercise 08.1."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be a share from 0 to 1, e.g. 0.3 for 30%; got {fraction!r}.")
    generator = make_generator(seed)
    count = round(fraction * len(labels))
    picked = torch.randperm(len(labels), generator=generator)[:count].to(labels.device)
    noisy = labels.clone()
    noisy[picked] = torch.randint(0, classes, (count,), generator=generator).to(labels.device)
    return noisy


def digits_task(device="cpu", per_class: int = PER_CLASS, val_per_class: int = VAL_PER_CLASS) -> tuple:
    """Return (train_x, train_y, val_x, val_y, test_x, test_y) for the digits 5-9, relabelled 0-4.

    Drawn as the notebook draws them: MNIST's training images of 5-9 are split in two halves; the
    labelled training examples come from one half and the validation examples from the other, so
    the two never share an image. The test set is all of MNIST's test images of 5-9.
    """
    images, labels = load_tensors("mnist", device=device)
    test_x, test_y = load_tensors("mnist", train=False, device=device)
    keep, test_keep = labels >= 5, test_y >= 5
    pool_x, pool_y = images[keep], labels[keep] - 5
    (half_a_x, half_a_y), (half_b_x, half_b_y) = split_off(pool_x, pool_y, len(pool_y) // 2, seed=0)
    train_x, train_y = take_per_class(half_a_x, half_a_y, per_class, seed=1)
    val_x, val_y = take_per_class(half_b_x, half_b_y, val_per_class, seed=2)
    return train_x, train_y, val_x, val_y, test_x[test_keep], test_y[test_keep] - 5


def pretrained_cnn(hidden: int = 128, device="cpu") -> nn.Sequential:
    """Return lesson 07's CNN pretrained on the digits 0-4 (checksum checked), with a new, random head.

    The conv blocks (`model[:9]`) keep their pretrained weights; the two dense layers are replaced by
    fresh ones: 1,568 features -> `hidden` -> 5 classes.
    """
    model = make_cnn(classes=5)
    load_checkpoint(CHECKPOINT, model=model)
    model[9], model[11] = nn.Linear(model[9].in_features, hidden), nn.Linear(hidden, 5)
    return model.to(device)


@functools.lru_cache(maxsize=2)
def _explorer_features(device: str) -> tuple:
    """Return (train features, train labels, val features, val labels): the task's images after the frozen conv blocks."""
    train_x, train_y, val_x, val_y, _, _ = digits_task(device)
    backbone = pretrained_cnn(device=device)[:9].eval()
    with torch.no_grad():
        return backbone(train_x), train_y, backbone(val_x), val_y


@functools.lru_cache(maxsize=64)
def noisy_label_run(noise: float, size: str, device: str = "cpu", epochs: int = 60) -> dict:
    """Train a new head (a key of MODEL_SIZES) on the frozen conv features, with a `noise` share of labels redrawn.

    The 100 training digits of the lesson's task (20 per class); the labels of a `noise` share of them
    are redrawn at random (corrupt_labels). Adam at 1e-3, batches of 50, `epochs` epochs and no early
    stopping, so that whatever the head can memorise, it does. The result is kept, so a setting seen
    before answers at once. Returns val_acc (on the 250 clean validation digits), seconds (the training time), the training accuracy
    against the labels it was given (noisy_train_acc) and against the true ones (clean_train_acc), and
    wrong_fitted: the share of the wrong labels that the head reproduces (None when none is wrong).
    """
    if size not in MODEL_SIZES:
        raise ValueError(f"size must be one of {', '.join(repr(name) for name in MODEL_SIZES)}; got {size!r}.")
    train_f, train_y, val_f, val_y = _explorer_features(str(device))
    noisy_y = corrupt_labels(train_y, noise, classes=5, seed=3)
    set_seed(0)
    start = time.perf_counter()
    hidden = MODEL_SIZES[size]
    head = nn.Sequential(nn.Linear(train_f.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, 5)).to(device)
    fit(head, TensorLoader(train_f, noisy_y, batch_size=50, shuffle=True), epochs=epochs, lr=1e-3, progress=False)
    seconds = time.perf_counter() - start
    wrong = noisy_y != train_y
    return {"val_acc": evaluate(head, [(val_f, val_y)])[1], "seconds": seconds,
            "noisy_train_acc": evaluate(head, [(train_f, noisy_y)])[1],
            "clean_train_acc": evaluate(head, [(train_f, train_y)])[1],
            "wrong_labels": int(wrong.sum()),
            "wrong_fitted": evaluate(head, [(train_f[wrong], noisy_y[wrong])])[1] if wrong.any() else None}


def noise_summary(noise: float, size: str, device="cpu") -> dict:
    """Run noisy_label_run, print one line about it and return its result."""
    result = noisy_label_run(float(noise), size, str(device))
    fitted = ("" if result["wrong_fitted"] is None else
              f", and repeats {result['wrong_fitted']:.0%} of the {result['wrong_labels']} wrong labels")
    print(f"{noise:.0%} of labels redrawn ({result['wrong_labels']} of 100 now wrong), {size}: fits "
          f"{result['noisy_train_acc']:.0%} of the labels it was given{fitted}; validation {result['val_acc']:.1%} "
          f"(trained in {result['seconds']:.1f} s)")
    return result


def show_noise(noise: float, size: str, device="cpu") -> None:
    """Print the summary and draw the three accuracies as bars."""
    result = noise_summary(noise, size, device)
    fig, ax = plt.subplots(figsize=(6.5, 3))
    names = ["labels it was given\n(training)", "true labels\n(training)", "validation\n(clean labels)"]
    values = [result["noisy_train_acc"], result["clean_train_acc"], result["val_acc"]]
    bars = ax.bar(names, values, color=[COLORS[0], COLORS[2], COLORS[1]])
    ax.bar_label(bars, fmt="{:.1%}")
    ax.set(ylim=(0, 1.1), ylabel="accuracy", title=f"{noise:.0%} of labels redrawn, {size}")
    fig.tight_layout()
    display(fig)
    plt.close(fig)


def make_noise_explorer(device="cpu") -> widgets.Widget:
    """Return an explorer: a slider for the share of redrawn labels and a head size; see what the head learns.

    Controls: SelectionSlider "redrawn labels" (0% to 60%), Dropdown "head". Each change trains a new
    head on the frozen conv features of the lesson's 100 training digits (the first time for a
    setting: about a second on a CPU; after that it is remembered), reprints the line "30% of labels
    redrawn (.. of 100 now wrong), small head ...: fits ..% of the labels it was given, ...;
    validation ..%" and redraws the bars.
    """
    style = {"description_width": "initial"}
    noise = widgets.SelectionSlider(options=[(f"{level:.0%}", level) for level in NOISE_LEVELS], value=0.3,
                                    description="redrawn labels", continuous_update=False, style=style)
    size = widgets.Dropdown(options=list(MODEL_SIZES), value=list(MODEL_SIZES)[0], description="head", style=style)
    return widgets.interactive(show_noise, noise=noise, size=size, device=widgets.fixed(device))


def check_wrong_share(answer, fraction: float = 0.5, classes: int = 10) -> bool:
    """Exercise 08.1: the expected share of wrong labels after corrupt_labels(labels, fraction, classes).

    Accepts the expected value within 0.02, so that a share measured on ten thousand labels (spread about 0.002: the redrawn count is fixed)
    counts too.
    """
    expected = fraction * (classes - 1) / classes
    hint = ("A redrawn label gets a random class out of all of them. How often does that random class "
            "happen to be the right one? (Or measure it: corrupt a few thousand labels and count.)")
    if is_close(answer, fraction, 1e-3, floor=0):
        hint = (f"Not every redrawn label is wrong: the random class is the right one 1 time in {classes}. "
                f"So {fraction:.0%} are redrawn, but fewer end up wrong.")
    elif is_close(answer, 100 * expected, 0.05, floor=0):
        hint = "Right idea, wrong unit: give it as a share (e.g. 0.3), not a percentage."
    else:
        for other in (2, 5, 10):
            if other != classes and is_close(answer, fraction * (other - 1) / other, 1e-3, floor=0):
                hint = f"That would be right for {other} classes; this task has {classes}."
    return report(is_close(answer, expected, 0.02 + 1e-9), f"{fraction:.0%} are redrawn and 1 in {classes} of those "
                  f"lands on the right class by chance: {fraction:g} x {classes - 1}/{classes} = {expected:g} of "
                  "the labels end up wrong, on average.", hint)


SYMPTOMS = {
    "a": "the training loss falls, but slowly: after 20 epochs it has gone only from 1.61 to 1.35, and it keeps "
         "falling at the same slow pace",
    "b": "training accuracy near 100%, validation accuracy 20 points lower",
    "c": "the loss grows for a few steps, then becomes nan",
    "d": "the training loss jitters from batch to batch around 1.6 and shows no trend at all, and every parameter "
         "of the model, biases included, compared with torch.equal before and after an epoch (of Adam at the usual "
         "rate of 1e-3), is exactly the same",
}
REMEDIES = {"raise rate": "raise the learning rate",
            "lower rate": "lower the learning rate",
            "regularise": "more data, augmentation, early stopping, dropout or weight decay",
            "fix the loop": "check the training code: is optimizer.step() called, is anything left to train?"}
_RIGHT_REMEDY = {"a": "raise rate", "b": "regularise", "c": "lower rate", "d": "fix the loop"}


def _normalised(answer, names, synonyms: dict) -> dict | None:
    """The answer dict with keys and values in lower case, trimmed, and each value mapped to one of `names`.

    A synonym (e.g. 'train' for 'training') counts as its name. None if the answer is not such a dict.
    """
    if not isinstance(answer, dict) or not all(isinstance(v, str) and isinstance(k, str) for k, v in answer.items()):
        return None
    tidy = {key.strip().lower(): " ".join(value.strip().lower().replace("_", " ").split()).strip(" .")
            for key, value in answer.items()}
    tidy = {key: synonyms.get(value, value) for key, value in tidy.items()}
    return tidy if all(value in names for value in tidy.values()) else None


def check_first_knob(answer) -> bool:
    """Exercise 08.2: a dict {symptom letter: remedy name} matching each symptom of SYMPTOMS to a key of REMEDIES."""
    hint = (f"Answer with a dict such as {{'a': '...', 'b': '...', 'c': '...', 'd': '...'}}, using the names "
            f"{', '.join(repr(name) for name in REMEDIES)}.")
    answer = _normalised(answer, REMEDIES, {"regularize": "regularise", "fix loop": "fix the loop",
                                            **{words: name for name, words in REMEDIES.items()}})   # the printed wording too
    if answer is not None and set(answer) == set(SYMPTOMS):
        wrong = [letter for letter in SYMPTOMS if answer[letter] != _RIGHT_REMEDY[letter]]
        hints = {"a": "(a): the loss does fall, steadily, just slowly: the steps are too small (lesson 03's 'too low').",
                 "b": "(b): a large train-validation gap is overfitting (lesson 04).",
                 "c": "(c): a loss that grows and then blows up to nan means the steps are too large (lesson 03's "
                      "'too high').",
                 "d": "(d): a model whose parameters all stay exactly the same, biases included, means no update reached "
                      "them (even with every ReLU dead, the last layer's bias still gets a gradient, so no usable learning "
                      "rate explains it); the jitter around log 5 = 1.61, "
                      "a guess among 5 classes, comes from the different images in each batch. No learning rate "
                      "fixes that; look for a missing optimizer.step(), an optimiser built on another model's parameters, "
                      "or zero_grad() called between backward() and step()."}
        hint = " ".join(hints[letter] for letter in wrong)
        return report(not wrong, "Slow but steady: raise the rate. Gap: regularise. Growing to nan: lower the rate. "
                                 "Not moving at all: fix the loop.", hint)
    return report(False, "", hint)


JOBS = {
    "a": "adjust the weights",
    "b": "decide whether augmentation helps",
    "c": "pick the learning rate",
    "d": "decide when to stop training",
    "e": "say how well the finished model will do on new images",
}
SPLITS = ("training", "validation", "test")
_SPLIT_SYNONYMS = {"train": "training", "training set": "training", "train set": "training",
                   "val": "validation", "valid": "validation", "validation set": "validation", "val set": "validation",
                   "dev": "validation", "test set": "test", "testing": "test",
                   "training data": "training", "validation data": "validation", "test data": "test"}
_RIGHT_SPLIT = {"a": "training", "b": "validation", "c": "validation", "d": "validation", "e": "test"}


def check_split_jobs(answer) -> bool:
    """Exercise 08.3: a dict {job letter: split} naming the data set each job of JOBS uses."""
    hint = (f"Answer with a dict such as {{'a': '...', 'b': '...', ...}} with one of {', '.join(map(repr, SPLITS))} "
            f"for each of the letters {', '.join(JOBS)}.")
    answer = _normalised(answer, SPLITS, _SPLIT_SYNONYMS)
    if answer is not None and set(answer) == set(JOBS):
        wrong = [letter for letter in JOBS if answer[letter] != _RIGHT_SPLIT[letter]]
        hints = {"a": "(a): the weights learn from the training set, and only from it.",
                 "e": "(e): the test set, read once at the very end, is the only data no choice has looked at."}
        choice = ("({}): this is a choice, and every choice is made on validation: a choice made on the test set "
                  "makes its score optimistic, one made on the training set rewards memorising.")
        hint = " ".join(hints.get(letter, choice.format(letter)) for letter in wrong)
        return report(not wrong, "Training data adjusts the weights, validation data makes every choice "
                                 "(augmentation, rate, when to stop), and the test set is read once, at the end.", hint)
    return report(False, "", hint)


_DECISIONS = {"fine-tune": {"fine-tune", "fine tune", "finetune", "fine-tuning", "fine tuning", "finetuning",
                            "unfreeze"},
              "keep frozen": {"keep frozen", "frozen", "keep it frozen", "feature extraction", "keep the frozen backbone",
                              "stay frozen"}}


def _decision(answer) -> str | None:
    """Return 'fine-tune' or 'keep frozen' for an answer that names one of them, else None."""
    words = str(answer).strip().lower().replace("_", " ").strip(" .!") if isinstance(answer, str) else None
    return next((name for name, forms in _DECISIONS.items() if words in forms), None)


def check_finetune_decision(answer, frozen, finetuned, tie: float, val_size: int | None = None) -> bool:
    """Exercise 08.4: 'fine-tune' or 'keep frozen', decided by the project's rule on the students' own runs.

    `frozen` and `finetuned` hold one validation accuracy per seed (the same seeds); the rule adopts the change
    (fine-tuning) only if its mean beats the frozen backbone's by more than `tie`; a tie keeps the cheaper frozen one.
    With `val_size` (the number of validation images), each score must be a whole number of them out of
    `val_size`, as a real validation accuracy is: this catches only values that are not whole images (0.99 of 250), not
    every made-up score.
    """
    runs = [list(scores) if isinstance(scores, (list, tuple)) else None for scores in (frozen, finetuned)]
    usable = all(r and all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in r) for r in runs)
    if not usable or len(runs[0]) != len(runs[1]):
        return report(False, "", "First fill `finetuned` with one validation accuracy per seed (the 'val_acc' of "
                                 "train's result, a share between 0 and 1), for the same seeds as `frozen`.")
    if val_size and any(abs(v * val_size - round(v * val_size)) > 1e-3 for v in runs[1]):
        return report(False, "", f"These are not accuracies on the {val_size} validation images (each would be a whole "
                                 f"number of images out of {val_size}): use the 'val_acc' of train's result for each run.")
    copied = sorted(runs[1]) == sorted(runs[0])   # a copy of frozen's list, or (rarely) a real coincidence
    if copied:
        print("Note: `finetuned` holds the same numbers as `frozen` (in some order). If you copied them, train the "
              "pretrained CNN with every layer trainable (no frozen=) and use its scores; if your runs really "
              "scored these, the rule below still applies.")
    gain = sum(runs[1]) / len(runs[1]) - sum(runs[0]) / len(runs[0])
    right = "fine-tune" if gain > tie else "keep frozen"
    facts = (f"With the numbers you gave (the checker cannot see your runs, only these scores), fine-tuning's mean is "
             f"{100 * gain:+.1f} points from the frozen backbone's over {len(runs[0])} seeds, against a tie of {100 * tie:.1f} points")
    if _decision(answer) is None:
        return report(False, "", f"{facts}. Answer 'fine-tune' or 'keep frozen', by the rule of section 2: a change "
                                 "is adopted only if it wins by more than a tie.")
    verdict = ("more than a tie, so the change is adopted: fine-tune." if right == "fine-tune" else
               "not more than a tie, so the cheaper frozen backbone stays.")
    return report(_decision(answer) == right, f"{facts}: {verdict}",
                  f"{facts}. The rule adopts a change only when it wins by more than a tie, and a tie (or a loss) "
                  "goes to the cheaper option, the frozen backbone.")
