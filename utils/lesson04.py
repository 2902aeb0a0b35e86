"""Lesson 04's exercise checkers and explorer, for notebooks/04_overfitting.ipynb."""

import functools
import re

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from .checks import report
from .data import load_tensors, split_off
from .models import make_mlp
from .plotting import COLORS
from .seeds import set_seed
from .training import evaluate, make_optimizer


def early_stopping_epochs(val_acc, patience: int) -> tuple[int, int]:
    """Return (last epoch trained, epoch whose weights are kept), counting from 1, as utils.fit does it."""
    best, best_epoch, waited = float("-inf"), 0, 0
    for epoch, accuracy in enumerate(val_acc, start=1):
        if accuracy > best:                       # only a strict improvement resets the count
            best, best_epoch, waited = accuracy, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return len(val_acc), best_epoch


def _whole_pair(answer) -> tuple[int, int] | None:
    """Return `answer` as a pair of whole numbers, or None if it is not one."""
    if not isinstance(answer, (tuple, list)):
        return None
    try:
        first, second = answer
        if float(first) != int(first) or float(second) != int(second):
            return None
        return int(first), int(second)
    except (TypeError, ValueError, OverflowError):
        return None


def check_early_stopping(answer, val_acc=(0.62, 0.70, 0.73, 0.72, 0.75, 0.75, 0.74, 0.73, 0.77),
                         patience: int = 3) -> bool:
    """Exercise 04.1: (the epoch where early stopping stops, the epoch whose weights it restores)."""
    stop, best = early_stopping_epochs(val_acc, patience)
    pair = _whole_pair(answer)
    hint = ("Answer with two whole numbers in parentheses, (stop epoch, restored epoch), e.g. (4, 2). "
            "Walk through the list epoch by epoch, counting epochs since the last new best.")
    if pair is not None:
        guess_stop, guess_best = pair
        ties_count = early_stopping_epochs([a + 1e-9 * i for i, a in enumerate(val_acc)], patience)
        overall_best = max(range(len(val_acc)), key=lambda i: (val_acc[i], -i)) + 1
        if pair == (stop, best):
            hint = ""
        elif pair == ties_count:
            hint = ("A tie is not an improvement: the counter resets only when validation accuracy "
                    "beats the best so far, as in utils.fit (`val_acc > best_acc`).")
        elif guess_best == overall_best and overall_best > stop:
            hint = (f"Epoch {overall_best} is the best of the whole list, but training stops before it: "
                    "early stopping cannot restore an epoch it never trained.")
        elif (guess_stop == stop and 1 <= guess_best <= stop and guess_best > best
              and val_acc[guess_best - 1] == val_acc[best - 1]):
            hint = (f"The stop epoch is right, and epoch {guess_best} ties the best, but a tie does not replace "
                    f"the saved weights: the first epoch to reach the best, epoch {best}, is kept (`val_acc > best_acc`).")
        elif guess_stop == stop:
            hint = ("The stop epoch is right. The weights restored are those of the epoch with the best "
                    "validation accuracy among the epochs trained.")
        elif guess_best == best:
            hint = (f"The restored epoch is right. Training stops once {patience} epochs in a row "
                    "have brought no new best: count them after the best epoch.")
    return report(pair == (stop, best),
                  f"It trains up to epoch {stop} ({patience} epochs without a new best after epoch {best}) "
                  f"and restores the weights of epoch {best}.", hint)


def shared_images(first: torch.Tensor, second: torch.Tensor) -> int:
    """Return how many images of `first` also appear in `second`, pixel for pixel (to 3 decimals).

    Each image becomes one whole number (its pixels, rounded, times fixed random weights, summed), so
    equal images give equal numbers and two sets can be compared as sets of numbers.
    """
    weights = torch.randint(1, 2 ** 20, (first[0].numel(),), generator=torch.Generator().manual_seed(0))

    def fingerprints(images):
        return set(((images.flatten(1).cpu() * 1000).round().long() * weights).sum(1).tolist())

    return len(fingerprints(first) & fingerprints(second))


OVERFITTING_GAP = 0.10     # a training-validation gap above this many points (as a fraction) is overfitting
UNDERFITTING_BELOW = 0.80  # a training accuracy below this (with a small gap) is underfitting, here


def diagnose(train_acc: float, val_acc: float) -> str:
    """Return 'overfitting', 'underfitting' or 'good fit' for a run, by the rule of exercise 04.2."""
    if round(train_acc - val_acc, 9) > OVERFITTING_GAP:     # rounded: 0.90 - 0.80 and 0.80 - 0.70 are both 10 points
        return "overfitting"
    if round(train_acc, 9) < UNDERFITTING_BELOW:
        return "underfitting"
    return "good fit"


_DIAGNOSIS_WORDS = {
    "overfitting": ("overfitting", "overfit", "overfitted", "overfits", "over fitting", "over fit", "over fitted",
                    "memorising", "memorizing", "memorised", "memorized", "memorisation", "memorization",
                    "overfitting model", "overfitted model", "high variance"),
    "underfitting": ("underfitting", "underfit", "underfitted", "underfits", "under fitting", "under fit",
                     "under fitted", "high bias"),
    "good fit": ("good fit", "goodfit", "good", "good fitting", "well fit", "well fitted", "fits well", "fit well",
                 "just right", "generalises well", "generalizes well", "generalising", "generalizing",
                 "generalising well", "generalizing well"),
}


def _words(text: str) -> str:
    """Return `text` in lower case, hyphens and underscores as spaces, one space between words, without
    punctuation at either end or a note in brackets ('Overfitting.', 'good fit (I think)')."""
    text = re.sub(r"\(.*?\)", " ", text.lower().replace("-", " ").replace("_", " "))
    return " ".join(text.split()).strip(" .,;:!?'\"")


def _core(part: str) -> str:
    """Return a diagnosis without a leading article or a trailing 'model' ('a good fit', 'overfit model')."""
    part = re.sub(r"^(a|an|the) ", "", part.strip())
    return re.sub(r" (model|network)$", "", part)


def normalise_diagnosis(word) -> str | None:
    """Return 'overfitting', 'underfitting' or 'good fit' for a student's word for it, or None if not one."""
    if not isinstance(word, str):
        return None
    labels = {next((label for label, words in _DIAGNOSIS_WORDS.items() if _core(part) in words), None)
              for part in _words(word).split("/")}                  # 'underfitting/high bias' names one diagnosis
    return labels.pop() if len(labels) == 1 else None


def check_diagnosis(answer, runs=None) -> bool:
    """Exercise 04.2: {run name: 'overfitting' | 'underfitting' | 'good fit'} for runs of (train acc, val acc).

    Synonyms count: 'overfit', 'over-fitting', 'underfit', 'good-fit', 'good' and the like.
    """
    runs = runs or {"A": (1.00, 0.74), "B": (0.66, 0.65), "C": (0.92, 0.89)}
    expected = {name: diagnose(*accuracies) for name, accuracies in runs.items()}
    if isinstance(answer, dict):                                       # {'a': ...} names run 'A' too
        by_lower = {str(name).lower(): name for name in runs}
        answer = {by_lower.get(str(key).strip().lower(), key): value for key, value in answer.items()}
    if not isinstance(answer, dict) or set(answer) != set(runs):
        return report(False, "", f"Answer with a dict that names every run, e.g. "
                      f"{{{', '.join(repr(name) + ': ...' for name in runs)}}}, each value one of "
                      "'overfitting', 'underfitting' or 'good fit'.")
    unknown = [name for name in runs if normalise_diagnosis(answer[name]) is None]
    if unknown:
        return report(False, "", f"{unknown[0]}: {answer[unknown[0]]!r} is not one of the three diagnoses. "
                      "Use 'overfitting', 'underfitting' or 'good fit'.")
    wrong = [name for name in runs if normalise_diagnosis(answer[name]) != expected[name]]
    hint = ""
    if wrong:
        name = wrong[0]
        train_acc, val_acc = runs[name]
        hint = (f"{len(runs) - len(wrong)} of {len(runs)} right. Look again at {name}: training "
                f"{train_acc:.0%}, validation {val_acc:.0%}. First compare the two (is the gap more than "
                f"{100 * OVERFITTING_GAP:.0f} points?), then ask whether training accuracy itself is high.")
    return report(not wrong, "A big gap means memorising (overfitting); a small gap at a low training "
                  "accuracy means the model cannot even fit its training data (underfitting).", hint)


CRITERIA = {"validation accuracy": ("val_acc", max), "validation loss": ("val_loss", min)}
_CRITERION_WORDS = {
    "validation accuracy": ("validation accuracy", "val acc", "val accuracy", "validation acc", "accuracy"),
    "validation loss": ("validation loss", "val loss", "loss"),
}


def _criterion(word) -> str | None:
    """Return 'validation accuracy', 'validation loss', 'test', 'backwards' (e.g. 'highest validation
    loss', which picks the worst row) or None for a student's criterion."""
    if not isinstance(word, str):
        return None
    call = re.fullmatch(r"\s*(max|min)\s*\((.*)\)\s*", word.lower())   # max(val_acc), min(history["val_loss"])
    if call:
        word = f"{'highest' if call[1] == 'max' else 'lowest'} {re.sub(r'[^a-z]+', ' ', call[2])}"
    text = _words(word).removeprefix("the ")
    contrast = re.split(r"\s*,?\s*\b(?:but not|not|rather than|instead of)\b", text)[0].strip(" ,;")
    if contrast and contrast != text:   # 'validation accuracy, not loss': the criterion is what comes first
        text = contrast
    text = re.sub(r"^most accurate\b", "highest accuracy", text)
    high = ("highest ", "max ", "maximum ", "largest ", "greatest ", "top ", "biggest ", "higher ", "maximise ", "maximize ")
    low = ("lowest ", "min ", "minimum ", "smallest ", "lower ", "least ", "minimise ", "minimize ")
    text = re.sub(r"\bnegative log ?likelihood\b", "loss", text)      # the negative log-likelihood is the loss
    most = least = False                            # 'highest ...' / 'lowest ...': which way the student looks
    if text.startswith("worst "):                   # 'worst validation loss' picks the worst row, whatever follows
        return "backwards"
    for extreme in (*high, *low, "best "):          # "highest validation accuracy" is fine
        if text.startswith(extreme):
            most, least = most or extreme in high, least or extreme in low
        text = text.removeprefix(extreme)
    if re.search(r"\btest(s|ing)?\b", text) and (not re.search(r"\bval(idation)?\b", text)   # 'test' alone, not
            or re.search(r"\b(and|plus|&)\b", text)):  # inside 'greatest'; 'validation and test accuracy' uses the test set too
        return "test"                               # ('validation accuracy, not test' lost its contrast clause above)
    if re.search(r"\blikelihood\b", text) and not re.search(r"\bacc(uracy)?\b", text):   # the likelihood is loss's opposite
        return ("backwards" if least else "validation loss") if not re.search(r"\btrain", text) else None
    if re.search(r"\berrors?\b|\bmisclassification|\bmistakes?\b", text) and not re.search(r"\bacc(uracy)?\b|\bloss\b|\btrain", text):
        return "backwards" if most else "validation accuracy"   # the lowest error rate is the highest accuracy
    found = _named_criterion(text)
    if (found == "validation accuracy" and least) or (found == "validation loss" and most):
        return "backwards"
    return found


def _named_criterion(text: str) -> str | None:
    """Return the criterion that `text` (without 'highest', 'lowest' ...) names, or None."""
    if text in _CRITERION_WORDS["validation accuracy"] or text in _CRITERION_WORDS["validation loss"]:
        return next(name for name, words in _CRITERION_WORDS.items() if text in words)
    if re.search(r"\btrain", text):               # training accuracy or loss is not a criterion for choosing
        return None
    accuracy = re.search(r"\bacc(uracy)?\b", text)    # other phrasings: 'accuracy on the validation set', 'val. acc'
    loss = re.search(r"\bloss\b|\bcross ?entropy\b|\bnll\b|\blog ?likelihood\b", text)
    if accuracy and not loss:
        return "validation accuracy"
    if loss and not accuracy:
        return "validation loss"
    return None


def best_by(results: dict, criterion: str) -> list[str]:
    """Return the rows of `results` that are best by `criterion` ('validation accuracy' or 'validation loss')."""
    key, pick = CRITERIA[criterion]
    best = pick(row[key] for row in results.values())
    return [name for name, row in results.items() if row[key] == best]


def check_choice(answer, results: dict) -> bool:
    """Exercise 04.3: (row name, criterion): the row that is best by the criterion the student names.

    The criterion is 'validation accuracy' (highest) or 'validation loss' (lowest): the lesson uses both.
    A bare name is turned away: naming the criterion is the point. A choice by test accuracy is never right.
    """
    if not results:
        raise ValueError("check_choice needs the results table: a dict {name: {'val_acc': ..., 'val_loss': ...}}.")
    winners = {criterion: best_by(results, criterion) for criterion in CRITERIA}
    paired = isinstance(answer, (tuple, list)) and len(answer) == 2
    name, criterion = (answer[0], _criterion(answer[1])) if paired else (answer, None)
    peeking = ("Choosing by the test set turns it into a second validation set, and its score stops being an "
               "honest estimate. Choose by 'validation accuracy' or 'validation loss'.")
    if isinstance(name, str) and name not in results:   # 'Dropout (0.65)' or ' baseline ': the same row
        name = next((row for row in results if row.lower() == name.strip().lower()), name)
    if not isinstance(name, str) or name not in results:
        names = ", ".join(repr(row) for row in results)
        return report(False, "", f"Answer with (name, criterion): one of the names {names}, and "
                      "'validation accuracy' or 'validation loss', e.g. (\"baseline\", \"validation accuracy\").")
    if criterion == "test":
        return report(False, "", peeking)
    if not paired:                                  # the criterion is the exercise's point: a bare name is not enough
        test_best = all("test_acc" in row for row in results.values()) and \
            name == max(results, key=lambda row: results[row]["test_acc"])
        if test_best and not any(name in winners[c] for c in CRITERIA):
            return report(False, "", "That row has the best *test* accuracy. " + peeking)
        return report(False, "", f"Name your criterion too: ({name!r}, 'validation accuracy') or ({name!r}, "
                      "'validation loss'). A row is only the best by some criterion, fixed before looking.")
    if criterion == "backwards":
        return report(False, "", f"{answer[1]!r} looks for the worst row: the best has the highest validation "
                      "accuracy (the lowest validation error) or the lowest validation loss.")
    if criterion is None:
        return report(False, "", f"{answer[1]!r} is not a criterion this lesson uses: name "
                      "'validation accuracy' or 'validation loss'.")
    fitting = [c for c in CRITERIA if name in winners[c] and criterion in (None, c)]
    if not fitting:
        asked = [criterion] if criterion else list(CRITERIA)
        columns = {"validation accuracy": "'validation acc.' column (the highest)",
                   "validation loss": "'validation loss' column (the lowest)"}
        hint = ("That row is not the best by that criterion: read the table's "
                + " or the ".join(columns[c] for c in asked) + " again.")
        if all("test_acc" in row for row in results.values()) and \
                name == max(results, key=lambda row: results[row]["test_acc"]):
            hint = "That row has the best *test* accuracy. " + peeking
        return report(False, "", hint)
    others = "".join(f" By {c} you would pick {winners[c][0]!r}: also a fair choice, if it is the one you decided on "
                     "before looking." for c in CRITERIA if c not in fitting)
    return report(True, f"{name!r} is the best row by {' and by '.join(fitting)}.{others} When rows differ by "
                  "less than one run's noise, the choice between them is close to a coin toss: another seed or "
                  "more validation images would tell them apart.", "")


GAP_SIZES = (50, 100, 250, 500, 1000, 2000, 4000)   # training-set sizes the explorer offers
GAP_WIDTHS = (8, 16, 32, 64, 128, 256, 512)          # hidden-layer widths it offers


@functools.lru_cache(maxsize=2)
def _gap_data(device: str) -> tuple:
    """Return ((rest_x, rest_y), (val_x, val_y)): Fashion-MNIST training images with 1,000 held out."""
    return split_off(*load_tensors("fashion_mnist", train=True, device=device), 1000, seed=0)


@functools.lru_cache(maxsize=16)
def _gap_training_set(device: str, train_size: int, seed: int) -> tuple:
    """Return (train_x, train_y): the `train_size` training images train_val_gap uses (kept: a slider comes back)."""
    rest_x, rest_y = _gap_data(device)[0]
    return split_off(rest_x, rest_y, train_size, seed=seed + 1)[1]


def train_val_gap(train_size: int, width: int, dropout: float = 0.0, steps: int = 240, seed: int = 0,
                  device="cpu") -> dict:
    """Train a [784, width, width, 10] MLP on `train_size` Fashion-MNIST images; return its accuracies.

    Adam (1e-3), batches of 50, `steps` updates whatever the set size. The training images are the
    ones make_loaders("fashion_mnist", train_size=..., val_size=1000) picks. Prints one line:
    "250 training images, width 512, dropout 0.0: training 100.0%, validation 75.5%, gap 24.5 points".
    Returns train_acc, val_acc, gap and history: [(step, train_acc, val_acc), ...] at 10 checkpoints.
    """
    if isinstance(train_size, bool) or not isinstance(train_size, int) or not 10 <= train_size <= 59_000:
        raise ValueError(f"train_size must be a whole number from 10 to 59000; got {train_size!r}.")
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive whole number, e.g. 512; got {width!r}.")
    if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a probability from 0 up to (not including) 1, e.g. 0.5; got {dropout!r}.")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 10:
        raise ValueError(f"steps must be a whole number of at least 10; got {steps!r}.")
    val_x, val_y = _gap_data(str(device))[1]
    train_x, train_y = _gap_training_set(str(device), train_size, seed)
    seen_x, seen_y = train_x[:1000], train_y[:1000]       # up to 1,000 training images to score as we go
    set_seed(seed)
    model = make_mlp([784, width, width, 10], dropout=float(dropout)).to(device)
    optimizer = make_optimizer("adam", model.parameters(), lr=1e-3)   # fused: the explorer answers ~2x sooner
    history, order = [], torch.empty(0, dtype=torch.long)
    for step in range(1, steps + 1):
        if len(order) < 50:                                # a fresh shuffle once the set is used up
            order = torch.randperm(train_size, device=train_y.device)
        batch, order = order[:50], order[50:]
        model.train()
        loss = torch.nn.functional.cross_entropy(model(train_x[batch]), train_y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % (steps // 10) == 0 or step == steps:
            history.append((step, evaluate(model, [(seen_x, seen_y)])[1], evaluate(model, [(val_x, val_y)])[1]))
    train_acc = evaluate(model, [(train_x, train_y)])[1]
    val_acc = history[-1][2]
    gap = train_acc - val_acc
    print(f"{train_size} training images, width {width}, dropout {dropout:.1f}: training {train_acc:.1%}, "
          f"validation {val_acc:.1%}, gap {100 * gap:.1f} points")
    return {"train_acc": train_acc, "val_acc": val_acc, "gap": gap, "history": history}


def show_train_val_gap(train_size: int, width: int, dropout: float = 0.0, device="cpu") -> None:
    """Print the summary of train_val_gap and draw its accuracy curves and the final gap."""
    result = train_val_gap(train_size, width, dropout, device=device)
    steps, train_accs, val_accs = zip(*result["history"])
    fig, (curve_ax, bar_ax) = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"width_ratios": [2, 1]})
    curve_ax.plot(steps, train_accs, "o-", color=COLORS[0], label="training")
    curve_ax.plot(steps, val_accs, "o--", color=COLORS[1], label="validation")
    curve_ax.fill_between(steps, val_accs, train_accs, color=COLORS[3], alpha=0.15, label="gap")
    curve_ax.set(xlabel="weight updates", ylabel="accuracy", ylim=(0, 1.02),
                 title=f"{train_size} images, width {width}, dropout {dropout:.1f}")
    curve_ax.legend(loc="lower right", fontsize=8)
    bars = bar_ax.bar(["training", "validation"], [result["train_acc"], result["val_acc"]],
                      color=[COLORS[0], COLORS[1]])
    bar_ax.bar_label(bars, fmt="{:.1%}")
    bar_ax.set(ylim=(0, 1.1), ylabel="accuracy", title=f"gap: {100 * result['gap']:.1f} points")
    fig.tight_layout()
    display(fig)
    plt.close(fig)


def make_overfitting_explorer(device="cpu") -> widgets.Widget:
    """Return an explorer: sliders for training-set size, model width and dropout that retrain a small MLP.

    Controls: SelectionSlider "training images" (50 to 4000), SelectionSlider "width" (8 to 512),
    FloatSlider "dropout" (0 to 0.8). Each change retrains (about 1 s on a 2-core CPU), reprints the line
    "250 training images, width 512, dropout 0.0: training 100.0%, validation ..%, gap .. points"
    and redraws the accuracy curves and the train/validation bars.
    """
    style = {"description_width": "initial"}
    size = widgets.SelectionSlider(options=GAP_SIZES, value=250, description="training images",
                                   continuous_update=False, style=style)
    width = widgets.SelectionSlider(options=GAP_WIDTHS, value=512, description="width",
                                    continuous_update=False, style=style)
    dropout = widgets.FloatSlider(value=0.0, min=0.0, max=0.8, step=0.1, description="dropout",
                                  continuous_update=False, style=style)
    return widgets.interactive(show_train_val_gap, train_size=size, width=width, dropout=dropout,
                               device=widgets.fixed(device))
