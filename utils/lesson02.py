"""Lesson 02's exercise checkers, for notebooks/02_the_training_loop.ipynb."""


import torch

from .checks import comma_typed, is_close, report


def _other_class(answer, scores: torch.Tensor, label: int) -> int | None:
    """Return the class other than `label` whose loss `answer` is (to 1e-3), or None."""
    losses = -torch.log_softmax(scores, dim=0)
    return next((k for k in range(len(scores)) if k != label and is_close(answer, losses[k].item(), 1e-3)), None)


def check_cross_entropy(answer, logits=(1.0, 2.0, 0.5), label: int = 0) -> bool:
    """Exercise 02.1: cross-entropy loss of one example with these logits and true class `label`."""
    scores = torch.tensor(logits, dtype=torch.float64)
    expected = torch.nn.functional.cross_entropy(scores.unsqueeze(0), torch.tensor([label])).item()
    probability = torch.softmax(scores, dim=0)[label].item()
    if isinstance(answer, tuple) and len(answer) == 2 and all(type(part) is int for part in answer):
        typed = f"{answer[0]}.{answer[1]}"                 # `answer = 1,464` is the tuple (1, 464) in Python
        right = " Your number itself is right." if is_close(float(typed), expected, 5e-4 / abs(expected), floor=0.0) else ""
        return report(False, "", f"Python writes decimals with a point: {typed}, not {answer[0]},{answer[1]} "
                                 f"(which is the tuple {answer}).{right}")
    hint = "Softmax the logits (exp, then divide by the sum), pick the true class's probability p, answer -log(p)."
    if is_close(answer, probability, 1e-3):
        hint = f"That is the probability of the true class, p = {probability:.4f}. The loss is -log(p)."
    elif is_close(answer, -expected, 1e-3):
        hint = "Check the sign: the loss is MINUS the log of the probability, so it is positive."
    elif is_close(answer, expected / torch.log(torch.tensor(10.0)).item(), 1e-3):
        hint = "That is the base-10 logarithm. Cross-entropy uses the natural log: math.log or torch.log."
    elif is_close(answer, -(scores[label] / scores.sum()).log().item(), 1e-3):
        hint = "Exponentiate the logits before dividing by their sum: that is what the softmax does."
    elif is_close(answer, round(expected, 2), 1e-9) or is_close(answer, round(expected, 1), 1e-9):
        hint = f"Right working, rounded too far: give three decimals ({expected:.3f})."
    elif is_close(answer, expected, 0.02):
        hint = "Close, but not close enough: keep every digit of p (don't round it) before taking -log(p)."
    elif (other := _other_class(answer, scores, label)) is not None:      # class 0 is a class too: not "if other"
        hint = f"That is the loss if the true class were {other}. Here the true class is {label}: use p of class {label}."
    return report(is_close(answer, expected, 5e-4 / abs(expected), floor=0.0),      # within half a unit of the 3rd decimal
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
    elif is_close(answer, expected, 1e-2):
        hint = ("That looks like a finite-difference estimate, close but not exact; the exact derivative, from the "
                "chain rule or autograd, is a whole number here.")
    return report(is_close(answer, expected, 1e-6),
                  f"df/dw = 2(wx - y) * x = {expected:g}: increasing w lowers f here.", hint)


def check_steps_per_epoch(answer, examples: int = 50_000, batch_size: int = 64) -> bool:
    """Exercise 02.3: number of mini-batch steps in one epoch over `examples` with this batch size.

    Both ways of treating the last, smaller batch are right: keeping it (our loop, TensorLoader and
    DataLoader's default) gives ceil(examples / batch_size); dropping it (drop_last=True) gives the floor.
    """
    expected, dropped = -(-examples // batch_size), examples // batch_size
    left_over = examples - dropped * batch_size
    if left_over and is_close(answer, dropped):
        return report(True, f"That is the count with drop_last=True, which skips the last {left_over} images. "
                            f"Our loop and DataLoader's default keep them as one more, smaller batch: {expected} steps.", "")
    hint = "Divide the number of training images by the batch size, and think about what happens to the rest."
    if is_close(answer, examples / batch_size):
        hint = "Steps are whole numbers: each step takes one whole batch (the last one may be smaller)."
    elif is_close(answer, expected + 1):
        hint = f"One too many: {expected - 1} full batches plus one batch of the last {left_over} images."
    elif is_close(answer, examples):
        hint = "That counts images. A step takes a whole batch of them: divide by the batch size."
    elif is_close(answer, -(-60_000 // batch_size)) or is_close(answer, 60_000 // batch_size):
        hint = f"That divides all 60,000 images. Only the {examples:,} left after holding out the validation set are trained on."
    extra = f" (the last batch has {examples - (expected - 1) * batch_size} images)" if left_over else ""
    return report(is_close(answer, expected),
                  f"{examples:,} / {batch_size} = {examples / batch_size:g}, so {expected} steps{extra}"
                  + (f"; with drop_last=True, {dropped}." if left_over else "."), hint)


def check_total_updates(answer, examples: int = 60_000, batch_size: int = 256, epochs: int = 3) -> bool:
    """Exercise 02.4: weight updates made by `epochs` passes of a DataLoader (drop_last=False) over `examples`."""
    per_epoch = -(-examples // batch_size)
    expected = epochs * per_epoch
    left_over = examples % batch_size
    hint = "Count optimizer steps: one per mini-batch. How many batches make one epoch, and how many epochs are there?"
    answer, comma_hint = comma_typed(answer)                 # `answer = 180,000` is a tuple in Python
    if is_close(answer, epochs * examples):
        hint = ("That counts the images the network looked at. The weights change once per mini-batch "
                "(one optimizer.step()), not once per image.")
    elif is_close(answer, examples):
        hint = "That is the number of images in one pass. The weights change once per batch, and there are several passes."
    elif is_close(answer, per_epoch):
        hint = f"{per_epoch} is the number of updates in one epoch; the tutorial made {epochs} passes."
    elif left_over and is_close(answer, epochs * (examples // batch_size)):
        hint = (f"Each epoch ends with a smaller batch of the last {left_over} images, and a DataLoader keeps it "
                "unless drop_last=True: that is a step too.")
    elif any(is_close(answer, value) for value in
             (epochs * examples / batch_size, round(epochs * examples / batch_size), -(-epochs * examples // batch_size))):
        hint = ("Count one epoch at a time: each pass is shuffled afresh and ends with its own smaller batch. "
                "Steps per epoch first, then times the number of epochs.")
    if comma_hint:
        hint = f"{comma_hint} {hint}"
    return report(is_close(answer, expected),
                  f"{examples:,} / {batch_size} = {examples / batch_size:g}, so {per_epoch} updates per epoch and "
                  f"{epochs} x {per_epoch} = {expected} in all, not {epochs * examples:,}: "
                  "each update uses a whole batch's average gradient.", hint)
