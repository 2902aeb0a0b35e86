"""The training helpers: they learn, and bad arguments get a sentence, not a deep traceback."""

import copy
import math

import pytest
import torch
from torch import nn

import utils
from utils.data import TensorLoader


def blobs(count=512, seed=0):
    """Two well-separated Gaussian blobs in 2-D: an easy, fast classification problem."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (count,), generator=generator)
    points = torch.randn(count, 2, generator=generator) + 3 * labels.unsqueeze(1).float()
    return TensorLoader(points, labels, batch_size=64, shuffle=True)


def test_fit_learns_and_records_history():
    utils.set_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    history = utils.fit(model, blobs(), blobs(seed=1), epochs=5, lr=1e-2, progress=False)
    assert len(history["train_loss"]) == len(history["val_acc"]) == 5
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["val_acc"][-1] > 0.95


def test_seeded_runs_repeat_exactly():
    def run():
        utils.set_seed(1)
        model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
        return utils.fit(model, blobs(), epochs=2, lr=1e-2, progress=False)["train_loss"]
    assert run() == run()


@pytest.mark.parametrize("lr", [0, -0.1, "0.01", None, math.nan, math.inf, True])
def test_learning_rate_must_be_a_positive_number(lr):
    with pytest.raises(ValueError, match=r"learning rate must be a positive number such as 1e-3; got"):
        utils.fit(nn.Linear(2, 2), blobs(), lr=lr, progress=False)


@pytest.mark.parametrize("epochs", [0, 2.5, "3"])
def test_epochs_must_be_a_positive_whole_number(epochs):
    with pytest.raises(ValueError, match="epochs must be a positive whole number"):
        utils.fit(nn.Linear(2, 2), blobs(), epochs=epochs, progress=False)


def test_wrong_input_shape_is_explained():
    images = torch.zeros(8, 1, 28, 28)
    loader = TensorLoader(images, torch.zeros(8, dtype=torch.long), batch_size=4)
    with pytest.raises(ValueError, match=r"cannot take a batch of shape \(4, 1, 28, 28\).*nn.Flatten\(\)"):
        utils.fit(nn.Linear(784, 10), loader, progress=False)


def test_too_few_outputs_for_the_labels_is_explained():
    loader = TensorLoader(torch.zeros(8, 2), torch.arange(8), batch_size=8)
    with pytest.raises(ValueError, match="labels go up to 7 but the model has only 2 outputs"):
        utils.fit(nn.Linear(2, 2), loader, progress=False)


def test_unknown_optimizer_and_schedule_list_the_choices():
    with pytest.raises(ValueError, match="Unknown optimizer 'adagrad'; choose one of adam, adamw, sgd"):
        utils.fit(nn.Linear(2, 2), blobs(), optimizer="adagrad", progress=False)
    with pytest.raises(ValueError, match="Unknown schedule 'linear'"):
        utils.fit(nn.Linear(2, 2), blobs(), schedule="linear", progress=False)


def test_divergence_stops_with_the_step_and_a_smaller_rate_to_try():
    utils.set_seed(0)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 2))
    with pytest.raises(utils.TrainingDiverged, match=r"loss became (nan|inf) at epoch \d+, step \d+ "
                                                     r"\(learning rate 1e\+06\)\. Try a smaller learning rate, e\.g\. 1e\+05"):
        utils.fit(model, blobs(), epochs=20, lr=1e6, optimizer="sgd", progress=False)


def test_a_sum_that_overflows_while_every_loss_is_finite_still_names_a_step():
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    huge = lambda logits, labels: logits.sum() * 0 + 1e37     # finite per step; times the batch size, inf
    with pytest.raises(utils.TrainingDiverged, match=r"loss became 1e\+37 at epoch 1, step 1 "):
        utils.training.train_one_epoch(model, blobs(), optimizer, loss_fn=huge)


def test_early_stopping_restores_the_best_weights():
    utils.set_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    val = blobs(seed=1)
    history = utils.fit(model, blobs(count=64), val, epochs=30, lr=3e-2, patience=2, progress=False)
    assert len(history["val_acc"]) < 30
    assert utils.evaluate(model, val)[1] == max(history["val_acc"])


@pytest.mark.parametrize("schedule", ["constant", "step", "cosine", "onecycle"])
def test_every_schedule_trains(schedule):
    utils.set_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    history = utils.fit(model, blobs(), blobs(seed=1), epochs=5, lr=5e-2, schedule=schedule, progress=False)
    assert history["val_acc"][-1] > 0.9


def test_mlp_and_cnn_have_the_expected_parameter_counts():
    assert utils.count_parameters(utils.make_mlp([784, 256, 128, 64, 10])) == 784*256+256 + 256*128+128 + 128*64+64 + 64*10+10
    assert utils.make_cnn()(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="layer_sizes needs at least"):
        utils.make_mlp([784])


def test_cnn_is_channels_last_and_computes_what_the_plain_layout_computes():
    utils.set_seed(0)
    cnn = utils.make_cnn()
    assert cnn[0].weight.is_contiguous(memory_format=torch.channels_last)
    plain = utils.make_cnn().to(memory_format=torch.contiguous_format)
    plain.load_state_dict(cnn.state_dict())                  # the same weights load into either layout
    images = torch.randn(8, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(cnn(images), plain(images), atol=1e-5)


def test_cnn_in_place_relus_train_to_the_same_bits_as_plain_ones():
    cnn = utils.make_cnn()
    plain = copy.deepcopy(cnn)
    for index, layer in enumerate(plain):
        if isinstance(layer, nn.ReLU):
            plain[index] = nn.ReLU()
    assert sum(isinstance(layer, nn.ReLU) and layer.inplace for layer in cnn) == 3
    generator = torch.Generator().manual_seed(0)
    images, labels = torch.rand(64, 1, 28, 28, generator=generator), torch.randint(0, 10, (64,), generator=generator)
    for model in (cnn, plain):
        optimizer = torch.optim.Adam(model.parameters(), lr=6e-3)
        for _ in range(5):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(images), labels).backward()
            optimizer.step()
    assert all(torch.equal(a, b) for a, b in zip(cnn.state_dict().values(), plain.state_dict().values()))


def test_label_smoothing_trains_and_bad_values_are_explained():
    utils.set_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    history = utils.fit(model, blobs(), blobs(seed=1), epochs=5, lr=1e-2, label_smoothing=0.1, progress=False)
    assert history["val_acc"][-1] > 0.95
    for bad in [-0.1, 1.0, "0.1", True]:
        with pytest.raises(ValueError, match="label_smoothing must be from 0 \\(off\\) to below 1, e.g. 0.1; got"):
            utils.fit(nn.Linear(2, 2), blobs(), label_smoothing=bad, progress=False)


def test_fit_frozen_keeps_the_part_fixed_and_its_batch_norm_statistics():
    """fit(frozen=...) trains the rest, while the frozen part's weights and BN running statistics stay put."""
    torch.manual_seed(0)
    model = utils.make_cnn(classes=3)
    images, labels = torch.randn(64, 1, 28, 28) * 2 + 1, torch.randint(0, 3, (64,))
    before = copy.deepcopy(model.state_dict())
    utils.fit(model, utils.TensorLoader(images, labels, batch_size=16), epochs=2, progress=False,
              frozen=model[:9])
    after = model.state_dict()
    for name in before:
        part = int(name.split(".")[0])
        if part < 9:   # conv blocks: weights, biases, running_mean, running_var, num_batches_tracked
            assert torch.equal(before[name], after[name]), f"{name} changed although it was frozen"
        elif name.endswith("weight"):
            assert not torch.equal(before[name], after[name]), f"{name} should have trained"
    # Without frozen=, plain model.train() lets batch norm's running statistics drift with the data.
    plain = utils.make_cnn(classes=3)
    plain.load_state_dict(before)
    plain[:9].requires_grad_(False)
    utils.fit(plain, utils.TensorLoader(images, labels, batch_size=16), epochs=1, progress=False)
    assert not torch.equal(before["1.running_mean"], plain.state_dict()["1.running_mean"])


def test_fit_lr_for_gives_a_part_its_own_learning_rate():
    """fit(lr_for={part: rate}): one SGD step moves that part by rate/lr as much, and the rest as before."""
    torch.manual_seed(0)
    start = utils.make_cnn(classes=3)
    images, labels = torch.randn(16, 1, 28, 28), torch.randint(0, 3, (16,))
    moved = {}
    for name, backbone_lr in [("one rate", None), ("backbone slower", 0.01)]:
        model = copy.deepcopy(start)
        utils.fit(model, utils.TensorLoader(images, labels, batch_size=16), epochs=1, lr=0.1, optimizer="sgd",
                  progress=False, lr_for={model[:9]: backbone_lr} if backbone_lr else None)
        moved[name] = {k: (model.state_dict()[k] - start.state_dict()[k]).abs().sum().item()
                       for k in ["0.weight", "9.weight"]}    # the first conv layer; the first dense layer
    ratio = moved["backbone slower"]["0.weight"] / moved["one rate"]["0.weight"]
    assert ratio == pytest.approx(0.1, rel=1e-3), f"the backbone should move a tenth as far: {ratio}"
    assert moved["backbone slower"]["9.weight"] == pytest.approx(moved["one rate"]["9.weight"], rel=1e-4)


def test_fit_lr_for_rejects_what_is_not_a_part_with_a_rate():
    model = utils.make_cnn(classes=3)
    loader = utils.TensorLoader(torch.randn(8, 1, 28, 28), torch.randint(0, 3, (8,)), batch_size=8)
    with pytest.raises(ValueError, match="Each key of lr_for must be a part of the model"):
        utils.fit(model, loader, epochs=1, progress=False, lr_for={utils.make_cnn()[:9]: 1e-4})
    with pytest.raises(ValueError, match="lr_for must be a dict"):
        utils.fit(model, loader, epochs=1, progress=False, lr_for=[model[:9]])
    with pytest.raises(ValueError, match="lr_for must be a dict"):   # a rate where the dict belongs
        utils.fit(model, loader, epochs=1, progress=False, lr_for=0)
    with pytest.raises(ValueError, match="learning rate must be a positive number"):
        utils.fit(model, loader, epochs=1, progress=False, lr_for={model[:9]: 0})
    model[:9].requires_grad_(False)                                 # left frozen by an earlier run
    with pytest.raises(ValueError, match="has no trainable parameters"):
        utils.fit(model, loader, epochs=1, progress=False, lr_for={model[:9]: 1e-4})


def test_fit_frozen_rejects_a_module_that_is_not_part_of_the_model():
    model = utils.make_cnn(classes=3)
    loader = utils.TensorLoader(torch.randn(8, 1, 28, 28), torch.randint(0, 3, (8,)), batch_size=8)
    with pytest.raises(ValueError, match="frozen must be a part of the model"):
        utils.fit(model, loader, epochs=1, progress=False, frozen=utils.make_cnn()[:9])
    with pytest.raises(ValueError, match="Every parameter of the model is frozen"):
        utils.fit(model, loader, epochs=1, progress=False, frozen=model)
