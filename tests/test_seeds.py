"""The seed offset (DLB_SEED_OFFSET) changes every random draw and nothing else."""

import pytest
import torch

import utils
from utils import seeds


def draws() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return one draw from the global seed, one from make_generator and one split_off order."""
    utils.set_seed(0)
    images, labels = torch.arange(100.0).unsqueeze(1), torch.arange(100) % 10
    _, (held, _) = utils.split_off(images, labels, 10, seed=0)
    return torch.rand(3), torch.rand(3, generator=utils.make_generator(0)), held


def test_no_offset_is_the_plain_seed(monkeypatch):
    monkeypatch.delenv(seeds.SEED_OFFSET_VARIABLE, raising=False)
    first, generated, _ = draws()
    assert torch.equal(first, torch.rand(3, generator=torch.Generator().manual_seed(0)))
    assert torch.equal(generated, torch.rand(3, generator=torch.Generator().manual_seed(0)))


def test_offset_shifts_every_seed_and_repeats(monkeypatch):
    monkeypatch.delenv(seeds.SEED_OFFSET_VARIABLE, raising=False)
    plain = draws()
    monkeypatch.setenv(seeds.SEED_OFFSET_VARIABLE, "3")
    shifted, again = draws(), draws()
    assert all(not torch.equal(a, b) for a, b in zip(plain, shifted))
    assert all(torch.equal(a, b) for a, b in zip(shifted, again))
    assert torch.equal(shifted[0], torch.rand(3, generator=torch.Generator().manual_seed(3)))


def test_bad_offset_says_what_it_must_be(monkeypatch):
    monkeypatch.setenv(seeds.SEED_OFFSET_VARIABLE, "two")
    with pytest.raises(ValueError, match="DLB_SEED_OFFSET must be a whole number"):
        utils.set_seed(0)
