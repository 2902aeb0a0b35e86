"""Exercise checkers: each tells a right answer from a wrong one, prints feedback, returns a bool."""

import torch


class Verdict(int):
    """A checker's result: true or false like a bool, but Jupyter shows only the printed feedback."""

    def __repr__(self) -> str:
        return repr(bool(self))

    def _ipython_display_(self) -> None:
        pass  # the ✅/❌ line already says it; echoing True/False under it would only add noise


def report(correct: bool, praise: str, hint: str) -> Verdict:
    """Print a tick and `praise` if correct, else a cross and `hint`; return whether it was correct."""
    print(f"✅ Correct! {praise}" if correct else f"❌ Not yet. {hint}")
    return Verdict(bool(correct))


def is_close(answer, expected: float, tolerance: float = 1e-6, floor: float = 1.0) -> bool:
    """Return whether `answer` is a number within `tolerance` x max(floor, |expected|) of `expected`."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False
    return abs(value - expected) <= tolerance * max(floor, abs(expected))


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
                "not the limit. Above it the path zig-zags, and it still converges for a while.")
    return report(is_close(answer, expected, 0.01, floor=0),
                  f"lr = 2 / {steep:g} = {expected:g}: there the factor (1 - lr * {steep:g}) is -1, so y "
                  "flips sign without shrinking; any larger and it grows. The steepest direction sets the limit.",
                  hint)


def check_onecycle_start(answer, max_lr: float = 0.1) -> bool:
    """Exercise 03.2: the learning rate at the first step of PyTorch's OneCycleLR with this max_lr."""
    weight = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=max_lr)
    torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=100)
    expected = optimizer.param_groups[0]["lr"]
    hint = ("Read it off the one-cycle curve above, or make an optimizer and a "
            "torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=100) and print "
            "optimizer.param_groups[0]['lr'].")
    if is_close(answer, max_lr, 0.01, floor=0):
        hint = "That is the peak. One-cycle does not start there: it warms up from a much smaller rate."
    return report(is_close(answer, expected, 0.01, floor=0),
                  f"It starts at max_lr / div_factor = {max_lr:g} / {max_lr / expected:g} = {expected:g}, "
                  "warms up to the peak, then anneals far below the start.", hint)


def check_scaled_rate(answer, base_lr: float = 0.01, base_batch: int = 64, new_batch: int = 256) -> bool:
    """Exercise 03.3: the learning rate the linear scaling rule gives for a new batch size."""
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

# --- 04 Overfitting ---

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
    try:
        first, second = answer
        if float(first) != int(first) or float(second) != int(second):
            return None
        return int(first), int(second)
    except (TypeError, ValueError):
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
        elif guess_stop == stop:
            hint = ("The stop epoch is right. The weights restored are those of the epoch with the best "
                    "validation accuracy among the epochs trained.")
        elif guess_best == best:
            hint = (f"The restored epoch is right. Training stops once {patience} epochs in a row "
                    "have brought no new best: count them after the best epoch.")
    return report(pair == (stop, best),
                  f"It trains up to epoch {stop} ({patience} epochs without a new best after epoch {best}) "
                  f"and restores the weights of epoch {best}.", hint)


OVERFITTING_GAP = 0.10     # a training-validation gap above this many points (as a fraction) is overfitting
UNDERFITTING_BELOW = 0.80  # a training accuracy below this (with a small gap) is underfitting, here


def diagnose(train_acc: float, val_acc: float) -> str:
    """Return 'overfitting', 'underfitting' or 'good fit' for a run, by the rule of exercise 04.2."""
    if train_acc - val_acc > OVERFITTING_GAP:
        return "overfitting"
    if train_acc < UNDERFITTING_BELOW:
        return "underfitting"
    return "good fit"


def check_diagnosis(answer, runs=None) -> bool:
    """Exercise 04.2: {run name: 'overfitting' | 'underfitting' | 'good fit'} for runs of (train acc, val acc)."""
    runs = runs or {"A": (1.00, 0.74), "B": (0.66, 0.65), "C": (0.92, 0.89)}
    expected = {name: diagnose(*accuracies) for name, accuracies in runs.items()}
    if not isinstance(answer, dict) or set(answer) != set(runs):
        return report(False, "", f"Answer with a dict that names every run, e.g. "
                      f"{{{', '.join(repr(name) + ': ...' for name in runs)}}}, each value one of "
                      "'overfitting', 'underfitting' or 'good fit'.")
    wrong = [name for name in runs if str(answer[name]).strip().lower() != expected[name]]
    hint = ""
    if wrong:
        name = wrong[0]
        train_acc, val_acc = runs[name]
        hint = (f"{len(runs) - len(wrong)} of {len(runs)} right. Look again at {name}: training "
                f"{train_acc:.0%}, validation {val_acc:.0%}. First compare the two (is the gap more than "
                f"{OVERFITTING_GAP:.0%}?), then ask whether training accuracy itself is high.")
    return report(not wrong, "A big gap means memorising (overfitting); a small gap at a low training "
                  "accuracy means the model cannot even fit its training data (underfitting).", hint)


def check_choice(answer, results: dict) -> bool:
    """Exercise 04.3: the name of the run with the best validation accuracy, among `results`' rows."""
    if not results:
        raise ValueError("check_choice needs the results table: a dict {name: {'val_acc': ..., 'test_acc': ...}}.")
    best_val = max(row["val_acc"] for row in results.values())
    winners = [name for name, row in results.items() if row["val_acc"] == best_val]
    best_test = max(results, key=lambda name: results[name]["test_acc"])
    hint = f"Answer with one of the names: {', '.join(repr(name) for name in results)}."
    if isinstance(answer, str) and answer in results:
        hint = "Compare the rows' validation accuracy: that is the number a choice may look at."
        if answer == best_test and answer not in winners:
            hint = ("That row has the best *test* accuracy. Choosing by the test set turns it into a second "
                    "validation set, and its score stops being an honest estimate. Choose by validation.")
    return report(answer in winners,
                  f"{answer!r} has the best validation accuracy ({best_val:.1%}). Its test accuracy "
                  f"({results[winners[0]]['test_acc']:.1%}) is the honest estimate you report, once.", hint)


# --- 05 Convolutional networks ---

def check_output_size(answer) -> bool:
    """Exercise 05.1: side length of a 28 x 28 image after Conv2d(k=5), MaxPool2d(2), Conv2d(k=3, s=2, p=1)."""
    def side(*layers) -> int:
        return torch.nn.Sequential(*layers)(torch.zeros(1, 1, 28, 28)).shape[-1]
    expected = side(torch.nn.Conv2d(1, 1, 5), torch.nn.MaxPool2d(2), torch.nn.Conv2d(1, 1, 3, stride=2, padding=1))
    no_padding = side(torch.nn.Conv2d(1, 1, 5), torch.nn.MaxPool2d(2), torch.nn.Conv2d(1, 1, 3, stride=2))
    hint = ("Apply out = floor((n + 2 * padding - kernel) / stride) + 1 one layer at a time "
            "(max-pooling 2 x 2 is kernel 2, stride 2): 28 -> ? -> ? -> ?.")
    if is_close(answer, no_padding) and no_padding != expected:
        hint = "Close: the last convolution has padding=1, which adds one row of zeros on each side."
    return report(is_close(answer, expected), f"The output is {expected} x {expected}.", hint)


def check_conv_parameters(answer) -> bool:
    """Exercise 05.2: number of trainable parameters of nn.Conv2d(16, 32, kernel_size=3)."""
    layer = torch.nn.Conv2d(16, 32, kernel_size=3)
    expected = sum(p.numel() for p in layer.parameters())
    weights_only = layer.weight.numel()
    hint = ("Each of the 32 output channels has one 3 x 3 kernel per input channel, "
            "plus one bias. Multiply it out.")
    if is_close(answer, weights_only):
        hint = "Almost: you counted the weights. Each output channel also has one bias."
    return report(is_close(answer, expected),
                  f"{weights_only} weights + {layer.bias.numel()} biases = {expected}, "
                  "whatever the size of the image.", hint)


def check_edge_kernel(answer) -> bool:
    """Exercise 05.3: a 3 x 3 kernel that responds to horizontal edges, but not to flat areas or vertical edges."""
    try:
        kernel = torch.as_tensor(answer, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError):
        kernel = None
    if kernel is None or kernel.shape != (3, 3):
        return report(False, "", "Give a 3 x 3 kernel: a list of three rows of three numbers, "
                                 "e.g. [[1, 2, 3], [4, 5, 6], [7, 8, 9]].")
    size = kernel.abs().sum().item()
    if size == 0:
        return report(False, "", "An all-zero kernel responds to nothing. Give some rows positive "
                                 "and others negative weights.")
    step = torch.zeros(8, 8)
    step[4:] = 1.0                    # dark top half, bright bottom half: a horizontal edge

    def strongest(image: torch.Tensor) -> float:
        return torch.nn.functional.conv2d(image[None, None], kernel[None, None]).abs().max().item() / size

    flat, vertical, horizontal = strongest(torch.ones(8, 8)), strongest(step.T.contiguous()), strongest(step)
    if flat > 0.05:
        return report(False, "", "It responds to a flat, uniform area. Make the weights add up to 0.")
    if vertical > 0.05:
        return report(False, "", "It responds to vertical edges (a change from left to right). Make "
                                 "every column of the kernel add up to 0.")
    return report(horizontal >= 0.25,
                  "It lights up at a horizontal edge and stays 0 on flat areas and vertical edges.",
                  "It barely responds to a horizontal edge. Make the top row differ from the bottom row.")

# --- 06 Data augmentation ---

DIGIT_CHANGES = {
    "a": "mirror left-right",
    "b": "rotate by 180 degrees",
    "c": "shift 2 pixels to the right",
    "d": "rotate by 10 degrees",
    "e": "make 20% brighter",
    "f": "flip upside down",
    "g": "zoom in by 10%",
}
# Why each change that alters a digit's meaning does so (the others keep every digit readable as itself).
_MEANING_CHANGES = {
    "a": "a mirrored 2, 3, 7 or 9 is no digit anyone writes (a mirrored 2 looks like a 5 or an S)",
    "b": "a 6 turned by 180 degrees is a 9, and a 9 a 6",
    "f": "upside down, a 6 has its loop on top like a 9, and a 7 looks like an L",
}


def check_safe_augmentations(answer) -> bool:
    """Exercise 06.1: the letters of utils.checks.DIGIT_CHANGES that keep every MNIST digit's label."""
    expected = set(DIGIT_CHANGES) - set(_MEANING_CHANGES)
    try:
        chosen = {str(letter).strip().lower() for letter in answer}
    except TypeError:
        chosen = None
    if not chosen or not chosen <= set(DIGIT_CHANGES):
        return report(False, "", f"Answer with a set of letters from {', '.join(DIGIT_CHANGES)}, "
                                 "e.g. {'a', 'c'}.")
    unsafe = sorted(chosen & set(_MEANING_CHANGES))
    if unsafe:
        return report(False, "", f"'{unsafe[0]}' ({DIGIT_CHANGES[unsafe[0]]}) can change the label: "
                                 f"{_MEANING_CHANGES[unsafe[0]]}.")
    return report(chosen == expected,
                  "Small shifts, small rotations, zooms and brightness changes keep a digit's label; "
                  "flips and large rotations can change it.",
                  f"All your choices are safe, but {len(expected - chosen)} more change(s) keep the label too.")


def check_random_flip(answer) -> bool:
    """Exercise 06.2: a function random_flip(images, p) that mirrors each image on its own with chance p."""
    if not callable(answer):
        return report(False, "", "Pass your function itself, e.g. check_random_flip(random_flip), "
                                 "without calling it.")
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(2000, 1, 6, 6, generator=generator)
    original = images.clone()
    mirrored = images.flip(-1)
    try:
        none, every, half = answer(images, 0.0), answer(images, 1.0), answer(images, 0.5)
    except Exception as error:      # a student's function may fail in any way: explain, don't crash
        return report(False, "", f"Your function raised {type(error).__name__}: {error}")
    if not torch.equal(images, original):
        return report(False, "", "Your function changed the input batch in place; return a new tensor.")
    if not all(isinstance(out, torch.Tensor) and out.shape == images.shape for out in (none, every, half)):
        return report(False, "", "Return a tensor with the same shape as `images` (N x C x H x W).")
    if not torch.equal(none, images):
        return report(False, "", "With p = 0 no image may change.")
    if torch.equal(every, images.flip(-2)):
        return report(False, "", "That flips top to bottom (dimension -2); mirror left-right: the last dimension.")
    if not torch.equal(every, mirrored):
        return report(False, "", "With p = 1 every image must be mirrored left-right: images.flip(-1).")
    flipped = (half == mirrored).flatten(1).all(1)
    kept = (half == images).flatten(1).all(1)
    if not bool((flipped | kept).all()):
        return report(False, "", "With p = 0.5 each output must be its input either mirrored or untouched.")
    share = flipped.float().mean().item()
    if share in (0.0, 1.0):
        return report(False, "", "With p = 0.5 all images got the same decision: draw one random number per "
                                 "image, e.g. torch.rand(len(images)) < p.")
    return report(0.4 <= share <= 0.6, f"It mirrored {share:.0%} of 2,000 images, each decided on its own.",
                  f"With p = 0.5 it mirrored {share:.0%} of the images; about half should be.")


def check_shift_theta(answer) -> bool:
    """Exercise 06.3: the 2 x 3 affine_grid matrix that moves a 28 x 28 image 7 pixels to the right."""
    try:
        theta = torch.as_tensor(answer, dtype=torch.float32).reshape(1, 2, 3)
    except (TypeError, ValueError, RuntimeError):
        return report(False, "", "Give theta as two rows of three numbers, e.g. [[1, 0, 0], [0, 1, 0]].")
    image = torch.zeros(1, 1, 28, 28)
    image[0, 0, 6:20, 4:14] = torch.linspace(0.1, 1.0, 10)     # a bar with a left-to-right gradient
    expected = torch.zeros_like(image)
    expected[..., 7:] = image[..., :-7]

    def moved(matrix: torch.Tensor) -> torch.Tensor:
        grid = torch.nn.functional.affine_grid(matrix, [1, 1, 28, 28], align_corners=False)
        return torch.nn.functional.grid_sample(image, grid, align_corners=False)

    correct = torch.allclose(moved(theta), expected, atol=1e-4)
    hint = ("theta = [[1, 0, tx], [0, 1, ty]] reads each output pixel from (x + tx, y + ty), in "
            "coordinates that run from -1 (left edge) to 1 (right edge).")
    flipped_sign = theta.clone()
    flipped_sign[0, :, 2] *= -1
    if not correct and torch.allclose(moved(flipped_sign), expected, atol=1e-4):
        hint = ("That moves the image to the left: theta says where each output pixel *reads from*, "
                "so moving the picture right means reading from the left.")
    elif not correct and theta[0, 0, 2].abs().item() in (0.25, 7.0):
        hint = "The width is 2 units (-1 to 1), so one pixel is 2/28 units, and 7 pixels are 14/28."
    return report(correct, "theta = [[1, 0, -0.5], [0, 1, 0]]: each output pixel reads from 7 pixels to its "
                           "left (7 pixels = 0.5 units of the width's 2).", hint)

# --- 07 Transfer learning ---

def _conv_cut(model) -> int | None:
    """Return the index just past a make_cnn model's nn.Flatten() (where its conv blocks end), or None."""
    if not isinstance(model, torch.nn.Sequential):
        return None
    return next((i + 1 for i, layer in enumerate(model) if isinstance(layer, torch.nn.Flatten)), None)


def check_conv_share(answer, classes: int = 5) -> bool:
    """Exercise 07.1: the fraction of utils.make_cnn(classes=5)'s parameters that sit in its conv blocks."""
    from .models import make_cnn
    model = make_cnn(classes=classes)
    cut = _conv_cut(model)
    conv = sum(p.numel() for p in model[:cut].parameters())
    total = sum(p.numel() for p in model.parameters())
    expected = conv / total
    hint = ("Count the parameters of the layers before nn.Flatten(), e.g. utils.count_parameters(model[:9]), "
            "and divide by utils.count_parameters(model).")
    if is_close(answer, 100 * expected, 0.01):
        hint = "That looks like a percentage: give a fraction between 0 and 1."
    elif is_close(answer, 1 - expected, 0.001):
        hint = "That is the share of the dense layers; the question asks about the conv blocks."
    elif is_close(answer, conv, 0.001):
        hint = f"That is the number of conv-block parameters; divide it by the total, {total:,}."
    return report(is_close(answer, expected, 0.001),
                  f"{conv:,} of {total:,} parameters, {expected:.1%}: the reusable, generic part of this "
                  "network is tiny; almost all the weights are in the first dense layer.", hint)


def check_frozen_conv(model) -> bool:
    """Exercise 07.2: a make_cnn model whose conv blocks are frozen and whose dense layers still train."""
    cut = _conv_cut(model)
    if cut is None:
        return report(False, "", "Pass the model itself: a utils.make_cnn(...) network (an nn.Sequential "
                                 "whose conv blocks end with nn.Flatten()).")
    conv = [p.requires_grad for p in model[:cut].parameters()]
    dense = [p.requires_grad for p in model[cut:].parameters()]
    hint = ("Switch off the gradient of every parameter before nn.Flatten(): "
            "for p in model[:9].parameters(): p.requires_grad_(False).")
    if not any(dense):
        hint = "You froze everything: the dense layers must keep learning, they are the part that fits the new task."
    elif not all(dense):
        hint = "Some dense-layer parameters are frozen too: only the layers before nn.Flatten() should be."
    elif any(conv) and not all(conv):
        hint = "Some conv-block parameters still train: freeze all of them (the batch-norm layers too)."
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return report(not any(conv) and all(dense),
                  f"{trainable:,} of {total:,} parameters still train. Remember model.eval() for the frozen "
                  "blocks too, or batch norm keeps updating its running statistics.", hint)


def check_new_head(model, checkpoint: dict, classes: int = 3) -> bool:
    """Exercise 07.3: the pretrained model with only its last layer replaced, now for `classes` classes."""
    if not isinstance(model, torch.nn.Sequential) or not isinstance(model[-1], torch.nn.Linear):
        return report(False, "", "Pass the model itself: the pretrained utils.make_cnn(...) network, with a "
                                 "new nn.Linear as its last layer.")
    if not isinstance(checkpoint, dict):
        raise ValueError(f"checkpoint must be the dict utils.load_checkpoint returned; got {type(checkpoint).__name__}.")
    weights = checkpoint.get("state_dict", checkpoint)
    last = f"{len(model) - 1}."
    own = {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()}
    kept = all(name in own and own[name].shape == tensor.shape and torch.equal(own[name], tensor.cpu())
               for name, tensor in weights.items() if not name.startswith(last))
    outputs = model[-1].out_features
    hint = (f"Load the checkpoint into utils.make_cnn(classes=5) first, then replace only the last layer: "
            f"model[-1] = nn.Linear(model[-1].in_features, {classes}).")
    if kept and outputs != classes:
        hint = f"The last layer has {outputs} outputs; the new task has {classes} classes."
    elif not kept and outputs == classes:
        hint = ("The new last layer is right, but the earlier layers lost their pretrained weights: load the "
                "checkpoint into the model before replacing its last layer.")
    return report(kept and outputs == classes,
                  f"Every layer but the last keeps what it learned; the new last layer maps the "
                  f"{model[-1].in_features} features to {classes} classes, and it starts from random weights.",
                  hint)
