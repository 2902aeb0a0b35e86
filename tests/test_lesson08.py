"""Lesson 08 (putting it together): the task's data, label corruption, the noise explorer, and the checkers both ways."""

import ipywidgets
import pytest
import torch
from torch import nn

from utils import lesson08 as lesson


def test_corrupt_labels_redraws_the_share_asked_for_and_repeats():
    labels = torch.arange(10_000) % 10
    noisy = lesson.corrupt_labels(labels, 0.3, seed=2)
    assert noisy.shape == labels.shape and noisy.dtype == labels.dtype
    assert torch.equal(noisy, lesson.corrupt_labels(labels, 0.3, seed=2))
    wrong = (noisy != labels).float().mean().item()
    assert abs(wrong - 0.27) < 0.015                    # 30% redrawn, a tenth of those land right by chance
    five = torch.arange(10_000) % 5
    assert abs((lesson.corrupt_labels(five, 0.3, classes=5) != five).float().mean().item() - 0.24) < 0.015
    assert torch.equal(lesson.corrupt_labels(labels, 0.0), labels)
    assert torch.equal(labels, torch.arange(10_000) % 10)  # the original is left alone


@pytest.mark.parametrize("fraction", [-0.1, 1.5, "half", True])
def test_corrupt_labels_rejects_what_is_not_a_share(fraction):
    with pytest.raises(ValueError, match="share from 0 to 1"):
        lesson.corrupt_labels(torch.zeros(4, dtype=torch.long), fraction)


def test_digits_task_draws_disjoint_balanced_sets_of_digits_5_to_9():
    train_x, train_y, val_x, val_y, test_x, test_y = lesson.digits_task()
    assert torch.bincount(train_y).tolist() == [lesson.PER_CLASS] * 5
    assert torch.bincount(val_y).tolist() == [lesson.VAL_PER_CLASS] * 5
    assert len(test_y) == 4861 and int(test_y.min()) == 0 and int(test_y.max()) == 4
    flat_train, flat_val = train_x.flatten(1), val_x.flatten(1)
    assert not (torch.cdist(flat_train, flat_val).min() == 0)      # no image in both sets
    again = lesson.digits_task()
    assert all(torch.equal(a, b) for a, b in zip((train_x, train_y, val_x, val_y), again))


def test_pretrained_cnn_keeps_the_conv_blocks_and_gets_a_new_head():
    import utils
    source = utils.make_cnn(classes=5)
    utils.load_checkpoint(lesson.CHECKPOINT, model=source)
    model = lesson.pretrained_cnn(hidden=64)
    for name, tensor in source[:9].state_dict().items():
        assert torch.equal(model[:9].state_dict()[name], tensor)
    assert model[9].out_features == 64 and model[11].in_features == 64 and model[11].out_features == 5
    assert not torch.equal(model[11].weight[:, :5], source[11].weight[:, :5])


def test_noisy_label_run_memorises_without_early_stopping(capsys):
    small, big = list(lesson.MODEL_SIZES)
    clean = lesson.noise_summary(0.0, small)
    noisy = lesson.noise_summary(0.6, big)
    assert clean["val_acc"] > noisy["val_acc"] + 0.05
    assert clean["wrong_fitted"] is None and clean["wrong_labels"] == 0
    assert noisy["wrong_labels"] > 30
    assert noisy["noisy_train_acc"] > 0.9 and noisy["wrong_fitted"] > 0.8   # it learns the wrong labels too
    out = capsys.readouterr().out
    assert "0% of labels redrawn" in out and "60% of labels redrawn" in out and "trained in" in out
    assert lesson.noisy_label_run(0.6, big) is lesson.noisy_label_run(0.6, big)   # remembered, not retrained


def test_noisy_label_run_names_the_sizes_it_knows():
    with pytest.raises(ValueError, match="size must be one of"):
        lesson.noisy_label_run(0.1, "huge")


def test_noise_explorer_has_its_controls_and_redraws(monkeypatch, capsys, show_explorer):
    monkeypatch.setattr(lesson, "display", lambda *args: None)
    explorer = lesson.make_noise_explorer()
    show_explorer(explorer)
    controls = {child.description: child for child in explorer.children[:-1]}
    assert isinstance(explorer, ipywidgets.interactive) and set(controls) == {"redrawn labels", "head"}
    controls["redrawn labels"].value = 0.0
    out = capsys.readouterr().out
    assert "30% of labels redrawn" in out and "0% of labels redrawn" in out


def test_wrong_share_checker_accepts_the_expected_and_measured_values():
    assert lesson.check_wrong_share(0.45)                 # the exercise: half of ten-class labels redrawn
    assert lesson.check_wrong_share(0.5 * 9 / 10)
    assert lesson.check_wrong_share(0.4555)               # as measured on a few thousand labels
    assert lesson.check_wrong_share(0.441)
    assert lesson.check_wrong_share(0.24, fraction=0.3, classes=5)    # section 7's setting
    labels = torch.arange(10_000) % 10
    measured = (lesson.corrupt_labels(labels, 0.5, classes=10, seed=11) != labels).float().mean().item()
    assert lesson.check_wrong_share(measured)
    for wrong in (None, "0.45x", 0.5, 45, 0.4, 0.25, 0.05, 0.9, 0.48, 0.42):
        assert not lesson.check_wrong_share(wrong)
    assert not lesson.check_wrong_share(0.27, fraction=0.3, classes=5)


def test_wrong_share_checker_hints(capsys):
    lesson.check_wrong_share(0.5)
    assert "1 time in 10" in capsys.readouterr().out
    lesson.check_wrong_share(45)
    assert "share" in capsys.readouterr().out
    lesson.check_wrong_share(0.4)
    assert "5 classes" in capsys.readouterr().out
    lesson.check_wrong_share(0.27, fraction=0.3, classes=5)
    assert "10 classes" in capsys.readouterr().out


def test_symptom_d_is_what_a_loop_without_optimizer_step_shows():
    """Exercise 2(d): with no optimizer.step(), the loss of an untrained 5-class CNN jitters around log 5, weights fixed."""
    import math

    import utils
    train_x, train_y, *_ = lesson.digits_task()
    utils.set_seed(0)
    model = utils.make_cnn(classes=5)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = model[11].weight.detach().clone()
    losses = []
    for start in range(0, 100, 20):                       # one epoch of 5 batches of 20, step() forgotten
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(train_x[start:start + 20]), train_y[start:start + 20])
        loss.backward()
        losses.append(loss.item())
    assert torch.equal(model[11].weight, before)
    assert max(losses) - min(losses) > 0.01                # it jitters from batch to batch
    assert all(abs(value - math.log(5)) < 0.25 for value in losses)   # around log 5
    assert "jitters" in lesson.SYMPTOMS["d"] and "1.61" in lesson.SYMPTOMS["a"]


def test_any_rate_in_use_moves_every_weight_that_gets_a_gradient():
    """Exercise 2(d)'s solution: one Adam step at 1e-6 changes every float32 weight that received a gradient."""
    import utils
    train_x, train_y, *_ = lesson.digits_task()
    utils.set_seed(0)
    model = utils.make_cnn(classes=5)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-6)
    nn.functional.cross_entropy(model(train_x[:20]), train_y[:20]).backward()
    before = [parameter.detach().clone() for parameter in model.parameters()]
    optimizer.step()
    for old, parameter in zip(before, model.parameters()):
        reached = parameter.grad != 0                         # the weights an update reached
        assert reached.any() and bool((parameter.detach() != old)[reached].all())
    assert "grows" in lesson.SYMPTOMS["c"] and "nan" in lesson.SYMPTOMS["c"]


RIGHT_REMEDIES = {"a": "raise rate", "b": "regularise", "c": "lower rate", "d": "fix the loop"}


def test_first_knob_checker():
    assert set(lesson.REMEDIES) == {"raise rate", "lower rate", "regularise", "fix the loop"}
    assert lesson.check_first_knob(RIGHT_REMEDIES)
    for wrong in (None, {**RIGHT_REMEDIES, "a": "lower rate", "c": "raise rate"}, {"a": "raise rate"},
                  {**RIGHT_REMEDIES, "b": "more layers"}, {**RIGHT_REMEDIES, "d": "raise rate"},
                  {**RIGHT_REMEDIES, "e": "regularise"}):
        assert not lesson.check_first_knob(wrong)


def test_first_knob_checker_explains_each_wrong_match(capsys):
    lesson.check_first_knob({**RIGHT_REMEDIES, "a": "regularise", "d": "raise rate"})
    out = capsys.readouterr().out
    assert "(a)" in out and "(d)" in out and "(b)" not in out and "(c)" not in out


RIGHT_SPLITS = {"a": "training", "b": "validation", "c": "validation", "d": "validation", "e": "test"}


def test_split_jobs_checker():
    assert lesson.check_split_jobs(RIGHT_SPLITS)
    for wrong in (None, {**RIGHT_SPLITS, "c": "test"}, {**RIGHT_SPLITS, "e": "validation"},
                  {**RIGHT_SPLITS, "d": "training"}, {"a": "training"}, {**RIGHT_SPLITS, "a": "trainer"}):
        assert not lesson.check_split_jobs(wrong)


def test_split_jobs_checker_accepts_the_usual_names_for_each_split():
    assert lesson.check_split_jobs({"a": "train", "b": "val", "c": "Validation set", "d": " valid ", "e": "Test set"})
    assert lesson.check_split_jobs({"A": "training set", "B": "dev", "C": "validation", "D": "validation", "E": "testing"})
    assert not lesson.check_split_jobs({"a": "train", "b": "val", "c": "val", "d": "test", "e": "test"})


def test_first_knob_checker_accepts_case_and_spelling_variants():
    assert lesson.check_first_knob({"a": "Raise rate", "b": "regularize", "c": "lower_rate", "d": "fix the loop."})
    assert not lesson.check_first_knob({"a": "Lower rate", "b": "regularize", "c": "raise_rate", "d": "fix the loop"})


def test_split_jobs_checker_explains_each_wrong_job(capsys):
    lesson.check_split_jobs({**RIGHT_SPLITS, "b": "test", "e": "validation"})
    out = capsys.readouterr().out
    assert "(b)" in out and "(e)" in out and "(a)" not in out and "(c)" not in out


def test_checkers_explain_instead_of_crashing_on_list_values(capsys):
    """A value that is a list (e.g. two remedies for one symptom) gets the format hint, not a TypeError."""
    assert not lesson.check_first_knob({"a": ["raise rate"], "b": "regularise", "c": "lower rate", "d": "fix the loop"})
    assert not lesson.check_split_jobs({letter: ["training", "test"] for letter in lesson.JOBS})
    out = capsys.readouterr().out
    assert out.count("Answer with a dict") == 2


def test_finetune_decision_checker_follows_the_rule(capsys):
    tie = 0.028
    frozen = [0.90, 0.91, 0.89]
    assert lesson.check_finetune_decision("keep frozen", frozen, [0.91, 0.90, 0.91], tie)   # +0.7 points: a tie
    assert "not more than a tie" in capsys.readouterr().out
    assert lesson.check_finetune_decision("Frozen", frozen, [0.80, 0.85, 0.82], tie)       # a loss: keep frozen
    assert lesson.check_finetune_decision("fine-tune", frozen, [0.95, 0.94, 0.95], tie)    # +4.7 points
    assert lesson.check_finetune_decision("fine tuning", frozen, [0.95, 0.94, 0.95], tie)
    assert lesson.check_finetune_decision("Fine-tune.", frozen, [0.95, 0.94, 0.95], tie)
    assert lesson.check_finetune_decision("keep frozen", frozen, [0.92, 0.93, 0.92], tie)  # +2.3 < tie
    assert not lesson.check_finetune_decision("fine-tune", frozen, [0.92, 0.93, 0.92], tie)
    assert "a tie (or a loss) goes to the cheaper option" in capsys.readouterr().out.splitlines()[-1]
    assert not lesson.check_finetune_decision("keep frozen", frozen, [0.95, 0.94, 0.95], tie)


def test_finetune_decision_checker_explains_bad_input(capsys):
    for frozen, finetuned in [([0.9, 0.9, 0.9], []), ([0.9, 0.9], [0.9, 0.9, 0.9]), ([90, 91, 89], [95, 94, 95]),
                              ([0.9, 0.9, 0.9], None), ([0.9, 0.9, 0.9], ["a", "b", "c"])]:
        assert not lesson.check_finetune_decision("keep frozen", frozen, finetuned, 0.028)
        assert "one validation accuracy per seed" in capsys.readouterr().out
    assert not lesson.check_finetune_decision(None, [0.9] * 3, [0.91] * 3, 0.028)
    assert "Answer 'fine-tune' or 'keep frozen'" in capsys.readouterr().out
    for copy in ([0.9, 0.91, 0.89], [0.89, 0.9, 0.91]):   # a copy, or a reordered copy: warned, then judged by the rule
        assert lesson.check_finetune_decision("keep frozen", [0.9, 0.91, 0.89], copy, 0.028)
        assert "If you copied them" in capsys.readouterr().out
    frozen = [0.9, 0.908, 0.892]                                              # 225, 227 and 223 of 250 images
    assert not lesson.check_finetune_decision("fine-tune", frozen, [0.99, 0.99, 0.99], 0.028, val_size=250)
    assert "not accuracies on the 250 validation images" in capsys.readouterr().out
    assert lesson.check_finetune_decision("fine-tune", frozen, [0.996, 0.992, 0.996], 0.028, val_size=250)


def test_own_photos_snippet_runs_offline_on_a_small_image_folder(tmp_path, monkeypatch, capsys):
    """Section 9's code for a student's own photos, taken from the notebook and run as printed."""
    import json
    import random
    from pathlib import Path

    from PIL import Image, ImageOps

    root = Path(__file__).resolve().parents[1]
    cells = json.loads((root / "notebooks" / "08_putting_it_together.ipynb").read_text())["cells"]
    text = next("".join(c["source"]) for c in cells if "**Your own photos.**" in "".join(c["source"]))
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    assert "download" not in code and "resnet" not in code.lower()            # the offline model, not ResNet
    rng = random.Random(0)
    for name in ("cat", "coffee"):                                            # two classes, from shipped photos
        photo = Image.open(root / "data" / "photos" / f"{name}.jpg").convert("RGB")
        for part, count in (("train", 4), ("val", 2), ("test", 2)):
            folder = tmp_path / "photos" / part / name
            folder.mkdir(parents=True)
            for k in range(count):
                w, h = photo.size
                box = (rng.randint(0, w // 8), rng.randint(0, h // 8), w - rng.randint(0, w // 8), h - rng.randint(0, h // 8))
                crop = photo.crop(box)
                (ImageOps.mirror(crop) if k % 2 else crop).save(folder / f"{k}.jpg")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "section 9 snippet", "exec"), namespace)                # imports all it needs
    out = capsys.readouterr().out
    assert "test accuracy:" in out
    assert namespace["model"]._fc.out_features == 2
    assert all(not p.requires_grad for p in namespace["backbone"].parameters())   # the backbone stayed frozen
    assert float(out.rsplit("test accuracy:", 1)[1].split()[0]) >= 0.75       # a cat from a cup, on crops of the same photos


def test_remedy_and_split_checkers_accept_the_printed_wordings(capsys):
    assert lesson.check_first_knob({"a": "raise the learning rate", "b": "regularise", "c": "lower the learning rate",
                                    "d": "fix the loop"})
    assert lesson.check_split_jobs({"a": "training data", "b": "validation data", "c": "validation",
                                    "d": "validation data", "e": "test data"})
    assert not lesson.check_first_knob({"a": "lower the learning rate", "b": "regularise", "c": "raise the learning rate",
                                        "d": "fix the loop"})
