"""Lesson 07: the shipped checkpoint loads safely (and fails clearly), the checkers, the explorer."""

import importlib.util
import re

import pytest
import torch
from torch import nn

import utils
from utils import data
from utils import lesson07 as lesson
from utils.models import CheckpointError, load_checkpoint

CHECKPOINT = data.DATA_DIR / "checkpoints" / "mnist_0to4_cnn.pt"


def pretrain_script():
    """Import scripts/pretrain_source_model.py as a module."""
    path = data.DATA_DIR.parent / "scripts" / "pretrain_source_model.py"
    spec = importlib.util.spec_from_file_location("pretrain_source_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def checkpoint():
    return load_checkpoint(CHECKPOINT)


# --- the shipped checkpoint and its safe loader ---

def test_shipped_checkpoint_is_small_recorded_and_documented():
    assert CHECKPOINT.stat().st_size < 2_000_000
    assert data.expected_checksums()["checkpoints/mnist_0to4_cnn.pt"] == data.sha256(CHECKPOINT)
    assert "checkpoints/mnist_0to4_cnn.pt" in (data.DATA_DIR / "README.md").read_text()


def test_checkpoint_loads_into_the_recorded_architecture(checkpoint):
    model = utils.make_cnn(**checkpoint["architecture"])
    load_checkpoint(CHECKPOINT, model=model)
    assert checkpoint["source_classes"] == [0, 1, 2, 3, 4] and checkpoint["test_accuracy"] > 0.98
    assert all(torch.equal(model.state_dict()[k], v) for k, v in checkpoint["state_dict"].items())


def test_explicit_checksum_is_accepted_and_a_malformed_one_is_explained():
    load_checkpoint(CHECKPOINT, expected_sha256=data.sha256(CHECKPOINT))
    with pytest.raises(ValueError, match="64 lowercase hex digits"):
        load_checkpoint(CHECKPOINT, expected_sha256="abc123")


def test_file_without_recorded_checksum_asks_for_one(tmp_path):
    copy = tmp_path / "model.pt"
    copy.write_bytes(CHECKPOINT.read_bytes())
    with pytest.raises(ValueError, match=r"No sha256 is recorded .* pass expected_sha256="):
        load_checkpoint(copy)


def test_missing_checkpoint_says_how_to_restore_it(tmp_path):
    with pytest.raises(CheckpointError, match=r"No checkpoint file at .*git checkout -- data/checkpoints"):
        load_checkpoint(tmp_path / "gone.pt", expected_sha256="0" * 64)


def test_corrupted_checkpoint_names_both_checksums_and_the_fix(tmp_path):
    damaged = tmp_path / "damaged.pt"
    content = bytearray(CHECKPOINT.read_bytes())
    content[len(content) // 2] ^= 0xFF                       # flip one byte in the middle
    damaged.write_bytes(bytes(content))
    expected = data.sha256(CHECKPOINT)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(damaged, expected_sha256=expected)
    message = str(error.value)
    assert data.sha256(damaged) in message and expected in message
    assert "damaged or was replaced" in message and "scripts/pretrain_source_model.py" in message


class Payload:
    """An arbitrary Python object: pickling it would let a file run code when loaded."""


@pytest.mark.parametrize("content", [{"state_dict": {}, "extra": Payload()}, "not a tensor file"])
def test_files_weights_only_refuses_are_explained(tmp_path, content):
    path = tmp_path / "unsafe.pt"
    if isinstance(content, str):
        path.write_text(content)
    else:
        torch.save(content, path)
    with pytest.raises(CheckpointError, match=r"cannot be loaded with torch.load\(weights_only=True\)"):
        load_checkpoint(path, expected_sha256=data.sha256(path))


def test_a_file_that_is_no_checkpoint_is_explained(tmp_path):
    path = tmp_path / "list.pt"
    torch.save([1, 2, 3], path)
    with pytest.raises(CheckpointError, match="not a checkpoint this course wrote"):
        load_checkpoint(path, expected_sha256=data.sha256(path))


def test_plain_state_dict_is_accepted(tmp_path):
    path = tmp_path / "plain.pt"
    torch.save(nn.Linear(2, 3).state_dict(), path)
    load_checkpoint(path, expected_sha256=data.sha256(path), model=nn.Linear(2, 3))


def test_shape_mismatch_is_explained_in_a_sentence():
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(CHECKPOINT, model=utils.make_cnn(classes=10))
    message = str(error.value)
    assert re.search(r"its '11.weight' has shape \(5, 128\) but the model's has shape \(10, 128\)", message)
    assert "utils.make_cnn(channels=[16, 32], hidden=128, classes=5)" in message
    assert "only then replace layers" in message


def test_different_architecture_is_explained():
    with pytest.raises(CheckpointError, match=r"does not fit this model: it lacks .* and has extra"):
        load_checkpoint(CHECKPOINT, model=utils.make_mlp([784, 10]))


def test_pretraining_script_keeps_and_relabels_the_chosen_digits():
    digits = pretrain_script().digits
    images, labels = torch.arange(10.0).view(10, 1), torch.tensor([5, 0, 9, 7, 5, 1, 2, 8, 6, 3])
    kept_images, kept_labels = digits(images, labels, [5, 6, 7, 8, 9])
    assert kept_images.squeeze(1).tolist() == [0, 2, 3, 4, 7, 8]
    assert kept_labels.tolist() == [0, 4, 2, 0, 3, 1]


# --- exercise checkers, right and wrong ---

def test_conv_share_checker(capsys):
    model = utils.make_cnn(classes=5)
    share = utils.count_parameters(model[:9]) / utils.count_parameters(model)
    assert lesson.check_conv_share(share)
    assert lesson.check_conv_share(round(share, 5))                                         # 0.02372, as asked
    assert not lesson.check_conv_share(round(share, 4))                                     # 0.0237: three digits
    assert not lesson.check_conv_share(0.02371) and not lesson.check_conv_share(0.02373)
    bn_biases = sum(model[i].bias.numel() for i in (1, 5))
    capsys.readouterr()
    assert not lesson.check_conv_share((utils.count_parameters(model[:9]) - bn_biases) / utils.count_parameters(model))
    assert "leaves out some biases" in capsys.readouterr().out
    capsys.readouterr()
    conv_without_bn = sum(p.numel() for layer in (model[0], model[4]) for p in layer.parameters())
    assert not lesson.check_conv_share(conv_without_bn / utils.count_parameters(model))   # forgot batch norm
    assert "batch norm's weight and bias" in capsys.readouterr().out
    for percentage in (100 * share, round(100 * share, 1)):                                # 2.372..., 2.4
        assert not lesson.check_conv_share(percentage)
        assert "looks like a percentage" in capsys.readouterr().out
    for wrong in (None, "0.02", 1 - share, utils.count_parameters(model[:9]), 0.5):
        assert not lesson.check_conv_share(wrong)
    capsys.readouterr()
    assert not lesson.check_conv_share(round(share, 2))                                     # 0.02: too rounded
    assert "rounded too far" in capsys.readouterr().out
    conv = utils.count_parameters(model[:9])
    assert not lesson.check_conv_share(round(conv / (utils.count_parameters(model) - conv), 4))   # over the dense count
    out = capsys.readouterr().out
    assert "whole model's count" in out and "rounded too far" not in out
    assert not lesson.check_conv_share(0.05)                                                # not a rounding of 0.02372
    assert "rounded too far" not in capsys.readouterr().out
    assert not lesson.check_conv_share(0.02373)                                             # four digits, not the right ones
    out = capsys.readouterr().out
    assert "cut off" not in out and "rounded too far" not in out                            # not a rounding of 0.02372
    assert not lesson.check_conv_share(0.0237)                                              # three digits: 10 classes round so too
    assert "four significant digits" in capsys.readouterr().out
    assert not lesson.check_conv_share(0.02365)                                             # the 10-class share
    assert "default of 10 classes" in capsys.readouterr().out
    ten = utils.make_cnn()                                                                  # the default: 10 classes
    assert not lesson.check_conv_share(utils.count_parameters(ten[:9]) / utils.count_parameters(ten))   # 0.02365
    assert "default of 10 classes" in capsys.readouterr().out


def test_conv_share_checker_names_the_usual_miscounts(capsys):
    model = utils.make_cnn(classes=5)
    total = utils.count_parameters(model)
    kernels = sum(layer.weight.numel() for layer in model[:9] if isinstance(layer, torch.nn.Conv2d))
    assert not lesson.check_conv_share(round(kernels / total, 5))                           # kernels' weights only
    assert "only the conv kernels' weights" in capsys.readouterr().out
    with_buffers = sum(value.numel() for value in model[:9].state_dict().values())
    assert not lesson.check_conv_share(round(with_buffers / total, 5))                      # state_dict() counted
    assert "running statistics" in capsys.readouterr().out
    assert not lesson.check_conv_share(0.0238)                                              # not a rounding of 0.02372
    assert "rounded" not in capsys.readouterr().out


def test_frozen_conv_checker():
    model = utils.make_cnn(classes=5)
    assert not lesson.check_frozen_conv(model)                       # nothing frozen yet
    for p in model[:9].parameters():
        p.requires_grad_(False)
    assert lesson.check_frozen_conv(model)
    model[9].weight.requires_grad_(False)
    assert not lesson.check_frozen_conv(model)                       # froze part of the head too
    for p in model.parameters():
        p.requires_grad_(False)
    assert not lesson.check_frozen_conv(model)                       # froze everything
    assert not lesson.check_frozen_conv(None)
    assert not lesson.check_frozen_conv(nn.Linear(3, 3))


def test_frozen_conv_checker_explains_a_backbone_passed_alone(capsys):
    model = utils.make_cnn(classes=5)
    model[:9].requires_grad_(False)
    capsys.readouterr()
    assert not lesson.check_frozen_conv(model[:9])                   # the conv blocks alone, not the model
    assert "pass the whole model" in capsys.readouterr().out


def test_conv_share_checker_does_not_give_the_method_away_before_an_answer(capsys):
    capsys.readouterr()
    assert not lesson.check_conv_share(None)
    out = capsys.readouterr().out
    assert "Replace None" in out and "count_parameters" not in out


def test_new_head_checker(checkpoint, capsys):
    model = utils.make_cnn(classes=5)
    load_checkpoint(CHECKPOINT, model=model)
    model[-1] = nn.Linear(128, 3)
    assert lesson.check_new_head(model, checkpoint)
    assert not lesson.check_new_head(None, checkpoint)
    fresh = utils.make_cnn(classes=3)                                # right shape, lost the pretrained weights
    assert not lesson.check_new_head(fresh, checkpoint)
    assert "lost their pretrained weights" in capsys.readouterr().out
    model[-1] = nn.Linear(128, 5)                                    # kept the old number of classes
    assert not lesson.check_new_head(model, checkpoint)
    model[-1] = nn.Linear(128, 3, bias=False)                        # one new nn.Linear, without a bias: right too
    assert lesson.check_new_head(model, checkpoint)
    model[-1] = nn.Linear(128, 3)
    model.train()(torch.randn(4, 1, 28, 28))                         # a check in training mode moves BN statistics
    assert lesson.check_new_head(model, checkpoint)
    assert lesson.check_new_head(nn.Sequential(model[:-1], nn.Linear(128, 3)), checkpoint)   # nested: right too
    assert not lesson.check_new_head(nn.Sequential(*model[:-1], nn.Linear(64, 3)), checkpoint)   # wrong input size
    pretrained = utils.make_cnn(classes=5)
    load_checkpoint(CHECKPOINT, model=pretrained)
    capsys.readouterr()
    assert not lesson.check_new_head(nn.Sequential(*pretrained, nn.Linear(5, 3)), checkpoint)   # appended, not replaced
    assert "instead of adding one" in capsys.readouterr().out
    pretrained[-1].out_features = 3                                  # renames the layer, keeps its 5 x 128 weights
    assert not lesson.check_new_head(pretrained, checkpoint)
    copied = utils.make_cnn(classes=5)                               # parameters copied one by one, buffers left behind
    with torch.no_grad():
        for own, learned in zip(copied.parameters(), pretrained.parameters()):
            own.copy_(learned)
    copied[-1] = nn.Linear(128, 3)
    capsys.readouterr()
    assert not lesson.check_new_head(copied, checkpoint)
    assert "running statistics" in capsys.readouterr().out
    with pytest.raises(ValueError, match="dict utils.load_checkpoint returned"):
        lesson.check_new_head(model, None)


def test_new_head_checker_rejects_dropped_layers_with_a_hint_that_fits(checkpoint, capsys):
    pretrained = utils.make_cnn(classes=5)
    load_checkpoint(CHECKPOINT, model=pretrained)
    capsys.readouterr()
    assert not lesson.check_new_head(nn.Sequential(pretrained[:9], nn.Linear(1568, 3)), checkpoint)   # dense layer gone
    out = capsys.readouterr().out
    assert "replaced more than the last layer" in out and "1,568 → 128" in out and "lost their" not in out
    assert not lesson.check_new_head(nn.Sequential(*list(pretrained)[:-2], nn.Linear(128, 3)), checkpoint)  # ReLU gone
    assert "ReLUs, pooling" in capsys.readouterr().out
    assert not lesson.check_new_head(nn.Sequential(*[layer for layer in pretrained[:-1]
                                                     if not isinstance(layer, nn.MaxPool2d)],
                                                   nn.Linear(128, 3)), checkpoint)                  # pooling gone
    pretrained[-1] = nn.Linear(128, 3)
    nn.init.zeros_(pretrained[-1].weight)                           # any starting weights: still one new layer
    assert lesson.check_new_head(pretrained, checkpoint)
    out = capsys.readouterr().out
    assert "a new last layer maps the 128 features to 3 classes" in out and "random" not in out


# --- explorer logic ---

@pytest.fixture(scope="module")
def features(checkpoint):
    model = utils.make_cnn(classes=5)
    load_checkpoint(CHECKPOINT, model=model)
    images, labels = pretrain_script().digits(*utils.load_tensors("mnist", train=False), [5, 6, 7, 8, 9])
    (pool_x, pool_y), (test_x, test_y) = data.split_off(images, labels, 1000, seed=0)
    pool_x, pool_y = data.take_per_class(pool_x, pool_y, 20, seed=0)
    return (lesson.transfer_features(model, pool_x), pool_y, lesson.transfer_features(model, test_x), test_y)


def test_transfer_features_shapes(features):
    train, train_labels, test, _ = features
    assert {k: tuple(v.shape) for k, v in train.items()} == {"pixels": (100, 784), "conv": (100, 1568),
                                                              "dense": (100, 128)}
    assert len(test["conv"]) == 1000
    with pytest.raises(ValueError, match="needs a utils.make_cnn"):
        lesson.transfer_features(utils.make_mlp([784, 10])[1:], torch.zeros(2, 784))


def test_label_budget_accuracy_reports_and_reuse_helps(features, capsys):
    results = {reused: lesson.label_budget_accuracy(*features, per_class=5, reused=reused, scored_on="test")
               for reused in lesson.REUSED_LAYERS}
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[1].startswith("5 labels per class, reusing conv blocks (feature extraction): "
                                                   "test accuracy")
    accuracy = {lesson.REUSED_LAYERS[k]: v["accuracy"] for k, v in results.items()}
    assert accuracy["conv"] > accuracy["pixels"] + 0.05 and accuracy["conv"] > 0.75
    assert len(results["conv blocks (feature extraction)"]["per_class_accuracy"]) == 5
    again = lesson.label_budget_accuracy(*features, per_class=5, reused="conv")
    assert again["accuracy"] == accuracy["conv"]                     # seeded: repeats exactly
    assert "validation accuracy" in capsys.readouterr().out          # by default it names validation data


@pytest.mark.parametrize("kwargs, message", [({"per_class": 0}, "from 1 to 20"), ({"per_class": 21}, "from 1 to 20"),
                                             ({"per_class": 2.5}, "whole number"),
                                             ({"per_class": 5, "reused": "fc"}, "reused must be one of")])
def test_label_budget_accuracy_rejects_bad_input(features, kwargs, message):
    with pytest.raises(ValueError, match=message):
        lesson.label_budget_accuracy(*features, **kwargs)


def test_explorer_widget_offers_budgets_and_reuse_choices(features):
    explorer = lesson.make_transfer_explorer(*features)
    budget, draw, reused = explorer.children[:3]
    assert budget.options == (1, 2, 5, 10, 20) and budget.value == 5
    assert (draw.description, draw.min, draw.max, draw.value) == ("draw", 0, 4, 0)
    assert list(reused.options) == list(lesson.REUSED_LAYERS)


def test_label_budget_accuracy_draws_differ(features, capsys):
    first, second = (lesson.label_budget_accuracy(*features, per_class=2, reused="conv", seed=seed) for seed in (0, 1))
    assert first["accuracy"] != second["accuracy"]                    # the explorer's draw slider changes the run


def blobs(count: int, seed: int, dims: int = 8, classes: int = 3):
    """Separable classes: one Gaussian blob per class in `dims` dimensions."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(count) % classes
    centres = torch.eye(dims)[:classes] * 4
    return centres[labels] + torch.randn(count, dims, generator=generator), labels


def test_linear_probe_learns_separable_classes():
    train, test = blobs(60, 0), blobs(300, 1)
    assert lesson.linear_probe(*train, *test, lr=1e-2) > 0.9


def test_probe_budgets_chooses_the_rate_on_validation_only():
    pool, val, test = blobs(150, 0), blobs(90, 1), blobs(300, 2)
    result = lesson.probe_budgets(pool, val, test, budgets=(2, 10), draws=(0, 1), rates=(1e-5, 1e-2), choose_at=10)
    assert result["lr"] == 1e-2 and set(result["val"]) == {1e-5, 1e-2}
    assert result["val"][1e-2] > result["val"][1e-5]
    assert set(result["test"]) == {2, 10} and all(len(scores) == 2 for scores in result["test"].values())
    # The test pair is only scored, never used to choose: a scrambled test set changes no choice.
    scrambled = (test[0], test[1].roll(1))
    assert lesson.probe_budgets(pool, val, scrambled, budgets=(2,), draws=(0,), rates=(1e-5, 1e-2),
                                choose_at=10)["lr"] == 1e-2


def test_probe_rate_checker(capsys):
    pool, val, test = blobs(150, 0), blobs(90, 1), blobs(300, 2)
    rates = (1e-5, 1e-3, 1e-1)
    x, y = data.take_per_class(*pool, 10, seed=0)
    scores = {lr: lesson.linear_probe(x, y, *val, lr=lr) for lr in rates}       # the exercise's solution
    best, worse = max(scores, key=scores.get), min(scores, key=scores.get)
    assert scores[worse] < scores[best] - 0.01
    check = lambda answer, given: lesson.check_probe_rate(answer, given, pool, val, rates, per_class=10)
    assert check(best, scores)
    assert "the best of the rates" in capsys.readouterr().out
    assert not check(worse, scores)
    assert "another rate" in capsys.readouterr().out
    assert not check(scores[best], scores)
    assert "That is an accuracy" in capsys.readouterr().out
    assert not check(None, {})
    assert "Fill `scores` first" in capsys.readouterr().out
    assert not check(None, scores)
    assert "Now replace None" in capsys.readouterr().out
    assert not check(best, {lr: scores[lr] for lr in rates[:2]})                   # a rate left out
    assert "no accuracy for the rates 0.1" in capsys.readouterr().out
    assert check(best, {lr: torch.tensor(score) for lr, score in scores.items()})   # 0-d tensors are numbers too
    capsys.readouterr()
    assert not check(best, {lr: 100 * score for lr, score in scores.items()})       # percentages, not fractions
    assert "look like percentages" in capsys.readouterr().out
    # scored on the test pair, or trained at another budget: the scores are not the validation search's
    on_test = {lr: lesson.linear_probe(x, y, *test, lr=lr) for lr in rates}
    x20, y20 = data.take_per_class(*pool, 20, seed=0)
    at_20 = {lr: lesson.linear_probe(x20, y20, *val, lr=lr) for lr in rates}
    for wrong in (on_test, at_20):
        if any(abs(wrong[lr] - scores[lr]) > 0.01 for lr in rates):
            assert not check(max(wrong, key=wrong.get), wrong)
            assert "score on `val`" in capsys.readouterr().out
    for wrong in (True, 0.5, "fast"):
        assert not check(wrong, scores)
    assert not check(best, "scores")


def test_probe_rate_checker_accepts_a_rate_tied_within_a_point():
    pool, val = blobs(150, 0), blobs(90, 1)
    rates = (1e-2, 3e-2, 1e-1)                              # all high enough to fit separated blobs
    x, y = data.take_per_class(*pool, 10, seed=0)
    scores = {lr: lesson.linear_probe(x, y, *val, lr=lr) for lr in rates}
    best = max(scores.values())
    tied = [lr for lr in rates if scores[lr] >= best - 0.01]
    assert len(tied) >= 2
    assert all(lesson.check_probe_rate(lr, scores, pool, val, rates) for lr in tied)


def test_can_reach_answers_quickly_without_a_network():
    import time
    start = time.perf_counter()
    assert lesson.can_reach("https://unreachable.invalid/weights.pth", timeout=1.0) is False
    assert time.perf_counter() - start < 1.5


def test_range_decided_only_when_an_end_rate_clearly_beats_its_neighbour():
    scores = {1e-3: 0.80, 1e-2: 0.85, 1e-1: 0.70}
    assert not lesson.range_decided(scores, 1e-2)                        # inside the list
    assert lesson.range_decided({1e-3: 0.86, 1e-2: 0.80, 1e-1: 0.70}, 1e-3)   # the end wins by 6 points
    assert not lesson.range_decided({1e-3: 0.804, 1e-2: 0.80, 1e-1: 0.70}, 1e-3)  # a tie within a point
    assert lesson.range_decided({1e-3: 0.5, 1e-2: 0.80, 1e-1: 0.90}, 1e-1)
