"""Lesson 04 (overfitting): exercise checkers tell right from wrong; the overfitting explorer works."""


import ipywidgets
import pytest
import torch

import utils
from utils import lesson04 as lesson

# --- Exercise 1: early stopping by hand ---


@pytest.mark.parametrize("val_acc, patience, expected", [
    ([0.62, 0.70, 0.73, 0.72, 0.75, 0.75, 0.74, 0.73, 0.77], 3, (8, 5)),  # a tie is no improvement
    ([0.5, 0.6, 0.7], 2, (3, 3)),                                         # never runs out of patience
    ([0.9, 0.8, 0.7, 0.95], 1, (2, 1)),                                   # patience 1 stops at once
])
def test_early_stopping_epochs(val_acc, patience, expected):
    assert lesson.early_stopping_epochs(val_acc, patience) == expected


def test_early_stopping_checker_wants_a_pair_of_whole_numbers(capsys):
    assert lesson.check_early_stopping((8, 5)) and lesson.check_early_stopping([8, 5])
    for wrong in ("85", {8: 0, 5: 1}, (float("inf"), 5), (8.5, 5), 85):
        assert not lesson.check_early_stopping(wrong), wrong
        assert "two whole numbers" in capsys.readouterr().out


def test_early_stopping_epochs_agrees_with_fit(monkeypatch):
    """The checker's rule is the one utils.fit(patience=...) follows: fit sees scripted accuracies."""
    scripted = [0.5, 0.6, 0.55, 0.6, 0.58, 0.7, 0.9]
    accuracies = iter(scripted)
    monkeypatch.setattr(utils.training, "evaluate", lambda model, loader: (0.0, next(accuracies)))
    loader = utils.TensorLoader(torch.randn(8, 2), torch.randint(0, 2, (8,)), batch_size=4)
    history = utils.fit(torch.nn.Linear(2, 2), loader, loader, epochs=7, patience=3, progress=False)
    assert len(history["val_acc"]) == lesson.early_stopping_epochs(scripted, 3)[0] == 5


def test_early_stopping_checker(capsys):
    assert lesson.check_early_stopping((8, 5))
    assert lesson.check_early_stopping([8.0, 5.0])
    assert "✅" in capsys.readouterr().out
    for wrong in (None, 8, "8, 5", (5, 8), (8, 6), (9, 9), (8, 9), (7, 5), (8, 5.5), (8, 5, 1)):
        assert not lesson.check_early_stopping(wrong)
    assert "❌" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    ((9, 9), "tie is not an improvement"),
    ((8, 9), "never trained"),
    ((8, 3), "stop epoch is right"),
    ((8, 6), "a tie does not replace the saved weights"),
    ((7, 5), "restored epoch is right"),
    (None, "two whole numbers"),
])
def test_early_stopping_checker_hints(capsys, wrong, words):
    assert not lesson.check_early_stopping(wrong)
    assert words in capsys.readouterr().out


def test_early_stopping_checker_computes_its_answer():
    assert lesson.check_early_stopping((4, 1), val_acc=[0.9, 0.8, 0.8, 0.7, 0.99], patience=3)
    assert not lesson.check_early_stopping((8, 5), val_acc=[0.9, 0.8, 0.8, 0.7, 0.99], patience=3)

# --- Exercise 2: diagnose runs ---


def test_diagnose_rule():
    assert lesson.diagnose(1.0, 0.74) == "overfitting"
    assert lesson.diagnose(0.66, 0.65) == "underfitting"
    assert lesson.diagnose(0.92, 0.89) == "good fit"
    assert lesson.diagnose(0.70, 0.55) == "overfitting"   # the gap is checked first


def test_diagnosis_checker(capsys):
    right = {"A": "overfitting", "B": "underfitting", "C": "good fit"}
    assert lesson.check_diagnosis(right)
    assert lesson.check_diagnosis({"A": "Overfitting ", "B": "UNDERFITTING", "C": "good fit"})
    assert lesson.check_diagnosis({"A": "Overfitting.", "B": "underfitting!", "C": "good fit (small gap)"})
    assert lesson.check_diagnosis({"A": "memorising", "B": "high bias", "C": "good"})
    for a, b, c in (("overfit", "underfit", "good-fit"), ("over-fitting", "under_fitting", "good"),
                    ("overfitted", "under fit", "Good Fit"), ("Overfits", "underfitted", "well fit")):
        assert lesson.check_diagnosis({"A": a, "B": b, "C": c}), (a, b, c)
    assert "✅" in capsys.readouterr().out
    for wrong in (None, "overfitting", {"A": "overfitting"},
                  {"A": "underfitting", "B": "overfitting", "C": "good fit"},
                  {"A": "overfitting", "B": "good fit", "C": "good fit"},
                  {"A": "overfit", "B": "overfit", "C": "good fit"}, {"A": "bad", "B": "underfit", "C": "good"},
                  {"A": 1, "B": "underfit", "C": "good"}):
        assert not lesson.check_diagnosis(wrong)
    output = capsys.readouterr().out
    assert "Look again at B" in output and "dict" in output and "'bad' is not one of the three" in output


def test_diagnosis_checker_uses_the_runs_it_is_given():
    runs = {"x": (0.99, 0.98), "y": (0.5, 0.2)}
    assert lesson.check_diagnosis({"x": "good fit", "y": "overfitting"}, runs)
    assert not lesson.check_diagnosis({"x": "good fit", "y": "underfitting"}, runs)

# --- Exercise 3: choose by validation ---


RESULTS = {"baseline": {"val_acc": 0.75, "val_loss": 1.10, "test_acc": 0.754},
           "early stopping": {"val_acc": 0.76, "val_loss": 0.90, "test_acc": 0.748},
           "dropout": {"val_acc": 0.752, "val_loss": 0.72, "test_acc": 0.760}}


def test_choice_checker_accepts_either_validation_criterion(capsys):
    for right in (("early stopping", "validation accuracy"), ["early stopping", "val_acc"],
                  ("early stopping", "Validation Accuracy"), ("early stopping", "accuracy"),
                  ("dropout", "validation loss"), ("dropout", "val loss"), ("dropout", "loss"),
                  ("early stopping", "highest validation accuracy"), ("dropout", "lowest validation loss"),
                  ("early stopping", "validation-accuracy"), ("early stopping", "greatest validation accuracy"),
                  ("early stopping", "the maximum validation accuracy"), ("dropout", "smallest validation loss"),
                  ("dropout", "Minimum validation loss."), ("early stopping", "top val acc"),
                  ("early stopping", "accuracy on the validation set"), ("dropout", "validation-set loss"),
                  ("early stopping", "val. acc"), ("dropout", "cross-entropy"),
                  ("early stopping", "lowest validation error"), ("early stopping", "validation accuracy, not test"),
                  ("Early Stopping", "validation accuracy"), ("dropout", "negative log likelihood"), ("dropout", "NLL"),
                  # a fresh reader's: a criterion set against the other one
                  ("early stopping", "validation accuracy, not loss"), ("early stopping", "highest validation accuracy, not loss"),
                  ("dropout", "validation loss rather than accuracy"), ("dropout", "lowest validation loss instead of accuracy")):
        assert lesson.check_choice(right, RESULTS), right
    output = capsys.readouterr().out
    assert "✅" in output and "also a fair choice" in output


def test_choice_checker_rejects_wrong_choices(capsys):
    for wrong in (None, "baseline", "Early stopping", "early stopping", "dropout", ["early stopping"], 0.76, ("baseline", "validation loss"),
                  ("early stopping", "validation loss"), ("dropout", "validation accuracy"),
                  ("early stopping", "highest validation error"), ("early stopping", "training error"),
                  ("dropout", "test accuracy"), ("early stopping", "gut feeling"), ("early stopping", None),
                  ("early stopping", "training accuracy"), ("dropout", "train loss"),
                  ("dropout", "accuracy and loss"), ("baseline", "highest validation loss"),
                  ("baseline", "lowest validation accuracy"), ("baseline", "min val acc"),
                  ("early stopping", "testing accuracy"), ("early stopping", "accuracy on the testing set"),
                  ("early stopping", "test accuracy, not validation"), ("dropout", "validation accuracy, not loss"),
                  ("early stopping", "validation and test accuracy"),       # a fresh reader's: the test set chooses too
                  ("dropout", "tests accuracy"), ("baseline", "worst validation loss"),
                  ("baseline", "least validation accuracy")):
        assert not lesson.check_choice(wrong, RESULTS), wrong
    assert "❌" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (("dropout", "test accuracy"), "second validation set"),
    (("early stopping", "gut feeling"), "not a criterion"),
    (("baseline", "highest validation loss"), "looks for the worst row"),
    (("baseline", "lowest validation accuracy"), "looks for the worst row"),
    (("early stopping", "highest validation error"), "looks for the worst row"),
    (("early stopping", "testing accuracy"), "second validation set"),
    (("baseline", "worst validation loss"), "looks for the worst row"),
    (("baseline", "least validation accuracy"), "looks for the worst row"),
    (("baseline", "validation accuracy"), "'validation acc.' column (the highest)"),
    ("baseline", "Name your criterion too"),
    ("early stopping", "Name your criterion too"),
    (None, "(name, criterion)"),
])
def test_choice_checker_hints(capsys, wrong, words):
    assert not lesson.check_choice(wrong, RESULTS)
    assert words in capsys.readouterr().out


def test_choice_checker_spots_a_choice_by_test_accuracy(capsys):
    results = {"a": {"val_acc": 0.8, "val_loss": 0.5, "test_acc": 0.70},
               "b": {"val_acc": 0.7, "val_loss": 0.9, "test_acc": 0.75}}
    assert not lesson.check_choice("b", results)
    assert "best *test* accuracy" in capsys.readouterr().out


def test_best_by():
    assert lesson.best_by(RESULTS, "validation accuracy") == ["early stopping"]
    assert lesson.best_by(RESULTS, "validation loss") == ["dropout"]


def test_choice_checker_needs_results():
    with pytest.raises(ValueError, match="results table"):
        lesson.check_choice("baseline", {})

# --- Section 1: overlap check ---


def test_shared_images_counts_identical_images_only():
    images = torch.rand(6, 1, 28, 28)
    assert lesson.shared_images(images[:4], images[2:]) == 2
    assert lesson.shared_images(images[:3], images[3:]) == 0
    assert lesson.shared_images(images[:3], images[:3] + 0.01) == 0

# --- Explorer ---


def test_train_val_gap_shows_overfitting_shrink_with_data(capsys):
    few = lesson.train_val_gap(100, 128, steps=150)
    line = capsys.readouterr().out
    assert "100 training images, width 128, dropout 0.0: training" in line and "gap" in line
    many = lesson.train_val_gap(4000, 128, steps=150)
    assert few["train_acc"] >= 0.99 and few["gap"] > 0.2
    assert many["gap"] < few["gap"] - 0.15
    assert len(few["history"]) == 10 and few["history"][-1][0] == 150
    assert few["val_acc"] == few["history"][-1][2]


def test_train_val_gap_repeats_and_changes_with_its_controls(capsys):
    first = lesson.train_val_gap(250, 32, steps=50)
    assert lesson.train_val_gap(250, 32, steps=50) == first
    assert lesson.train_val_gap(250, 32, dropout=0.5, steps=50) != first
    assert lesson.train_val_gap(250, 64, steps=50) != first


def test_train_val_gap_uses_make_loaders_images():
    train, _, _ = utils.make_loaders("fashion_mnist", train_size=250, val_size=1000, seed=0)
    (rest_x, rest_y), _ = lesson._gap_data("cpu")
    _, (picked_x, _) = utils.split_off(rest_x, rest_y, 250, seed=1)
    assert torch.equal(picked_x, train.images)


@pytest.mark.parametrize("kwargs, words", [
    ({"train_size": 5, "width": 64}, "train_size"),
    ({"train_size": 250.0, "width": 64}, "train_size"),
    ({"train_size": 250, "width": 0}, "width"),
    ({"train_size": 250, "width": 64, "dropout": 1.0}, "dropout"),
    ({"train_size": 250, "width": 64, "steps": 5}, "steps"),
])
def test_train_val_gap_rejects_bad_input(kwargs, words):
    with pytest.raises(ValueError, match=words):
        lesson.train_val_gap(**kwargs)


def test_explorer_retrains_when_a_slider_moves(capsys, show_explorer):
    """Moving a slider retrains and reprints the summary (its speed is measured by the benchmark, not here)."""
    explorer = lesson.make_overfitting_explorer()
    show_explorer(explorer)                          # draws once, at the default settings
    controls = {child.description: child for child in explorer.children[:-1]}
    assert set(controls) == {"training images", "width", "dropout"}
    controls["training images"].value = max(lesson.GAP_SIZES)
    output = capsys.readouterr().out
    assert isinstance(explorer, ipywidgets.interactive)
    assert "250 training images, width 512" in output and "4000 training images, width 512" in output


def test_choice_checker_reads_max_and_min_written_as_code():
    for written, criterion in [("max(val_acc)", "validation accuracy"), ('max(results[name]["val_acc"])', "validation accuracy"),
                               ("min(val_loss)", "validation loss"), ("most accurate on validation", "validation accuracy")]:
        assert lesson._criterion(written) == criterion
    assert lesson._criterion("min(val_acc)") == "backwards" and lesson._criterion("max(test_acc)") == "test"


def test_diagnosis_treats_a_gap_of_exactly_ten_points_the_same_way_whatever_the_rounding():
    assert lesson.diagnose(0.80, 0.70) == lesson.diagnose(0.90, 0.80) == "good fit"
    assert lesson.diagnose(0.91, 0.80) == "overfitting"
    assert lesson.normalise_diagnosis("memorisation") == lesson.normalise_diagnosis("Overfitting model") == "overfitting"


def test_checkers_accept_more_fair_wordings():
    for written, criterion in [("highest log likelihood", "validation loss"), ("fewest validation errors", "validation accuracy"),
                               ("lowest misclassification rate", "validation accuracy")]:
        assert lesson._criterion(written) == criterion
    assert lesson._criterion("lowest log-likelihood") == "backwards"
    for word in ("fit well", "generalises well", "underfitting/high bias"):
        assert lesson.normalise_diagnosis(word) in ("good fit", "underfitting")
    assert lesson.normalise_diagnosis("overfit/underfit") is None
    assert lesson.check_diagnosis({"a": "overfitting", "b": "underfitting", "c": "good fit"})


def test_criterion_reads_negative_log_likelihood_and_maximise_minimise():
    assert lesson._criterion("lowest negative log-likelihood") == "validation loss"
    assert lesson._criterion("maximize validation loss") == "backwards"
    assert lesson._criterion("minimise validation accuracy") == "backwards"
    assert lesson._criterion("maximise validation accuracy") == "validation accuracy"


@pytest.mark.parametrize("word, label", [("a good fit", "good fit"), ("overfit model", "overfitting"),
                                         ("the underfitting model", "underfitting"), ("generalising", "good fit"),
                                         ("An overfitted network", "overfitting")])
def test_diagnosis_accepts_articles_and_model_words(word, label):
    assert lesson.normalise_diagnosis(word) == label


@pytest.mark.parametrize("word", ["a model", "the network", "fitting", "a bad fit"])
def test_diagnosis_still_rejects_words_that_name_no_diagnosis(word):
    assert lesson.normalise_diagnosis(word) is None
