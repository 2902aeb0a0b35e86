"""Lesson 02's exercise checkers tell right answers from wrong ones, and never raise on the default."""

import math

import pytest
import torch

from utils import lesson02 as lesson


def test_cross_entropy_checker_accepts_minus_log_softmax():
    logits = [1.0, 2.0, 0.5]
    right = -math.log(math.exp(logits[0]) / sum(math.exp(v) for v in logits))
    assert lesson.check_cross_entropy(right)
    assert lesson.check_cross_entropy(torch.tensor(right))
    assert lesson.check_cross_entropy(-math.log(math.exp(3.0) / (math.exp(3.0) + 1)), logits=(3.0, 0.0), label=0)


@pytest.mark.parametrize("wrong", [None, "abc", 1.70, 0.2312, -1.4644, 0.6360, 1.0986, 2.3026, 0.4644, 1.9644])
def test_cross_entropy_checker_rejects_common_mistakes(wrong, capsys):
    assert not lesson.check_cross_entropy(wrong)
    assert "❌" in capsys.readouterr().out


def test_cross_entropy_checker_names_the_mistake(capsys):
    lesson.check_cross_entropy(0.2312)   # the probability, not the loss
    assert "-log(p)" in capsys.readouterr().out
    lesson.check_cross_entropy(-1.4644)  # sign forgotten
    assert "sign" in capsys.readouterr().out
    lesson.check_cross_entropy(-math.log(0.23))   # p rounded to 0.23 before the log: 1.470
    assert "don't round" in capsys.readouterr().out
    lesson.check_cross_entropy(0.4644)   # class 1's loss, not class 0's
    out = capsys.readouterr().out
    assert "true class were 1" in out and "true class is 0" in out
    lesson.check_cross_entropy(1.9644)   # class 2's loss
    assert "true class were 2" in capsys.readouterr().out


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
    for wrong in [None, "782 steps", 781.25, 783, 50_000, 50_000 * 64, 780]:
        assert not lesson.check_steps_per_epoch(wrong)
    assert not lesson.check_steps_per_epoch(99, examples=1000, batch_size=10)


def test_steps_per_epoch_checker_accepts_drop_last_and_says_so(capsys):
    assert lesson.check_steps_per_epoch(781)           # DataLoader(..., drop_last=True)
    out = capsys.readouterr().out
    assert "✅" in out and "drop_last" in out and "782" in out
    assert lesson.check_steps_per_epoch(100, examples=1001, batch_size=10)
    lesson.check_steps_per_epoch(781.25)
    assert "whole" in capsys.readouterr().out
    for forgot_the_hold_out in (938, 937):              # 60,000 / 64: all images, none held out
        assert not lesson.check_steps_per_epoch(forgot_the_hold_out)
        assert "holding out" in capsys.readouterr().out


def test_total_updates_checker_counts_updates_not_images(capsys):
    assert lesson.check_total_updates(705)             # 3 epochs x ceil(60,000 / 256) = 3 x 235
    assert lesson.check_total_updates(705.0)
    assert lesson.check_total_updates(30, examples=1000, batch_size=100, epochs=3)
    assert lesson.check_total_updates(33, examples=1001, batch_size=100, epochs=3)
    for wrong in [None, "705 updates", 180_000, 60_000, 235, 702, 703, 703.125, 704, 706, 1]:
        assert not lesson.check_total_updates(wrong)


@pytest.mark.parametrize("wrong, words", [(180_000, "images"), (235, "one epoch"), (702, "drop_last"),
                                          (703.125, "one epoch at a time"), (704, "one epoch at a time"),
                                          (60_000, "one pass")])
def test_total_updates_checker_names_the_mistake(wrong, words, capsys):
    assert not lesson.check_total_updates(wrong)
    out = capsys.readouterr().out
    assert "❌" in out and words in out


def test_total_updates_checker_reads_a_number_typed_with_a_comma(capsys):
    # `answer = 180,000` is the tuple (180, 0) in Python: the checker says so, and still names the mistake.
    assert not lesson.check_total_updates((180, 0))
    out = capsys.readouterr().out
    assert "without a comma" in out and "images" in out
    assert lesson.check_total_updates("705")


def test_gradient_checker_names_a_finite_difference_estimate(capsys):
    assert not lesson.check_gradient(-11.9996)                      # section 3's estimate in float32, eps 1e-3
    assert "finite-difference estimate" in capsys.readouterr().out
    assert lesson.check_gradient(-12)


def test_cross_entropy_checker_wants_the_third_decimal_right(capsys):
    assert lesson.check_cross_entropy(1.464)                        # -log(0.2312...) = 1.4644
    assert not lesson.check_cross_entropy(1.465)                    # p rounded to 0.231 first: 1.4653
    assert "don't round it" in capsys.readouterr().out


def test_cross_entropy_checker_asks_for_three_decimals_when_rounded_to_two(capsys):
    assert not lesson.check_cross_entropy(1.46)
    assert "three decimals" in capsys.readouterr().out


def test_cross_entropy_checker_names_class_zero_as_the_wrong_class(capsys):
    lesson.check_cross_entropy(1.7413 - 1.5, logits=(2.0, 0.5, -1.0), label=1)   # class 0's loss, 0.2413
    assert "true class were 0" in capsys.readouterr().out


def test_cross_entropy_checker_explains_a_decimal_comma(capsys):
    # `answer = 1,464` (a decimal comma, as written in much of Europe) is the tuple (1, 464) in Python.
    assert not lesson.check_cross_entropy((1, 464))
    out = capsys.readouterr().out
    assert "decimals with a point: 1.464" in out and "number itself is right" in out
    assert not lesson.check_cross_entropy((2, 5))
    out = capsys.readouterr().out
    assert "decimals with a point" in out and "number itself is right" not in out
