"""Device, seeds, and the training/evaluation loop the lessons write by hand first."""

import copy
import functools
import math
import os
import time
from numbers import Real

import torch
from torch import nn
from tqdm.auto import tqdm


class TrainingDiverged(FloatingPointError):
    """The loss, or its sum over an epoch, became NaN or infinite during training."""


DEVICE_VARIABLE = "DLB_DEVICE"   # e.g. DLB_DEVICE=cpu: run on the CPU even where a GPU works


def get_device() -> torch.device:
    """Return the GPU if there is one that works (CUDA or Apple MPS), else the CPU; DLB_DEVICE=cpu forces the CPU."""
    chosen = os.environ.get(DEVICE_VARIABLE, "").strip().lower()
    if chosen == "cpu":
        return torch.device("cpu")
    if chosen:
        raise ValueError(f"{DEVICE_VARIABLE} can only be 'cpu' (to force the CPU) or unset (to use a GPU when there "
                         f"is one); got {chosen!r}.")
    for kind, available in (("cuda", torch.cuda.is_available), ("mps", torch.backends.mps.is_available)):
        if available():
            try:
                (torch.ones(2, device=kind) * 2).sum().item()     # a GPU the driver cannot run fails here
                return torch.device(kind)
            except (RuntimeError, AssertionError) as error:   # AssertionError: a torch built without CUDA
                first_line = (str(error).strip().splitlines() or [""])[0][:200]
                print(f"A {kind.upper()} GPU was found but cannot run ({first_line}). The lessons will run on the "
                      "CPU. To use the GPU, update its driver or install the torch build for it (pytorch.org).")
    return torch.device("cpu")


def check_learning_rate(lr) -> float:
    """Return `lr` as a float, or raise a ValueError that says what a learning rate must be."""
    if isinstance(lr, bool) or not isinstance(lr, Real) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"The learning rate must be a positive number such as 1e-3; got {lr!r}.")
    return float(lr)


def model_device(model: nn.Module) -> torch.device:
    """Return the device the model's weights are on (the CPU for a model without weights)."""
    return next(model.parameters(), torch.empty(0)).device


def _check_batch(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Run the model on one batch and return its logits, explaining any shape mismatch."""
    device = model_device(model)
    images, labels = images.to(device), labels.to(device)
    try:
        logits = model(images)
    except RuntimeError as error:
        raise ValueError(f"The model cannot take a batch of shape {tuple(images.shape)}: {error}. "
                         "Check the first layer's input size (an MLP needs nn.Flatten() first, "
                         "a CNN needs images shaped N x channels x height x width).") from error
    if logits.ndim != 2 or logits.shape[0] != len(labels):
        raise ValueError(f"The model returned shape {tuple(logits.shape)} for {len(labels)} images; "
                         f"a classifier must return (batch, classes) = ({len(labels)}, number of classes).")
    if labels.max() >= logits.shape[1]:
        raise ValueError(f"The labels go up to {labels.max().item()} but the model has only "
                         f"{logits.shape[1]} outputs; its last layer needs one output per class.")
    return logits


def is_part_of(part, model: nn.Module) -> bool:
    """Return whether `part` is one of the model's modules, or a slice of it such as `model[:9]`."""
    modules = {id(module) for module in model.modules()}
    children = list(part.children()) if isinstance(part, nn.Module) else []
    return id(part) in modules or (bool(children) and all(id(child) in modules for child in children))


def param_groups(model: nn.Module, trainable: list, lr_for: dict | None) -> list:
    """Return the trainable parameters, split into the optimizer's groups when parts have their own rates."""
    if lr_for is None or lr_for == {}:
        return trainable
    if not isinstance(lr_for, dict):
        raise ValueError(f"lr_for must be a dict from parts of the model to rates, e.g. {{model[0]: 1e-4}}; "
                         f"got {type(lr_for).__name__}.")
    groups, taken = [], set()
    for part, part_lr in lr_for.items():
        if not is_part_of(part, model):
            raise ValueError("Each key of lr_for must be a part of the model being trained, e.g. {model[0]: 1e-4}; "
                             f"got {type(part).__name__}.")
        if not any(p.requires_grad for p in part.parameters()):
            raise ValueError("A part in lr_for has no trainable parameters (requires_grad is off: frozen=, or "
                             "requires_grad_(False), left it frozen), so its rate would change nothing. Train a "
                             "fresh model, or leave that part out of lr_for.")
        params = [p for p in part.parameters() if p.requires_grad and id(p) not in taken]
        taken.update(id(p) for p in params)
        part_lr = check_learning_rate(part_lr)
        if params:                                   # empty when an earlier part of lr_for already holds them all
            groups.append({"params": params, "lr": part_lr})
    rest = [p for p in trainable if id(p) not in taken]
    return [{"params": rest}] + groups if rest else groups


def train_one_epoch(model: nn.Module, loader, optimizer: torch.optim.Optimizer,
                    loss_fn=nn.functional.cross_entropy, scheduler=None, epoch: int = 1,
                    frozen: nn.Module | None = None) -> tuple[float, float]:
    """Train for one pass over `loader`; return (mean loss, accuracy) on the batches seen.

    `frozen`, a part of `model`, stays in eval mode while the rest trains: its batch-norm layers keep
    the running statistics they had, and its dropout stays off (see `fit`).

    The running sums stay on the model's device and are read once, at the end of the epoch: reading
    a number from a GPU (`.item()`) makes the CPU wait for the GPU, and doing it at every step would
    leave the GPU idle between steps. So a loss that turns NaN or infinite is caught at the end of
    the epoch, and the error names the step where it first happened.
    """
    model.train()
    if frozen is not None:
        frozen.eval()                                # model.train() switched it to training mode too
    device = model_device(model)
    step_losses, rates = [], []
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device)
    seen = 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)   # a no-op for the course's in-memory loaders
        logits = model(images)                       # 1. predict
        loss = loss_fn(logits, labels)               # 2-3. compare with the truth, measure the loss
        optimizer.zero_grad()
        loss.backward()                              # 4. work out how each weight should change
        optimizer.step()                             #    and adjust the weights
        rates.append(optimizer.param_groups[0]["lr"])
        if scheduler is not None:
            scheduler.step()
        step_losses.append(loss.detach())
        loss_sum += loss.detach() * len(labels)
        correct += (logits.argmax(1) == labels).sum()
        seen += len(labels)
    total_loss, total_correct = torch.stack([loss_sum, correct]).tolist()   # the epoch's one wait for the device
    if not math.isfinite(total_loss):
        losses = torch.stack(step_losses)
        bad = (~torch.isfinite(losses)).nonzero()
        step = int(bad[0]) + 1 if len(bad) else int(losses.argmax()) + 1   # or each loss was finite, their sum not
        lr = rates[step - 1]
        raise TrainingDiverged(
            f"Training diverged: the loss became {losses[step - 1].item():.3g} at epoch {epoch}, step {step} "
            f"(learning rate {lr:.3g}). Try a smaller learning rate, e.g. {lr / 10:.3g}, from a fresh model: "
            "this one's weights may no longer be numbers.")
    return total_loss / seen, total_correct / seen


@torch.no_grad()
def evaluate(model: nn.Module, loader, loss_fn=nn.functional.cross_entropy) -> tuple[float, float]:
    """Return (mean loss, accuracy) of the model over `loader`, in eval mode without gradients."""
    model.eval()
    device = model_device(model)
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device)
    seen = 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        logits = model(images)
        loss_sum += loss_fn(logits, labels, reduction="sum")
        correct += (logits.argmax(1) == labels).sum()
        seen += len(labels)
    total_loss, total_correct = torch.stack([loss_sum, correct]).tolist()
    return total_loss / seen, total_correct / seen


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Return the model's predicted class for every image, in eval mode."""
    model.eval()
    return torch.cat([model(images[i:i + batch_size]).argmax(1) for i in range(0, len(images), batch_size)])


def make_optimizer(name: str, parameters, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """Return the optimizer called `name` ('adam', 'adamw' or 'sgd' with momentum 0.9)."""
    parameters = list(parameters)                   # tensors, or param groups: dicts with "params" and their own "lr"
    tensors = [p for group in parameters for p in (group["params"] if isinstance(group, dict) else [group])]
    # Fused: one kernel updates every weight (same maths up to rounding, less overhead).
    fused = True if all(isinstance(p, torch.Tensor) and p.device.type in ("cpu", "cuda") for p in tensors) else None
    makers = {
        "adam": lambda: torch.optim.Adam(parameters, lr=lr, weight_decay=weight_decay, fused=fused),
        "adamw": lambda: torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay, fused=fused),
        "sgd": lambda: torch.optim.SGD(parameters, lr=lr, momentum=0.9, weight_decay=weight_decay, fused=fused),
    }
    if name not in makers:
        raise ValueError(f"Unknown optimizer {name!r}; choose one of {', '.join(makers)}.")
    return makers[name]()


def make_scheduler(name: str, optimizer: torch.optim.Optimizer, total_steps: int):
    """Return a per-step learning-rate scheduler: 'constant' (None), 'step', 'cosine' or 'onecycle'."""
    lr = [group["lr"] for group in optimizer.param_groups]     # one peak per group, for 'onecycle'
    makers = {
        "constant": lambda: None,
        "step": lambda: torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, total_steps // 3), gamma=0.1),
        "cosine": lambda: torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps),
        "onecycle": lambda: torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=total_steps),
    }
    if name not in makers:
        raise ValueError(f"Unknown schedule {name!r}; choose one of {', '.join(makers)}.")
    return makers[name]()


def fit(model: nn.Module, train_loader, val_loader=None, *, epochs: int = 5, lr: float = 1e-3,
        optimizer: str = "adam", schedule: str = "constant", weight_decay: float = 0.0,
        patience: int | None = None, progress: bool = True,
        label_smoothing: float = 0.0, frozen: nn.Module | None = None,
        lr_for: dict | None = None) -> dict[str, list[float]]:
    """Train `model` and return its history: per-epoch train/val loss and accuracy, and seconds.

    With `patience`, stop once validation accuracy has not improved for that many epochs and
    restore the weights of the best epoch (early stopping).
    With `label_smoothing` s (e.g. 0.1), train against softened targets (1 - s on the true class, s spread
    evenly over all classes): the model stops chasing 100% confidence, which often generalises better.
    With `frozen`, a part of the model such as a pretrained backbone (`model[:9]`), that part does not
    learn: its parameters get no gradients, and it stays in eval mode every epoch, so its batch norm keeps
    its pretrained running statistics (plain `model.train()` would let them drift with the new data).
    With `lr_for`, a dict from parts of the model to their own learning rates, e.g. `{model[0]: lr / 10}`,
    those parts learn at their own rate and the rest at `lr`: a pretrained backbone adjusts slowly while
    a new head learns fast (discriminative learning rates, for fine-tuning).
    """
    lr = check_learning_rate(lr)
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, Real) or not 0 <= label_smoothing < 1:
        raise ValueError(f"label_smoothing must be from 0 (off) to below 1, e.g. 0.1; got {label_smoothing!r}.")
    loss_fn = functools.partial(nn.functional.cross_entropy, label_smoothing=float(label_smoothing))
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive whole number; got {epochs!r}.")
    if patience is not None and val_loader is None:
        raise ValueError("Early stopping (patience=...) watches validation accuracy: pass a val_loader too.")
    if len(train_loader) == 0:
        raise ValueError("The training loader is empty: it yields no batches.")
    if frozen is not None:
        if not is_part_of(frozen, model):
            raise ValueError("frozen must be a part of the model being trained, e.g. frozen=model[:9] "
                             f"for its conv blocks; got {type(frozen).__name__}.")
        frozen.requires_grad_(False)
        frozen.eval()                                # so that even the check below leaves its statistics alone
    _check_batch(model, *next(iter(train_loader)))
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ValueError("Every parameter of the model is frozen (requires_grad is False): nothing would learn.")
    opt = make_optimizer(optimizer, param_groups(model, trainable, lr_for), lr, weight_decay)
    scheduler = make_scheduler(schedule, opt, epochs * len(train_loader))
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "seconds": []}
    best_acc, best_state, waited = -1.0, None, 0
    bar = tqdm(range(1, epochs + 1), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        start = time.perf_counter()
        train_loss, train_acc = train_one_epoch(model, train_loader, opt, loss_fn, scheduler, epoch, frozen)
        history["train_loss"].append(train_loss)
        history["train_acc"].append(train_acc)
        if val_loader is not None:
            val_loss, val_acc = evaluate(model, val_loader)
            history["val_loss"].append(val_loss)
            history["val_acc"].append(val_acc)
        history["seconds"].append(time.perf_counter() - start)
        bar.set_postfix({k: f"{v[-1]:.3f}" for k, v in history.items() if v and k != "seconds"})
        if patience is not None:
            if val_acc > best_acc:
                best_acc, best_state, waited = val_acc, copy.deepcopy(model.state_dict()), 0
            else:
                waited += 1
                if waited >= patience:
                    bar.total = epoch - 1   # the bar has counted epoch - 1: ending full, it closes cleanly, not red
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def find_learning_rate(model: nn.Module, train_loader, *, optimizer: str = "sgd", start_lr: float = 1e-5,
                       end_lr: float = 10.0, steps: int = 200,
                       smoothing: float = 0.9) -> tuple[list[float], list[float], float]:
    """Run a learning-rate range test; return (rates, smoothed losses, suggested rate).

    One mini-batch per rate, the rate growing exponentially from `start_lr` to `end_lr`, until the
    smoothed loss passes 4 x its lowest value. Suggests the rate at the lowest loss divided by 10.
    The model's weights are put back afterwards, so it can be trained from where it started.
    """
    start_lr, end_lr = check_learning_rate(start_lr), check_learning_rate(end_lr)
    if end_lr <= start_lr:
        raise ValueError(f"end_lr ({end_lr:g}) must be larger than start_lr ({start_lr:g}).")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 10:
        raise ValueError(f"steps must be a whole number of at least 10; got {steps!r}.")
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be at least 0 and below 1, e.g. 0.9; got {smoothing!r}.")
    _check_batch(model, *next(iter(train_loader)))
    saved = copy.deepcopy(model.state_dict())
    opt = make_optimizer(optimizer, model.parameters(), start_lr)
    growth = (end_lr / start_lr) ** (1 / (steps - 1))
    rates, losses, average = [], [], 0.0
    batches = (batch for _ in range(steps) for batch in train_loader)  # as many passes as needed
    model.train()
    for step, (images, labels) in zip(range(1, steps + 1), batches):
        lr = start_lr * growth ** (step - 1)
        opt.param_groups[0]["lr"] = lr
        loss = nn.functional.cross_entropy(model(images), labels)
        if not torch.isfinite(loss):
            break
        average = smoothing * average + (1 - smoothing) * loss.item()
        rates.append(lr)
        losses.append(average / (1 - smoothing ** step))  # corrects the average's pull towards 0
        if losses[-1] > 4 * min(losses):
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.load_state_dict(saved)
    if not rates:
        raise TrainingDiverged(f"The loss was already {loss.item()} at the first step (learning rate "
                               f"{start_lr:g}): check the model and data, or pass a smaller start_lr.")
    return rates, losses, rates[losses.index(min(losses))] / 10
