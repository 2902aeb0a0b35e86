"""Lesson 06's exercise checkers and explorer, for notebooks/06_data_augmentation.ipynb."""

import functools

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from .augment import augment_batch, check_strengths, shift_images, show_augmentations
from .checks import report
from .data import dataset_key, load_dataset
from .seeds import make_generator
from .training import predict

DIGIT_CHANGES = {
    "a": "mirror left-right",
    "b": "turn by 180 degrees",
    "c": "shift 2 pixels to the right",
    "d": "rotate by 10 degrees",
    "e": "make 20% brighter (every pixel times 1.2, clipped at white)",
    "f": "mirror top to bottom",
    "g": "zoom in by 10%",
}
# The changes that fail one of lesson 06's two questions ("does it keep the label?", "would it occur in the
# images the model will meet once it is used?"): which question, and why. The other changes pass both.
# For the use Exercise 1 names (digits cut roughly from scanned forms), these changes keep the label and occur.
_OCCUR_ON_FORMS = {"c", "d", "g"}
_FAILS = {
    "a": ("second", "nobody writes mirrored digits, so a model that reads handwriting will never meet one "
                    "(whether a mirrored 2 still counts as a 2 can be argued; either way none occur)"),
    "b": ("first", "a 6 turned by 180 degrees is a 9, and a 9 a 6"),
    "f": ("second", "mirrored top to bottom, a 7 becomes a backwards L and a 6 a backwards 9, shapes nobody "
                    "writes"),
}


def check_safe_augmentations(answer) -> bool:
    """Exercise 06.1: the letters of DIGIT_CHANGES to use when training on MNIST for a model that will read
    digits cut roughly from scanned forms (not centred or sized like MNIST's): a yes to both questions."""
    try:
        chosen = {str(letter).strip().lower() for letter in answer}
    except TypeError:
        chosen = None
    if chosen == set():
        return report(False, "", "An empty set says no change passes both questions; some do.")
    if not chosen or not chosen <= set(DIGIT_CHANGES):
        return report(False, "", f"Answer with a set of letters from {', '.join(DIGIT_CHANGES)}, "
                                 "e.g. {'a', 'c'}.")
    failing = sorted(chosen & set(_FAILS))
    if failing:
        question, reason = _FAILS[failing[0]]
        return report(False, "", f"'{failing[0]}' ({DIGIT_CHANGES[failing[0]]}) fails the {question} question: "
                                 f"{reason}.")
    missing = sorted(_OCCUR_ON_FORMS - chosen)
    if missing:
        names = " and ".join(", ".join(f"'{letter}' ({DIGIT_CHANGES[letter]})" for letter in missing).rsplit(", ", 1))
        return report(False, "", f"You left out {names}. It keeps the label, and digits cut roughly from forms are "
                                 "not centred or sized the way MNIST's are: they come shifted, "
                                 "larger or smaller, and tilted, so this change occurs for that use.")
    verdict = ("Shifts, turns and zooms keep the label and occur in digits cut roughly from forms; a 180-degree "
               "turn fails the first question (a 6 becomes a 9), and mirroring, either way, the second (shapes "
               "nobody writes). Brightening (e) is the one you may take or leave: it looks like a bolder pen, "
               "but MNIST's digits are already bold. For a model that will only read digits prepared like "
               "MNIST's, the answer changes: shifts and zooms would not occur (section 2).")
    return report(True, verdict, "")


def check_random_flip(answer) -> bool:
    """Exercise 06.2: a function random_flip(images, p) that mirrors each image on its own with chance p."""
    if not callable(answer):
        return report(False, "", "Pass your function itself, e.g. check_random_flip(random_flip), "
                                 "without calling it.")
    generator = torch.Generator().manual_seed(0)   # the checker's test images: fixed, whatever the seed offset
    images = torch.rand(2000, 3, 6, 6, generator=generator)   # three channels: a colour image is mirrored as a whole
    original = images.clone()
    mirrored = images.flip(-1)
    try:
        none, every = answer(images, 0.0), answer(images, 1.0)
        halves = [answer(images, 0.5) for _ in range(4)]
        fifth = answer(images, 0.2)
    except Exception as error:      # a student's function may fail in any way: explain, don't crash
        return report(False, "", f"Your function raised {type(error).__name__}: {error}")
    if not torch.equal(images, original):
        return report(False, "", "Your function changed the input batch in place; return a new tensor.")
    outputs = (none, every, *halves, fifth)
    if not all(isinstance(out, torch.Tensor) and out.shape == images.shape for out in outputs):
        return report(False, "", "Return a tensor with the same shape as `images` (N x C x H x W).")

    def matches(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        "Per image: equal up to rounding (a flip made by resampling, e.g. grid_sample, is off by about 1e-7)."
        return (out.float() - target).abs().flatten(1).amax(1) <= 1e-5

    if not bool(matches(none, images).all()):
        return report(False, "", "With p = 0 no image may change.")
    if bool(matches(every, images.flip(-2)).all()):
        return report(False, "", "That flips top to bottom (dimension -2); mirror left-right: the last dimension.")
    if not bool(matches(every, mirrored).all()):
        return report(False, "", "With p = 1 every image must be mirrored left-right: images.flip(-1).")
    decisions = []
    for p, out in [(0.5, out) for out in halves] + [(0.2, fifth)]:
        flipped = matches(out, mirrored)
        if not bool((flipped | matches(out, images)).all()):
            return report(False, "", f"With p = {p} each output must be its input either mirrored or untouched, "
                                     "all its channels together (one coin per image, not per channel).")
        share = flipped.float().mean().item()
        if share in (0.0, 1.0):
            return report(False, "", f"With p = {p} all images got the same decision: draw one random number per "
                                     "image, e.g. torch.rand(len(images)) < p.")
        # 2,000 fair coins: the share lies within 0.05 of p except about once in 10,000 tries
        if abs(share - p) > 0.05:
            return report(False, "", f"With p = {p} it mirrored {share:.0%} of the images; about {p:.0%} should be.")
        decisions.append(flipped)
    if torch.equal(decisions[0], decisions[1]):
        return report(False, "", "Two calls with p = 0.5 mirrored exactly the same images: the choice must be "
                                 "random, drawn afresh on every call (torch.rand), not a fixed pattern.")
    # A fixed pattern (every other image, the first half) shows as runs: random choices for neighbouring
    # images agree about half the time.
    for flipped in decisions[:2]:
        agree = (flipped[1:] == flipped[:-1]).float().mean().item()
        if not 0.4 <= agree <= 0.6:
            return report(False, "", "Neighbouring images got too regular decisions (a pattern, not coin tosses): "
                                     "draw one random number per image, e.g. torch.rand(len(images)) < p.")
    # Independent coins give a count that varies from call to call (about 1,000 +- 22 at p = 0.5); four calls
    # with the same count, by chance, happen about once in 100,000 tries. A fixed quota (exactly p * N images,
    # picked with randperm) gives the same count every time.
    if len({int(flipped.sum()) for flipped in decisions[:4]}) == 1:
        return report(False, "", "Four calls with p = 0.5 each mirrored exactly the same number of images: that is "
                                 "a quota, not a coin per image. Decide each image on its own, e.g. "
                                 "torch.rand(len(images)) < p, so the count varies from call to call.")
    return report(True, "Each image was mirrored or kept by its own coin toss, about p of them mirrored, "
                        "and a new call tossed new coins.", "")


def check_shift_theta(answer) -> bool:
    """Exercise 06.3: the 2 x 3 affine_grid matrix that moves a 28 x 28 image 7 pixels to the right."""
    try:
        theta = torch.as_tensor(answer, dtype=torch.float32).reshape(1, 2, 3)
    except (TypeError, ValueError, RuntimeError):
        return report(False, "", "Give theta as two rows of three numbers, e.g. [[1, 0, 0], [0, 1, 0]].")
    image = torch.zeros(1, 1, 28, 28)
    # a block that brightens left to right and top to bottom, so that a matrix that also mirrors or turns it fails
    image[0, 0, 6:20, 4:14] = torch.linspace(0.1, 1.0, 10) * torch.linspace(0.5, 1.0, 14)[:, None]
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


class MappedLoader:
    """Wrap a loader so that every batch it yields goes through `change(images)` first (labels untouched).

    Like utils.AugmentedLoader, but for any function of a batch, e.g. random shifts by whole pixels.
    """

    def __init__(self, loader, change):
        if not callable(change):
            raise ValueError("change must be a function of a batch of images, e.g. "
                             "lambda images: random_shifts(images, 3).")
        self.loader, self.change = loader, change

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        for images, labels in self.loader:
            yield self.change(images), labels


def shifted_accuracy(model, images: torch.Tensor, labels: torch.Tensor, pixels=(0, 1, 2, 3, 4)) -> list[float]:
    """Lesson 05's test: the accuracy on `images` moved by each distance in `pixels`, averaged over the
    four moves (left, right, up, down); distance 0 is the images as they are. Returns one number per distance."""
    if len(images) != len(labels) or not len(labels):
        raise ValueError(f"Need as many labels as images (at least one); got {len(images)} images and "
                         f"{len(labels)} labels.")
    result = []
    for distance in pixels:
        moves = [(distance, 0), (-distance, 0), (0, distance), (0, -distance)] if distance else [(0, 0)]
        scores = [(predict(model, shift_images(images, *move)) == labels).float().mean().item() for move in moves]
        result.append(sum(scores) / len(scores))
    return result


@functools.lru_cache(maxsize=2)
def _one_per_class(dataset: str) -> torch.Tensor:
    """Return the first training image of each class of `dataset`, in class order, as 10 x 1 x 28 x 28 in 0..1."""
    data = load_dataset(dataset, train=True)
    firsts = [int((data.targets == label).nonzero()[0]) for label in range(10)]
    return data.data[firsts].unsqueeze(1).float() / 255


def augmentation_grid(dataset: str = "fashion_mnist", flip: float = 0.0, degrees: float = 0.0,
                      zoom: float = 0.0, shift: float = 0.0, brightness: float = 0.0,
                      draws: int = 3, seed: int = 0) -> dict:
    """Augment one training image per class `draws` times with utils.augment_batch; print a summary line.

    Returns {"rows": {"original": images, "draw 1": ..., ...}, "change": mean absolute pixel change
    (pixels run from 0 to 1)}. The same `seed` gives the same pictures.
    """
    strengths = check_strengths({"flip": flip, "degrees": degrees, "zoom": zoom, "shift": shift,
                                 "brightness": brightness})
    if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= 10:
        raise ValueError(f"draws must be a whole number from 1 to 10; got {draws!r}.")
    key = dataset_key(dataset)
    images = _one_per_class(key)
    generator = make_generator(seed)
    rows = {"original": images}
    for draw in range(1, draws + 1):
        rows[f"draw {draw}"] = augment_batch(images, **strengths, generator=generator)
    change = torch.stack([(row - images).abs().mean() for name, row in rows.items() if name != "original"])
    print(f"{key}: flip {flip:.0%}, rotate ±{degrees:g}°, zoom ±{zoom:.0%}, shift ±{shift:.0%}, "
          f"brightness ±{brightness:.0%} -> pixels changed by {change.mean():.3f} on average")
    return {"rows": rows, "change": change.mean().item()}


def show_augmentation_grid(dataset: str = "fashion_mnist", flip: float = 0.0, degrees: float = 0.0,
                           zoom: float = 0.0, shift: float = 0.0, brightness: float = 0.0,
                           seed: int = 0) -> None:
    """Print the summary of augmentation_grid and draw its originals above three augmented draws."""
    result = augmentation_grid(dataset, flip, degrees, zoom, shift, brightness, seed=seed)
    show_augmentations(result["rows"], title="Top row: one training image per class; below: random augmentations")
    fig = plt.gcf()
    display(fig)
    plt.close(fig)


def make_augmentation_explorer() -> widgets.Widget:
    """Return an explorer: pick a dataset and augmentation strengths, see three random draws of each image.

    The images are training images (lesson 06 keeps the test set for its end).
    Controls: Dropdown "dataset" (fashion_mnist, mnist); FloatSlider "flip chance" (0 to 1),
    IntSlider "rotate ±°" (0 to 180), FloatSliders "zoom ±", "shift ±", "brightness ±" (0 to 0.5);
    IntSlider "new draw" (a seed, 0 to 20). Each change reprints the line "fashion_mnist: flip 50%,
    rotate ±15°, zoom ±10%, shift ±10%, brightness ±20% -> pixels changed by 0.1.. on average" and
    redraws the grid (10 originals, 3 augmented rows).
    """
    style = {"description_width": "initial"}

    def slider(kind, value, low, high, step, label):
        return kind(value=value, min=low, max=high, step=step, description=label,
                    continuous_update=False, style=style)

    return widgets.interactive(
        show_augmentation_grid,
        dataset=widgets.Dropdown(options=["fashion_mnist", "mnist"], value="fashion_mnist", description="dataset"),
        flip=slider(widgets.FloatSlider, 0.5, 0, 1, 0.25, "flip chance"),
        degrees=slider(widgets.IntSlider, 15, 0, 180, 5, "rotate ±°"),
        zoom=slider(widgets.FloatSlider, 0.1, 0, 0.5, 0.05, "zoom ±"),
        shift=slider(widgets.FloatSlider, 0.1, 0, 0.5, 0.02, "shift ±"),
        brightness=slider(widgets.FloatSlider, 0.2, 0, 0.5, 0.05, "brightness ±"),
        seed=slider(widgets.IntSlider, 0, 0, 20, 1, "new draw"),
    )
