"""Lesson 07's helpers, for notebooks/07_transfer_learning.ipynb.

Exercise checkers (check_conv_share, check_frozen_conv, check_new_head, check_probe_rate), the
explorer of section 9 (transfer_features, label_budget_accuracy, make_transfer_explorer), the linear
probes of section 8 (linear_probe, probe_budgets) and the network check of section 11 (can_reach).
"""

import math
import socket
import threading
import time
from urllib.parse import urlparse

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import display
from torch import nn

from .checks import is_close, report
from .data import TensorLoader, take_per_class
from .models import count_parameters, make_cnn
from .plotting import COLORS
from .seeds import set_seed
from .training import fit, predict


def _conv_cut(model) -> int | None:
    """Return the index just past a make_cnn model's nn.Flatten() (where its conv blocks end), or None."""
    if not isinstance(model, torch.nn.Sequential):
        return None
    return next((i + 1 for i, layer in enumerate(model) if isinstance(layer, torch.nn.Flatten)), None)


def _shortened(value: float, digits, cut_off: bool = False) -> list:
    """`value` rounded (or, with cut_off, cut off) to each number of significant digits in `digits`."""
    if cut_off:
        return [math.floor(value / 10 ** (e := math.floor(math.log10(value)) - d + 1)) * 10 ** e for d in digits]
    return [float(f"{value:.{d}g}") for d in digits]


def check_conv_share(answer, classes: int = 5) -> bool:
    """Exercise 07.1: the fraction of utils.make_cnn(classes=classes)'s parameters that sit in its conv blocks."""
    model = make_cnn(classes=classes)
    cut = _conv_cut(model)
    conv = sum(p.numel() for p in model[:cut].parameters())
    conv_only = sum(p.numel() for layer in model[:cut] if isinstance(layer, nn.Conv2d) for p in layer.parameters())
    total = sum(p.numel() for p in model.parameters())
    expected = conv / total
    weights_only = sum(layer.weight.numel() for layer in model[:cut] if isinstance(layer, nn.Conv2d))
    with_buffers = sum(value.numel() for value in model[:cut].state_dict().values())
    all_entries = sum(value.numel() for value in model.state_dict().values())
    biases = [sum(layer.bias.numel() for layer in model[:cut] if isinstance(layer, kind)) for kind in (nn.Conv2d, nn.BatchNorm2d)]
    hint = (f"Count the parameters of the layers before nn.Flatten(), e.g. utils.count_parameters(model[:{cut}]), "
            "and divide by utils.count_parameters(model).")
    if answer is None:
        hint = "Replace None with your answer: the conv blocks' share of all the parameters, a fraction between 0 and 1."
    elif is_close(answer, 100 * expected, 0.05):
        hint = "That looks like a percentage: give a fraction between 0 and 1."
    elif is_close(answer, conv_only / total, 0.005, floor=0.0):
        hint = ("That counts only the Conv2d layers: batch norm's weight and bias belong to the conv blocks "
                f"too. Count all of model[:{cut}].")
    elif is_close(answer, weights_only / total, 5e-3, floor=0.0):
        hint = ("That counts only the conv kernels' weights: their biases and batch norm's weight and bias belong to "
                f"the conv blocks too. Count every parameter of model[:{cut}].")
    elif is_close(answer, with_buffers / total, 1e-3, floor=0.0) or is_close(answer, with_buffers / all_entries, 1e-3, floor=0.0):
        hint = ("That includes batch norm's running statistics (buffers in state_dict(), not parameters the optimiser "
                "trains): count parameters only, e.g. with utils.count_parameters.")
    elif is_close(answer, 1 - expected, 0.001):
        hint = "That is the share of the dense layers; the question asks about the conv blocks."
    elif is_close(answer, conv, 0.001):
        hint = f"That is the number of conv-block parameters; divide it by the total, {total:,}."
    elif any(is_close(answer, (conv - left_out) / total, 1e-4) for left_out in biases if left_out):
        hint = f"That leaves out some biases (of the conv or batch-norm layers): count every parameter of model[:{cut}]."
    elif is_close(answer, conv / (total - conv), 0.005, floor=0.0):
        hint = ("That divides the conv blocks' count by the dense layers' count; divide it by the whole "
                f"model's count, {total:,}.")
    elif classes != 10 and is_close(answer, count_parameters((ten := make_cnn())[:cut]) / count_parameters(ten), 5e-6):   # 0.02365
        hint = (f"That matches the share for utils.make_cnn()'s default of 10 classes (0.02365); the exercise's "
                f"network has {classes}: build utils.make_cnn(classes={classes}).")
    elif any(is_close(answer, short, 1e-9, floor=0.0) for short in _shortened(expected, range(1, 4))):
        hint = "Close, but rounded too far: give four significant digits."   # 0.02, 0.024 or 0.0237 for 0.02372
    elif any(is_close(answer, short, 1e-9, floor=0.0) for short in _shortened(expected, [4], cut_off=True)):
        hint = "Close: round (don't cut off) to four significant digits, or give the value Python computes."
    return report(is_close(answer, expected, 5e-6),      # four significant digits: 0.02372, not 0.02371 or 0.02373
                  f"{conv:,} of {total:,} parameters, {expected:.1%}: the part that transferred to the digits 5 to 9 "
                  "is tiny; almost all the weights are in the first dense layer.", hint)


def check_frozen_conv(model) -> bool:
    """Exercise 07.2: a make_cnn model whose conv blocks are frozen and whose dense layers still train."""
    cut = _conv_cut(model)
    if cut is None:
        return report(False, "", "Pass the model itself: a utils.make_cnn(...) network (an nn.Sequential "
                                 "whose conv blocks end with nn.Flatten()).")
    conv = [p.requires_grad for p in model[:cut].parameters()]
    dense = [p.requires_grad for p in model[cut:].parameters()]
    hint = "Switch off the gradient (requires_grad) of every parameter of the layers before nn.Flatten()."
    if not dense:
        hint = "That is only the conv blocks (it ends with nn.Flatten()): pass the whole model, dense layers included."
    elif not any(dense):
        hint = "You froze everything: the dense layers must keep learning, they are the part that fits the new task."
    elif not all(dense):
        hint = "Some dense-layer parameters are frozen too: only the layers before nn.Flatten() should be."
    elif any(conv) and not all(conv):
        hint = "Some conv-block parameters still train: freeze all of them (the batch-norm layers too)."
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return report(bool(conv) and bool(dense) and not any(conv) and all(dense),
                  f"{trainable:,} of {total:,} parameters still train. To train it with the blocks really "
                  "frozen, use utils.fit(model, loader, frozen=model[:9]): it also keeps them in eval mode, "
                  "so batch norm keeps its running statistics.", hint)


def check_new_head(model, checkpoint: dict, classes: int = 3) -> bool:
    """Exercise 07.3: the pretrained model with only its last layer replaced, now for `classes` classes.

    Compares the parameters of every layer but the last with the checkpoint's, in order (batch norm's
    running statistics only for being left at their start: a forward pass in training mode changes them), and the kinds of those layers
    (ReLU and pooling included) with utils.make_cnn's, so a model nested as
    nn.Sequential(model[:-1], new_layer) counts too; then judges the new last layer on its own (with or
    without a bias, whatever its starting weights).
    """
    if not isinstance(model, torch.nn.Module) or not isinstance(list(model.modules())[-1], torch.nn.Linear):
        return report(False, "", "Pass the model itself: the pretrained utils.make_cnn(...) network, with a "
                                 "new nn.Linear as its last layer.")
    if not isinstance(checkpoint, dict):
        raise ValueError(f"checkpoint must be the dict utils.load_checkpoint returned; got {type(checkpoint).__name__}.")
    weights = checkpoint.get("state_dict", checkpoint)
    learned = {name: tensor.cpu() for name, tensor in weights.items()
               if not ("running_" in name or "num_batches" in name)}
    last_prefix = list(learned)[-1].rsplit(".", 1)[0]            # the checkpoint's last layer, e.g. '11'
    pretrained = [tensor for name, tensor in learned.items() if name.rsplit(".", 1)[0] != last_prefix]
    old_last_in = learned[f"{last_prefix}.weight"].shape[1]
    last = list(model.modules())[-1]
    last_ids = {id(p) for p in last.parameters()}
    own = [p.detach().cpu() for p in model.parameters() if id(p) not in last_ids]
    same_start = all(a.shape == b.shape and torch.equal(a, b) for a, b in zip(own, pretrained))
    kept = len(own) == len(pretrained) and same_start
    architecture = checkpoint.get("architecture")
    reference = make_cnn(**(architecture if isinstance(architecture, dict) else {"classes": 5}))
    kinds = [type(layer) for layer in model.modules() if not list(layer.children())][:-1]   # every layer but the last
    same_kinds = kinds == [type(layer) for layer in reference.modules() if not list(layer.children())][:-1]
    hint = (f"Load the checkpoint into utils.make_cnn(classes=5) first, then replace only the last layer: "
            f"model[-1] = nn.Linear(model[-1].in_features, {classes}).")
    if len(own) > len(pretrained):
        hint = "Replace the last layer instead of adding one after it: model[-1] = nn.Linear(...)."
    elif own and len(own) < len(pretrained) and same_start:
        dropped = pretrained[len(own)]
        shape = f" ({dropped.shape[1]:,} → {dropped.shape[0]:,} features)" if dropped.dim() == 2 else ""
        hint = (f"You replaced more than the last layer: keep the dense layer{shape} and its ReLU, and replace "
                "only model[-1].")
    elif not same_kinds:
        hint = ("The layers before the new one should be the pretrained model's, all of them (its ReLUs, pooling "
                "and nn.Flatten() too): replace only the last layer, model[-1] = nn.Linear(...).")
    elif kept and last.in_features != old_last_in:
        hint = f"The new layer must take the {old_last_in} features the layer before it gives, not {last.in_features}."
    elif kept and tuple(last.weight.shape) != (classes, old_last_in) and last.out_features == classes:
        hint = ("Changing out_features does not change the layer's weights: make a new layer, "
                f"model[-1] = nn.Linear({old_last_in}, {classes}).")
    elif kept and last.out_features != classes:
        hint = f"The last layer has {last.out_features} outputs; the new task has {classes} classes."
    elif not kept and last.out_features == classes:
        hint = ("The new last layer is right, but the earlier layers lost their pretrained weights: load the "
                "checkpoint into the model before replacing its last layer.")
    right = kept and same_kinds and tuple(last.weight.shape) == (classes, old_last_in)
    learned_means = [tensor for name, tensor in weights.items() if "running_mean" in name]
    own_means = [buffer for name, buffer in model.named_buffers() if "running_mean" in name]
    if right and any(m.any() for m in learned_means) and not any(m.any() for m in own_means):
        right = False                               # weights copied, batch norm's learned statistics left at their start
        hint = ("The weights are the pretrained ones, but batch norm's running statistics are still at their "
                "starting values: they are part of what the backbone learned. Load the whole checkpoint with "
                "model.load_state_dict(...), buffers included.")
    return report(right,
                  f"Every layer but the last keeps what it learned, and a new last layer maps the "
                  f"{last.in_features} features to {classes} classes: ready to train on the new task.",
                  hint)


# What the new head sees, by how much of the pretrained model is reused (frozen) in front of it.
REUSED_LAYERS = {
    "nothing (raw pixels)": "pixels",
    "conv blocks (feature extraction)": "conv",
    "conv blocks + dense layer": "dense",
}
EXPLORER_BUDGETS = (1, 2, 5, 10, 20, 50, 100)   # labelled examples per class the explorer offers


@torch.no_grad()
def transfer_features(model: nn.Sequential, images: torch.Tensor, batch_size: int = 2048) -> dict[str, torch.Tensor]:
    """Return {'pixels', 'conv', 'dense'}: the images flattened, after the frozen conv blocks, after the dense layer.

    `model` is a utils.make_cnn network: its conv blocks end at nn.Flatten(), its dense layer is the
    Linear + ReLU before the last layer. It puts `model` in eval mode (so batch norm uses its running
    statistics) and leaves it there: call model.train() afterwards if you go on training it.
    """
    if not isinstance(model, nn.Sequential) or not any(isinstance(layer, nn.Flatten) for layer in model):
        raise ValueError("transfer_features needs a utils.make_cnn(...) model: an nn.Sequential whose conv "
                         "blocks end with nn.Flatten().")
    cut = next(i for i, layer in enumerate(model) if isinstance(layer, nn.Flatten)) + 1
    model.eval()
    conv = torch.cat([model[:cut](batch) for batch in images.split(batch_size)])
    dense = torch.cat([model[cut:-1](batch) for batch in conv.split(batch_size)])
    return {"pixels": images.flatten(1), "conv": conv, "dense": dense}


def explorer_head(features: int, classes: int, reused: str) -> nn.Module:
    """Return a fresh head for the explorer: one linear layer after the reused dense layer, else a hidden layer
    of 128 first. (Not the notebook's own new_head(), which always has the hidden layer.)"""
    if reused == "dense":
        return nn.Linear(features, classes)
    return nn.Sequential(nn.Linear(features, 128), nn.ReLU(), nn.Linear(128, classes))


def label_budget_accuracy(train: dict, train_labels: torch.Tensor, test: dict, test_labels: torch.Tensor,
                          per_class: int, reused: str = "conv", updates: int = 100, seed: int = 0,
                          scored_on: str = "validation") -> dict:
    """Train a new head on `per_class` labelled examples per class; return a dict with its accuracy on the images it scores.

    `train` and `test` are transfer_features(...) dicts: `test` holds the images it scores (in the
    notebook, the validation set; `scored_on` names them in the printout). `reused` is 'pixels', 'conv'
    or 'dense' (or a key of REUSED_LAYERS); `seed` picks the draw of training examples and the head's
    starting weights. The head trains for `updates` Adam steps on batches of up to 64 (learning rate
    1e-3, or 1e-2 for a single linear layer). Prints one line, e.g. "5 labels per class, reusing conv
    blocks (feature extraction): validation accuracy 87.6% on 250 images (head trained in 0.3 s)".
    Returns a dict {'accuracy': float, 'per_class_accuracy': [float per class], 'seconds': float}.
    """
    reused = REUSED_LAYERS.get(reused, reused)
    if reused not in train or reused not in test:
        raise ValueError(f"reused must be one of {', '.join(REUSED_LAYERS.values())} (or a name in "
                         f"REUSED_LAYERS); got {reused!r}.")
    pool = int(torch.bincount(train_labels).min())
    if isinstance(per_class, bool) or not isinstance(per_class, int) or not 1 <= per_class <= pool:
        raise ValueError(f"per_class must be a whole number from 1 to {pool} (the examples per class "
                         f"available); got {per_class!r}.")
    x, y = take_per_class(train[reused], train_labels, per_class, seed=seed)
    classes = int(train_labels.max()) + 1
    set_seed(seed)
    head = explorer_head(x.shape[1], classes, reused).to(x.device)
    loader = TensorLoader(x, y, batch_size=64, shuffle=True)
    start = time.perf_counter()
    fit(head, loader, epochs=max(1, round(updates / len(loader))), lr=1e-2 if reused == "dense" else 1e-3,
        progress=False)
    seconds = time.perf_counter() - start
    correct = predict(head, test[reused]) == test_labels
    accuracy = correct.float().mean().item()
    per_class_accuracy = [correct[test_labels == c].float().mean().item() for c in range(classes)]
    name = next(key for key, value in REUSED_LAYERS.items() if value == reused)
    print(f"{per_class} labels per class, reusing {name}: {scored_on} accuracy {accuracy:.1%} on "
          f"{len(test_labels):,} images (head trained in {seconds:.1f} s)")
    return {"accuracy": accuracy, "per_class_accuracy": per_class_accuracy, "seconds": seconds}


def make_transfer_explorer(train: dict, train_labels: torch.Tensor, test: dict, test_labels: torch.Tensor,
                           class_names: list[str] | None = None, scored_on: str = "validation",
                           draws: int = 5) -> widgets.Widget:
    """Return an explorer: how many labels, which draw of them, how much of the model to reuse -> accuracy.

    `test`, `test_labels` are the images it scores on: pass a validation set, so that nothing is chosen
    on the test set (`scored_on` names them in the printout and the plot).

    Controls: SelectionSlider "labels per class" (1 to 100), IntSlider "draw" (0 to draws - 1: which
    random set of labelled examples, and the head's starting weights) and Dropdown "reused (frozen)
    layers" (raw pixels / conv blocks / conv blocks + dense layer). Each change trains a new head (well
    under a second on a CPU), reprints the line "5 labels per class, reusing ...: validation accuracy
    ..% on .. images (head trained in .. s)" and redraws the per-class accuracy bars.
    """
    names = class_names or [str(c) for c in range(int(test_labels.max()) + 1)]

    def show(per_class: int, draw: int, reused: str) -> None:
        result = label_budget_accuracy(train, train_labels, test, test_labels, per_class, reused, seed=draw,
                                       scored_on=scored_on)
        fig, ax = plt.subplots(figsize=(6.5, 3))
        bars = ax.bar(names, result["per_class_accuracy"], color=COLORS[0])
        ax.bar_label(bars, fmt="{:.0%}", fontsize=8)
        ax.axhline(result["accuracy"], color=COLORS[3], linestyle="--", label=f"all: {result['accuracy']:.1%}")
        ax.set(ylim=(0, 1.1), xlabel="class", ylabel=f"{scored_on} accuracy",
               title=f"{per_class} labels per class (draw {draw}), reusing {reused}")
        ax.legend(loc="lower right")
        fig.tight_layout()
        display(fig)
        plt.close(fig)

    style = {"description_width": "initial"}
    budget = widgets.SelectionSlider(options=[b for b in EXPLORER_BUDGETS if b <= int(torch.bincount(train_labels).min())],
                                     value=5, description="labels per class", continuous_update=False, style=style)
    draw = widgets.IntSlider(value=0, min=0, max=draws - 1, description="draw", continuous_update=False, style=style)
    reused = widgets.Dropdown(options=list(REUSED_LAYERS), value="conv blocks (feature extraction)",
                              description="reused (frozen) layers", style=style)
    return widgets.interactive(show, per_class=budget, draw=draw, reused=reused)


def linear_probe(train_x: torch.Tensor, train_y: torch.Tensor, eval_x: torch.Tensor, eval_y: torch.Tensor,
                 lr: float, updates: int = 100, seed: int = 0) -> float:
    """Train one linear layer on fixed inputs (features or flattened pixels); return its accuracy on eval_x.

    Adam for about `updates` steps on batches of up to 64: whole passes, as many as come closest.
    """
    set_seed(seed)
    head = nn.Linear(train_x.shape[1], int(train_y.max()) + 1).to(train_x.device)
    loader = TensorLoader(train_x, train_y, batch_size=64, shuffle=True)
    fit(head, loader, epochs=max(1, round(updates / len(loader))), lr=lr, progress=False)
    return (predict(head, eval_x) == eval_y).float().mean().item()


def probe_budgets(pool: tuple, val: tuple, test: tuple, budgets=(5, 20, 50), draws=(0, 1, 2),
                  rates=(1e-3, 1e-2, 1e-1), choose_at=(5, 20)) -> dict:
    """Linear probes at several label budgets, the learning rate chosen on validation first.

    pool, val and test are (inputs, labels) pairs, the inputs flat (features or pixels). The rate is
    the one of `rates` with the best validation accuracy, averaged over probes trained on `choose_at`
    labels per class (a number, or several; first draw; on a tie, the first rate); then, at every
    budget and draw, a probe trains on that many labelled examples per class from the pool and is
    scored on the test pair. Returns {'lr': chosen rate, 'val': {rate: mean validation accuracy},
    'test': {budget: [accuracy per draw]}}.
    """
    choice_sets = [take_per_class(*pool, per_class, seed=draws[0])
                   for per_class in ((choose_at,) if isinstance(choose_at, int) else choose_at)]
    val_scores = {lr: sum(linear_probe(x, y, *val, lr=lr, seed=draws[0]) for x, y in choice_sets) / len(choice_sets)
                  for lr in rates}
    chosen = max(val_scores, key=val_scores.get)
    test_scores = {}
    for per_class in budgets:
        test_scores[per_class] = []
        for draw in draws:
            x, y = take_per_class(*pool, per_class, seed=draw)
            test_scores[per_class].append(linear_probe(x, y, *test, lr=chosen, seed=draw))
    return {"lr": chosen, "val": val_scores, "test": test_scores}


def range_decided(scores: dict, chosen: float, margin: float = 0.01) -> bool:
    """Return whether the list of rates may have decided a choice: `chosen` is at an end of the list and
    beats its neighbour inside by `margin` (a point) or more, so a rate beyond the end might score higher
    still. A choice at an end that only ties its neighbour (within the noise) was not decided by the list."""
    rates = sorted(scores)
    if chosen not in (rates[0], rates[-1]):
        return False
    neighbour = rates[1] if chosen == rates[0] else rates[-2]
    return scores[chosen] - scores[neighbour] >= margin


def check_probe_rate(answer, scores, pool: tuple, val: tuple, rates, per_class: int = 10) -> bool:
    """Exercise 07.4: a linear probe's learning rate, chosen on validation by hand.

    The student trains `linear_probe` at every rate in `rates` on take_per_class(*pool, per_class, seed=0),
    records each validation accuracy in `scores` ({rate: accuracy}), and sets `answer` to the best rate. The
    checker runs the same search itself, so neither a copied rate nor a lucky guess passes: `scores` must
    hold every rate's validation accuracy (within a point, for a GPU's nondeterministic sums), and the
    answer must be the best of them (any rate within a point of the best counts as tied).
    """
    x, y = take_per_class(*pool, per_class, seed=0)
    expected = {lr: linear_probe(x, y, *val, lr=lr) for lr in rates}
    best = max(expected.values())
    given = scores if isinstance(scores, dict) else {}
    matched = {lr: next((v for k, v in given.items() if is_close(k, lr, 1e-6, floor=0.0)), None) for lr in rates}
    matched = {lr: float(v) if hasattr(v, "__float__") and not isinstance(v, bool) and getattr(v, "ndim", 0) == 0
               else v for lr, v in matched.items()}             # a 0-d tensor or a numpy float counts as a number
    missing = [lr for lr, v in matched.items() if not isinstance(v, (int, float)) or isinstance(v, bool)]
    off = [lr for lr in rates if lr not in missing and abs(matched[lr] - expected[lr]) > 0.01]
    tried = [] if isinstance(answer, bool) else [lr for lr in rates if is_close(answer, lr, 1e-6, floor=0.0)]
    right = not missing and not off and bool(tried) and expected[tried[0]] >= best - 0.01
    if not given:
        hint = (f"Fill `scores` first: train a probe at every rate in PROBE_RATES on {per_class} labels per class "
                "of the pool, and record each one's validation accuracy under its rate.")
    elif missing:
        hint = f"`scores` has no accuracy for the rates {', '.join(f'{lr:g}' for lr in missing)}: try every rate in PROBE_RATES."
    elif off and all(is_close(matched[lr], 100 * expected[lr], 0.01, floor=0.01) for lr in off):
        hint = "Your scores look like percentages: record each accuracy as a fraction between 0 and 1."
    elif off:
        lr = off[0]
        hint = (f"At lr {lr:g} your score is {matched[lr]:.1%}, but a probe trained on "
                f"utils.take_per_class(*pool, {per_class}, seed=0) scores {expected[lr]:.1%} on validation. "
                f"Did you train on {per_class} labels per class, and score on `val` (not the test features)?")
    elif answer is None:
        hint = "Your scores are right. Now replace None with the rate whose score is the best."
    elif not tried and any(is_close(answer, accuracy, 1e-6, floor=0.0) for accuracy in expected.values()):
        hint = "That is an accuracy; pass the learning rate that reached it."
    elif not tried:
        hint = f"Pass one of the rates you tried, {', '.join(f'{lr:g}' for lr in rates)}: the one with the best score."
    else:
        hint = (f"{tried[0]:g} scores {expected[tried[0]]:.1%} on validation, but another rate in your `scores` "
                f"reaches {best:.1%}: pick the rate with the highest score.")
    praise = ""
    if right:
        praise = (f"{tried[0]:g} scores {expected[tried[0]]:.1%} on validation, the best of the rates "
                  f"(within a point). You chose on validation, and the test images never entered the choice.")
        if range_decided(expected, tried[0]):
            praise += " It is at an end of the list, though: a rate beyond it might do better still."
    return report(right, praise, hint)


def can_reach(url: str, timeout: float = 2.0) -> bool:
    """Return whether a connection to the URL's server opens within `timeout` seconds (never waits longer)."""
    answer = []

    def connect():
        try:
            socket.create_connection((urlparse(url).hostname, 443), timeout=timeout).close()
            answer.append(True)
        except OSError:
            answer.append(False)

    thread = threading.Thread(target=connect, daemon=True)   # so that a slow name lookup cannot hold us up
    thread.start()
    thread.join(timeout)
    return answer == [True]
