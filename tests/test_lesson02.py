"""Lesson 02's exercise checkers tell right answers from wrong ones, and never raise on the default."""

import math

import pytest
import torch

from utils import lesson02 as lesson


def test_cross_entropy_checker_accepts_minus_log_softmax():
    logits = [2.0, 0.5, -1.0]
    right = -math.log(math.exp(logits[1]) / sum(math.exp(v) for v in logits))
    assert lesson.check_cross_entropy(right)
    assert lesson.check_cross_entropy(torch.tensor(right))
    assert lesson.check_cross_entropy(-math.log(math.exp(3.0) / (math.exp(3.0) + 1)), logits=(3.0, 0.0), label=0)


@pytest.mark.parametrize("wrong", [None, "abc", 1.70, 0.1753, -1.7413, 0.7562, 1.0986, 2.3026])
def test_cross_entropy_checker_rejects_common_mistakes(wrong, capsys):
    assert not lesson.check_cross_entropy(wrong)
    assert "❌" in capsys.readouterr().out


def test_cross_entropy_checker_names_the_mistake(capsys):
    lesson.check_cross_entropy(0.1753)   # the probability, not the loss
    assert "-log(p)" in capsys.readouterr().out
    lesson.check_cross_entropy(-1.7413)  # sign forgotten
    assert "sign" in capsys.readouterr().out


def test_gradient_checker():
    assert lesson.check_gradient(-12)
    assert lesson.check_gradient(-12.0000001)
    assert lesson.check_gradient(2 * (3 * 4 - 1) * 4, w=3, x=4, y=1)
    for wrong in [None, 12, -6, 9, 2.5, "twelve"]:
        assert not lesson.check_gradient(wrong)


def test_steps_per_epoch_checker(capsys):
    assert lesson.check_steps_per_epoch(782)
    assert lesson.check_steps_per_epoch(100, examples=1000, batch_size=10)
    assert lesson.check_steps_per_epoch(101, examples=1001, batch_size=10)
    for wrong in [None, 781, 781.25, 783, 50_000 * 64]:
        assert not lesson.check_steps_per_epoch(wrong)
    lesson.check_steps_per_epoch(781)
    assert "one more" in capsys.readouterr().out
