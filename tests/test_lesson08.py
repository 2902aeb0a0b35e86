"""Lesson 08 (putting it together): label corruption, the noise explorer, and the checkers both ways."""

import ipywidgets
import pytest
import torch

from utils import lesson08 as lesson


def test_corrupt_labels_redraws_the_share_asked_for_and_repeats():
    labels = torch.arange(10_000) % 10
    noisy = lesson.corrupt_labels(labels, 0.3, seed=2)
    assert noisy.shape == labels.shape and noisy.dtype == labels.dtype
    assert torch.equal(noisy, lesson.corrupt_labels(labels, 0.3, seed=2))
    wrong = (noisy != labels).float().mean().item()
    assert abs(wrong - 0.27) < 0.015                    # 30% redrawn, a tenth of those land right by chance
    assert torch.equal(lesson.corrupt_labels(labels, 0.0), labels)
    assert torch.equal(labels, torch.arange(10_000) % 10)  # the original is left alone


@pytest.mark.parametrize("fraction", [-0.1, 1.5, "half", True])
def test_corrupt_labels_rejects_what_is_not_a_share(fraction):
    with pytest.raises(ValueError, match="share from 0 to 1"):
        lesson.corrupt_labels(torch.zeros(4, dtype=torch.long), fraction)


def test_noisy_label_run_learns_the_noise_it_is_given(capsys):
    size = list(lesson.MODEL_SIZES)[0]
    clean = lesson.noise_summary(0.0, size)
    noisy = lesson.noise_summary(0.6, size)
    assert clean["val_acc"] > noisy["val_acc"]
    assert noisy["noisy_train_acc"] > 1 - 0.6          # it fits some of the wrong labels too
    out = capsys.readouterr().out
    assert "0% of labels corrupted" in out and "60% of labels corrupted" in out
    assert lesson.noisy_label_run(0.6, size) is lesson.noisy_label_run(0.6, size)   # remembered, not retrained


def test_noisy_label_run_names_the_sizes_it_knows():
    with pytest.raises(ValueError, match="size must be one of"):
        lesson.noisy_label_run(0.1, "huge")


def test_noise_explorer_has_its_controls_and_redraws(monkeypatch, capsys, show_explorer):
    monkeypatch.setattr(lesson, "display", lambda *args: None)
    explorer = lesson.make_noise_explorer()
    show_explorer(explorer)
    controls = {child.description: child for child in explorer.children[:-1]}
    assert isinstance(explorer, ipywidgets.interactive) and set(controls) == {"corrupted labels", "model"}
    controls["corrupted labels"].value = 0.0
    out = capsys.readouterr().out
    assert "30% of labels corrupted" in out and "0% of labels corrupted" in out


def test_wrong_share_checker():
    assert lesson.check_wrong_share(0.27)
    assert lesson.check_wrong_share(0.3 * 9 / 10)
    assert lesson.check_wrong_share(0.5 * 4 / 5, fraction=0.5, classes=5)
    for wrong in (None, "0.27x", 0.3, 27, 0.9, 0.03):
        assert not lesson.check_wrong_share(wrong)


def test_wrong_share_checker_hints(capsys):
    lesson.check_wrong_share(0.3)
    assert "1 time in 10" in capsys.readouterr().out
    lesson.check_wrong_share(27)
    assert "share" in capsys.readouterr().out


def test_first_knob_checker():
    assert lesson.check_first_knob({"a": "learning rate", "b": "regularise", "c": "lower rate"})
    for wrong in (None, {"a": "lower rate", "b": "regularise", "c": "learning rate"}, {"a": "learning rate"},
                  {"a": "learning rate", "b": "more layers", "c": "lower rate"}):
        assert not lesson.check_first_knob(wrong)


def test_first_knob_checker_explains_each_wrong_match(capsys):
    lesson.check_first_knob({"a": "regularise", "b": "regularise", "c": "lower rate"})
    out = capsys.readouterr().out
    assert "(a)" in out and "(b)" not in out and "(c)" not in out
