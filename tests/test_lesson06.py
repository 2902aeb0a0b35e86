"""Lesson 06 (data augmentation): batched augmentation, the exercise checkers (right and wrong), the explorer."""

import math

import pytest
import torch
from torchvision.transforms import v2

import utils
from utils import lesson06 as lesson
from utils.augment import AugmentedLoader, augment_batch


def images(count: int = 6) -> torch.Tensor:
    """A batch of distinct images with a dark (-0.4) background and an off-centre bright block."""
    batch = torch.full((count, 1, 28, 28), -0.4)
    for index in range(count):
        batch[index, 0, 6:18, 3 + index:9 + index] = torch.linspace(0.5, 2.5, 6)
    return batch


# --- augment_batch ---

def test_no_augmentation_returns_the_images():
    batch = images()
    out = augment_batch(batch)
    assert torch.equal(out, batch) and out is not batch


def test_flip_one_mirrors_every_image_exactly():
    batch = images()
    assert torch.allclose(augment_batch(batch, flip=1.0), batch.flip(-1), atol=1e-5)


def test_rotation_keeps_the_content():
    batch = images()      # the blocks lie inside the image's inscribed circle: no rotation cuts them off
    out = augment_batch(batch, degrees=180, generator=torch.Generator().manual_seed(0))
    assert out.shape == batch.shape
    assert torch.allclose((out + 0.4).sum((1, 2, 3)), (batch + 0.4).sum((1, 2, 3)), rtol=0.1)


def test_each_image_gets_its_own_random_choice():
    same = images(1).repeat(16, 1, 1, 1)
    for strength in ({"flip": 0.5}, {"degrees": 30}, {"zoom": 0.3}, {"shift": 0.2}, {"brightness": 0.5}):
        out = augment_batch(same, **strength, generator=torch.Generator().manual_seed(1))
        distinct = len({tuple(row.flatten().round(decimals=4).tolist()) for row in out})
        assert distinct > 1, f"{strength}: all 16 copies came out the same"


def test_torchvision_transform_on_a_batch_draws_once():
    same = images(1).repeat(8, 1, 1, 1)
    out = v2.RandomRotation(30)(same)
    assert all(torch.equal(out[0], row) for row in out)


def test_background_fills_uncovered_space_and_brightness_saturates():
    batch = images()
    moved = augment_batch(batch, shift=0.5, generator=torch.Generator().manual_seed(0))
    assert moved.min().item() == pytest.approx(-0.4, abs=1e-5)
    brighter = augment_batch(batch, brightness=0.9, generator=torch.Generator().manual_seed(0))
    assert brighter.max().item() <= batch.max().item() + 1e-5


def test_same_generator_seed_repeats_and_bad_input_is_explained():
    batch = images()
    first = augment_batch(batch, degrees=20, shift=0.1, generator=torch.Generator().manual_seed(3))
    again = augment_batch(batch, degrees=20, shift=0.1, generator=torch.Generator().manual_seed(3))
    assert torch.equal(first, again)
    with pytest.raises(ValueError, match="zoom"):
        augment_batch(batch, zoom=1.5)
    with pytest.raises(ValueError, match="N x C x H x W"):
        augment_batch(batch[0])
    with pytest.raises(ValueError, match="float"):
        augment_batch(batch.long())
    with pytest.raises(ValueError, match="Unknown augmentation"):
        AugmentedLoader([], twist=0.3)
    with pytest.raises(ValueError, match="dict"):
        utils.show_augmentations(batch)


def test_augmented_loader_keeps_labels_and_length():
    loader = utils.TensorLoader(images(6), torch.arange(6), batch_size=4)
    augmented = AugmentedLoader(loader, shift=0.1)
    batches = list(augmented)
    assert len(augmented) == len(loader) == 2
    assert torch.equal(torch.cat([labels for _, labels in batches]), torch.arange(6))
    assert not torch.allclose(batches[0][0], images(6)[:4])


# --- checkers ---

def test_check_safe_augmentations(capsys):
    # The exercise names the use: digits cut roughly from scanned forms. Shifts, turns and zooms occur there.
    assert lesson.check_safe_augmentations({"c", "d", "e", "g"})
    assert lesson.check_safe_augmentations(["C", "d", "g"])                  # brightening may be left out
    assert "take or leave" in capsys.readouterr().out
    assert not lesson.check_safe_augmentations(None)
    capsys.readouterr()
    assert not lesson.check_safe_augmentations(set())
    assert "empty set" in capsys.readouterr().out
    assert not lesson.check_safe_augmentations({"c", "g"})                   # turns occur too: slant varies
    assert "'d' (rotate by 10 degrees)" in capsys.readouterr().out
    assert not lesson.check_safe_augmentations({"d", "e"})
    assert "'c' (shift 2 pixels to the right) and 'g' (zoom in by 10%)" in capsys.readouterr().out
    assert not lesson.check_safe_augmentations({"e"})
    capsys.readouterr()
    assert not lesson.check_safe_augmentations({"c", "z"})
    capsys.readouterr()
    assert not lesson.check_safe_augmentations({"b", "c", "d", "g"})
    out = capsys.readouterr().out
    assert "fails the first question" in out and "a 6 turned by 180 degrees is a 9" in out


def test_check_safe_augmentations_rejects_mirrors_on_the_second_question(capsys):
    # A student who argues that a mirrored 2 may still be a 2 (the first question) is answered with the
    # second question, which the exercise asks too: nobody writes mirrored digits.
    assert not lesson.check_safe_augmentations({"a", "c", "d", "e", "g"})
    out = capsys.readouterr().out
    assert "fails the second question" in out and "nobody writes mirrored digits" in out
    assert not lesson.check_safe_augmentations({"c", "d", "e", "f", "g"})
    assert "fails the second question" in capsys.readouterr().out


def test_check_random_flip():
    def right(batch, p):
        mirror = torch.rand(len(batch)) < p
        return torch.where(mirror[:, None, None, None], batch.flip(-1), batch)

    def one_coin(batch, p):
        return batch.flip(-1) if torch.rand(()) < p else batch.clone()

    def in_place(batch, p):
        batch[:] = right(batch, p)
        return batch

    assert lesson.check_random_flip(right)
    assert not lesson.check_random_flip(None)
    assert not lesson.check_random_flip(one_coin)
    assert not lesson.check_random_flip(lambda batch, p: batch.flip(-2) if p else batch)
    assert not lesson.check_random_flip(lambda batch, p: batch.flip(-1))
    assert not lesson.check_random_flip(lambda batch, p: 1 / 0)
    assert not lesson.check_random_flip(in_place)


def test_check_random_flip_rejects_patterns_and_wrong_rates(capsys):
    def right_with_loop(batch, p):
        return torch.stack([image.flip(-1) if torch.rand(()) < p else image.clone() for image in batch])

    def every_other(batch, p):
        out = batch.clone()
        out[::2] = batch[::2].flip(-1)
        return batch.flip(-1) if p == 1 else out if p > 0 else batch.clone()

    def first_share(batch, p):
        out = batch.clone()
        count = round(p * len(batch))
        out[:count] = batch[:count].flip(-1)
        return out

    def always_half(batch, p):
        if p in (0, 1):
            return batch.flip(-1) if p else batch.clone()
        mirror = torch.rand(len(batch)) < 0.5
        return torch.where(mirror[:, None, None, None], batch.flip(-1), batch)

    def same_coins_every_call(batch, p):
        mirror = torch.rand(len(batch), generator=torch.Generator().manual_seed(1)) < p
        return torch.where(mirror[:, None, None, None], batch.flip(-1), batch)

    calls = []

    def stripes_that_move(batch, p):      # a new pattern on every call, but a pattern: every other image
        calls.append(p)
        if p in (0, 1):
            return batch.flip(-1) if p else batch.clone()
        mirror = torch.arange(len(batch)) % round(1 / p) == len(calls) % round(1 / p)
        return torch.where(mirror[:, None, None, None], batch.flip(-1), batch)

    assert lesson.check_random_flip(right_with_loop)
    for wrong in (every_other, first_share, always_half, same_coins_every_call):
        assert not lesson.check_random_flip(wrong), wrong.__name__
    out = capsys.readouterr().out
    assert "p = 0.2" in out and "afresh" in out
    assert not lesson.check_random_flip(stripes_that_move)
    assert "Neighbouring images" in capsys.readouterr().out


def test_check_random_flip_accepts_rounding_and_rejects_quotas(capsys):
    def quota(batch, p):                  # exactly p * N images, chosen at random: not a coin per image
        out = batch.clone()
        chosen = torch.randperm(len(batch))[:round(p * len(batch))]
        out[chosen] = batch[chosen].flip(-1)
        return out

    def resampled(batch, p):              # a flip made by resampling, as appendix A does: off by ~1e-7
        mirror = torch.rand(len(batch)) < p
        theta = torch.tensor([[-1.0, 0, 0], [0, 1.0, 0]]).expand(len(batch), 2, 3)
        grid = torch.nn.functional.affine_grid(theta, list(batch.shape), align_corners=False)
        flipped = torch.nn.functional.grid_sample(batch, grid, align_corners=False)
        return torch.where(mirror[:, None, None, None], flipped, batch)

    assert not lesson.check_random_flip(quota)
    assert "quota" in capsys.readouterr().out
    assert lesson.check_random_flip(resampled)
    assert lesson.check_random_flip(lambda batch, p: utils.augment_batch(batch, flip=p))


def test_check_shift_theta():
    assert lesson.check_shift_theta([[1, 0, -0.5], [0, 1, 0]])
    assert lesson.check_shift_theta(torch.tensor([[1.0, 0.0, -14 / 28], [0.0, 1.0, 0.0]]))
    assert not lesson.check_shift_theta(None)
    assert not lesson.check_shift_theta([[1, 0, 0.5], [0, 1, 0]])
    assert not lesson.check_shift_theta([[1, 0, -0.25], [0, 1, 0]])
    assert not lesson.check_shift_theta([[1, 0, 0], [0, 1, -0.5]])
    assert not lesson.check_shift_theta([[1, 0, -0.5], [0, -1, -1 / 7]])    # moved right, but also upside down
    assert not lesson.check_shift_theta([[1, 0, -0.5], [0, -1, 0]])
    assert not lesson.check_shift_theta([[-1, 0, 0.5], [0, 1, 0]])          # mirrored left-right


# --- explorer ---

def test_augmentation_grid_changes_with_strength(capsys):
    plain = lesson.augmentation_grid("mnist")
    assert plain["change"] == pytest.approx(0.0, abs=1e-6)
    assert list(plain["rows"]) == ["original", "draw 1", "draw 2", "draw 3"]
    assert plain["rows"]["original"].shape == (10, 1, 28, 28)
    strong = lesson.augmentation_grid("mnist", flip=0.5, degrees=30, shift=0.1)
    assert strong["change"] > 0.05
    out = capsys.readouterr().out
    assert "mnist: flip 50%, rotate ±30°" in out and "pixels changed by" in out
    again = lesson.augmentation_grid("mnist", flip=0.5, degrees=30, shift=0.1)
    assert math.isclose(again["change"], strong["change"])
    other = lesson.augmentation_grid("mnist", flip=0.5, degrees=30, shift=0.1, seed=1)
    assert not math.isclose(other["change"], strong["change"])
    with pytest.raises(ValueError, match="degrees"):
        lesson.augmentation_grid("mnist", degrees=400)


def test_augmentation_explorer_builds(monkeypatch):
    monkeypatch.setattr(lesson, "display", lambda *args: None)
    explorer = lesson.make_augmentation_explorer()
    names = {child.description for child in explorer.children if hasattr(child, "description")}
    assert {"dataset", "flip chance", "rotate ±°", "zoom ±", "shift ±", "brightness ±", "new draw"} <= names


# --- shift_images (lesson 05's shift, extended to one move per image) ---

def lesson05_shift(batch: torch.Tensor, right: int, down: int) -> torch.Tensor:
    """Lesson 05's `shift`, copied from notebooks/05_convolutional_networks.ipynb."""
    background = batch.amin()
    moved = torch.roll(batch, shifts=(down, right), dims=(2, 3))
    if down > 0:
        moved[:, :, :down] = background
    elif down < 0:
        moved[:, :, down:] = background
    if right > 0:
        moved[:, :, :, :right] = background
    elif right < 0:
        moved[:, :, :, right:] = background
    return moved


def test_shift_images_matches_lesson05s_shift():
    batch = torch.randn(4, 2, 28, 28, generator=torch.Generator().manual_seed(0))
    for right in range(-5, 6):
        for down in (-4, -1, 0, 2, 30):
            assert torch.equal(utils.shift_images(batch, right, down), lesson05_shift(batch, right, down))


def test_shift_images_moves_each_image_its_own_way():
    batch = images(6)
    right, down = torch.tensor([0, 1, -2, 3, 0, -4]), torch.tensor([0, 0, 1, -3, 4, 2])
    moved = utils.shift_images(batch, right, down)
    for index in range(6):
        alone = lesson05_shift(batch[index:index + 1], int(right[index]), int(down[index]))
        assert torch.equal(moved[index:index + 1], alone)      # the batch's background is every image's here


def test_shift_images_explains_bad_input():
    batch = images(3)
    with pytest.raises(ValueError, match="N x C x H x W"):
        utils.shift_images(batch[0], 1, 0)
    with pytest.raises(ValueError, match="right must be a whole number"):
        utils.shift_images(batch, 1.5, 0)
    with pytest.raises(ValueError, match="down must be a whole number or one whole number per image"):
        utils.shift_images(batch, 0, torch.tensor([1, 2]))


# --- the CNN experiment's helpers ---

def test_mapped_loader_changes_every_batch_and_keeps_labels():
    loader = utils.TensorLoader(images(6), torch.arange(6), batch_size=4)
    mapped = lesson.MappedLoader(loader, lambda batch: batch + 1)
    batches = list(mapped)
    assert len(mapped) == 2
    assert torch.equal(torch.cat([labels for _, labels in batches]), torch.arange(6))
    assert torch.equal(torch.cat([batch for batch, _ in batches]), images(6) + 1)
    with pytest.raises(ValueError, match="change must be a function"):
        lesson.MappedLoader(loader, 3)


class CentreDetector(torch.nn.Module):
    """Class 1 when the pixel at row 14, column 14 is bright, else class 0: a model that any move fools."""

    def forward(self, batch):
        bright = batch[:, 0, 14, 14] > 0.5
        return torch.stack([(~bright).float(), bright.float()], 1)


def test_shifted_accuracy_follows_lesson05s_protocol():
    batch = torch.zeros(8, 1, 28, 28)
    batch[:, 0, 14, 14] = 1.0
    labels = torch.ones(8, dtype=torch.long)
    assert lesson.shifted_accuracy(CentreDetector(), batch, labels) == [1.0, 0.0, 0.0, 0.0, 0.0]
    wide = torch.zeros(8, 1, 28, 28)
    wide[:, 0, 14, 12:17] = 1.0                       # a horizontal bar: left/right moves of 1-2 px keep it
    assert lesson.shifted_accuracy(CentreDetector(), wide, labels, pixels=(1, 2, 3)) == [0.5, 0.5, 0.0]
    with pytest.raises(ValueError, match="as many labels as images"):
        lesson.shifted_accuracy(CentreDetector(), batch, labels[:3])


def test_checker_explains_a_top_to_bottom_mirror(capsys):
    assert not lesson.check_safe_augmentations({"c", "d", "e", "f", "g"})
    out = capsys.readouterr().out
    assert "mirrored top to bottom" in out and "upside down" not in out


def test_check_random_flip_rejects_a_coin_per_channel(capsys):
    # A fresh reader's: a coin per image *and channel* would mirror a colour image's channels apart.
    def coin_per_channel(batch, p):
        mask = torch.rand(batch.shape[0], batch.shape[1], 1, 1) < p
        return torch.where(mask, batch.flip(-1), batch)

    def coin_per_image(batch, p):
        mask = torch.rand(len(batch)) < p
        return torch.where(mask.view(-1, 1, 1, 1), batch.flip(-1), batch)

    assert not lesson.check_random_flip(coin_per_channel)
    assert "channels together" in capsys.readouterr().out
    assert lesson.check_random_flip(coin_per_image)
