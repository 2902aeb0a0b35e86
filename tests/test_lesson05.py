"""Lesson 05 (convolutional networks): exercise checkers tell right from wrong; the kernel explorer works."""

import itertools

import pytest
import torch
from torch import nn

import utils
from utils import lesson05 as lesson


def test_output_size_checker(capsys):
    assert lesson.check_output_size(6)
    assert lesson.check_output_size(6.0)
    assert lesson.check_output_size(torch.tensor(6))          # e.g. read off a layer's output shape
    assert lesson.check_output_size(torch.zeros(1, 16, 6, 6).shape[-1])
    assert "✅" in capsys.readouterr().out
    for wrong in (None, 5, 7, 12, 24, "six"):
        assert not lesson.check_output_size(wrong)
    assert "padding=1" in capsys.readouterr().out  # 5 is the answer without the padding


def test_conv_parameters_checker(capsys):
    assert lesson.check_conv_parameters(8 * 24 * 5 * 5 + 24)
    assert lesson.check_conv_parameters(4824.0)
    for wrong in (None, 8 * 24 * 5 * 5, 8 * 24 * 5 * 5 + 8, 16 * 32 * 3 * 3 + 32, 0, "4824x"):
        assert not lesson.check_conv_parameters(wrong)
    assert "bias" in capsys.readouterr().out


@pytest.mark.parametrize("kernel", [
    [[0, 1, 2], [-1, 0, 1], [-2, -1, 0]],                 # Sobel turned by 45 degrees
    [[2, 1, 0], [1, 0, -1], [0, -1, -2]],                 # the other diagonal
    [[0, -1, -1], [1, 0, -1], [1, 1, 0]],                 # Prewitt turned, opposite sign
    [[0, 1 / 3, 2 / 3], [-1 / 3, 0, 1 / 3], [-2 / 3, -1 / 3, 0]],  # sums to 0 only up to rounding
    torch.tensor([[0.0, 1, 1], [-1, 0, 1], [-1, -1, 0]]),  # a tensor works too
    [[0, 1, 0], [-1, 0, 1], [0, -1, 0]],                  # a central difference along the diagonal: ties with a thin line
])
def test_edge_kernel_checker_accepts_diagonal_edge_detectors(kernel, capsys):
    assert lesson.check_edge_kernel(kernel)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("kernel, hint", [
    (None, "3 x 3"), ("edge", "3 x 3"), ([1, 2, 3], "3 x 3"), ([[1, 2], [3, 4]], "3 x 3"), ([[0] * 3] * 3, "all-zero"),
    ([[1 / 9] * 3] * 3, "flat"),                                       # blur
    ([[0, 1, 2], [-1, 0, 1], [-2, -1, 0.02]], "flat"),                # near miss: adds up to 0.02
    ([[-1, -1, -1], [0, 0, 0], [1, 1, 1.3]], "flat"),                 # near miss: adds up to 0.3
    ([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "vertical or horizontal"),  # vertical edges
    ([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], "vertical or horizontal"),  # horizontal edges
    ([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], "vertical or horizontal"),  # outline: every direction alike
    ([[-1, 1, -1], [0, 0, 0], [1, -1, 1]], "barely responds to a diagonal"),
    ([[0, 0, 0], [0, 1e-3, -1e-3], [0, 0, 0]], "vertical or horizontal"),
    ([[1, 1, 1], [1, 1, 1], [1, 1, -8]], "vertical or horizontal"),    # a spot in one corner, not an edge
    ([[1, 2, 3], [4, 5, 6], [7, 8, -36]], "vertical or horizontal"),
    ([[1, 0, 0], [0, 0, 0], [0, 0, -1]], "like a Sobel kernel"),       # one +1/-1 pair: straddles straight edges too
    ([[2, -1, -1], [-1, 2, -1], [-1, -1, 2]], "lines or texture"),      # a diagonal line detector
    ([[1, -1, 0], [-1, 1, 0], [0, 0, 0]], "lines or texture"),          # a 2 x 2 checkerboard
    ([[1, 0, -1], [0, 0, 0], [-1, 0, 1]], "lines or texture"),          # a saddle
    ([[1, -1, 0], [-1, 2, -1], [0, -1, 1]], "lines or texture"),        # a line detector
    ([[1, 1, 1], [-3, -3, 0], [-1, 3, 1]], "lines or texture"),         # answers a horizontal line more
    ([[0, 0, 0], [-1, 1, 1], [-1, -1, 1]], "half grey"),                # fits one drawn staircase, not the direction
    ([[0, 0, 1], [0, 1, -1], [-1, -1, 1]], "where lines meet"),         # a fresh reader's: answers a V of two strokes more
    ([[float("nan")] * 3] * 3, "nan or infinity"),
    ([[0, 1, float("inf")], [-1, 0, 1], [-2, -1, 0]], "nan or infinity"),
])
def test_edge_kernel_checker_rejects_other_kernels(kernel, hint, capsys):
    assert not lesson.check_edge_kernel(kernel)
    out = capsys.readouterr().out
    assert "❌" in out and hint in out


def test_kernel_feature_map_matches_conv2d_and_prints_summary(capsys):
    image = torch.rand(28, 28)
    kernel = lesson.KERNEL_PRESETS["vertical edges (Sobel)"]
    feature_map = lesson.kernel_feature_map(kernel, image[None])
    expected = torch.nn.functional.conv2d(image[None, None], torch.tensor(kernel, dtype=torch.float32)[None, None],
                                          padding=1)[0, 0]
    assert torch.allclose(feature_map, expected)
    assert capsys.readouterr().out.startswith("Feature map 28 x 28: min")
    identity = lesson.kernel_feature_map(lesson.KERNEL_PRESETS["identity"], image)
    assert torch.allclose(identity, image)


@pytest.mark.parametrize("kernel, image", [([[1, 2], [3, 4]], torch.rand(5, 5)), ("blur", torch.rand(5, 5)),
                                           ([[0] * 3] * 3, torch.rand(2, 5, 5))])
def test_kernel_feature_map_explains_bad_input(kernel, image):
    with pytest.raises(ValueError, match="must be"):
        lesson.kernel_feature_map(kernel, image)


def test_kernel_explorer_presets_fill_the_boxes_and_edits_switch_to_custom():
    explorer = lesson.make_kernel_explorer({"noise": torch.rand(28, 28), "zeros": torch.zeros(28, 28)})
    (image_box, preset_box), grid = explorer.children[0].children[0].children, explorer.children[0].children[1]
    values = lambda: [[cell.value for cell in grid.children[3 * r:3 * r + 3]] for r in range(3)]  # noqa: E731
    assert values() == [[float(v) for v in row] for row in lesson.KERNEL_PRESETS[preset_box.value]]
    preset_box.value = "sharpen"
    assert values() == [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
    grid.children[4].value = 4.0
    assert preset_box.value == "custom" and values()[1][1] == 4.0
    image_box.value = "zeros"
    preset_box.value = "identity"
    assert values() == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]


def test_edge_kernel_checker_accepts_a_right_answer_at_any_scale(capsys):
    """A huge diagonal detector is still one: float32 sums must not overflow into a wrong verdict."""
    assert lesson.check_edge_kernel([[0, 1e38, 2e38], [-1e38, 0, 1e38], [-2e38, -1e38, 0]])
    assert "✅" in capsys.readouterr().out


def test_multiply_adds_counts_conv_and_linear_layers():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 5 * 5, 3))
    # conv: 4 x 5 x 5 outputs, 9 weights each; linear: 3 outputs, 100 weights each
    assert lesson.multiply_adds(model, torch.zeros(1, 1, 5, 5)) == 4 * 5 * 5 * 9 + 3 * 100
    assert model.training, "multiply_adds must leave the model in the mode it found it in"
    # training: weight gradients as much again, input gradients as much again except in the first layer
    assert lesson.multiply_adds(model, torch.zeros(1, 1, 5, 5), training=True) == 3 * (900 + 300) - 900


def test_training_multiply_adds_agree_with_torchs_flop_counter():
    from torch.utils.flop_counter import FlopCounterMode
    for model in [utils.make_cnn(), utils.make_mlp([784, 256, 128, 10])]:
        image = torch.zeros(1, 1, 28, 28)
        with FlopCounterMode(display=False) as counter:
            model(image).sum().backward()          # one forward and backward pass, as a training step does
        assert counter.get_total_flops() == 2 * lesson.multiply_adds(model, image, training=True)   # a flop is half a multiply-add


def test_conv_parameters_checker_reads_a_number_written_with_a_comma(capsys):
    assert lesson.check_conv_parameters("4,824")
    answer = 4,824                        # what a student types after reading "4,824": a tuple
    assert not lesson.check_conv_parameters(answer)
    out = capsys.readouterr().out
    assert "without a comma" in out and "Your count itself is right" in out


def test_edge_kernel_checker_turns_away_a_line_detector_whose_straight_response_is_rounding_noise(capsys):
    assert not lesson.check_edge_kernel([[0.3, -0.1, -0.2], [-0.1, 0.2, -0.1], [-0.2, -0.1, 0.3]])
    out = capsys.readouterr().out
    assert "lines or texture" in out and "times as strongly" not in out


def test_edge_checker_turns_away_a_diagonal_line_detector(capsys):
    # A kernel that answers a 2-pixel diagonal line more strongly than a diagonal edge detects lines: a fresh
    # reader's counter-example, which passed the 1-pixel lines. Real diagonal edge kernels only tie with such a line.
    assert not lesson.check_edge_kernel([[2, 2, -2], [-2, 1, 1], [-1, -1, 0]])
    assert "2-pixel" in capsys.readouterr().out          # a 2-pixel checkerboard or diagonal line beats its edge response
    for diagonal_edge in ([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], [[0, 1, 1], [-1, 0, 1], [-1, -1, 0]],
                          [[0, 3, 10], [-3, 0, 3], [-10, -3, 0]]):         # Sobel, Prewitt and Scharr, turned by 45 degrees
        assert lesson.check_edge_kernel(diagonal_edge)


def test_edge_checker_turns_away_a_corner_finder(capsys):
    # A fresh reader's counter-example: it answers a bright quadrant corner (4) more strongly than a diagonal edge (3).
    assert not lesson.check_edge_kernel([[-1, -1, 0], [1, 1, -1], [1, 1, -1]])
    out = capsys.readouterr().out                      # the hint names its strongest pattern: here a T-junction
    assert "a bright corner" in out or "T-junction" in out


@pytest.mark.parametrize("kernel, pattern", [
    ([[-1, -1, 1], [0, 1, -1], [0, 1, 0]], "a 2-pixel checkerboard"),    # a fresh reader's texture detector
    ([[2, 1, -1], [0, -2, 2], [0, 0, -2]], "a short diagonal dash"),
    ([[1, 0, 1], [-1, 2, -1], [-2, 0, 0]], "T-junction"),               # it answers where two lines meet
])
def test_edge_checker_turns_away_texture_and_junction_detectors(kernel, pattern, capsys):
    assert not lesson.check_edge_kernel(kernel)
    out = capsys.readouterr().out
    assert pattern in out and "lines or texture" in out


@pytest.mark.parametrize("kernel", [
    [[0, 1, 0], [0, 0, 0], [-1, -1, 1]],      # a fresh reader's: ties a corner, a checkerboard and a junction with the edge
    [[1, 1, -1], [0, 0, 0], [-1, 0, 0]],
    [[1, 0, -1], [1, 0, 0], [-1, 0, 0]],
])
def test_edge_checker_turns_away_lopsided_kernels_that_tie_with_other_patterns(kernel, capsys):
    assert not lesson.check_edge_kernel(kernel)
    out = capsys.readouterr().out
    assert "checkerboard" in out and "mirror image" in out


@pytest.mark.parametrize("kernel", [
    [[-1, -1, 1], [-1, 1, 0], [1, 0, 0]],     # a line along one diagonal, minus one side of it: ties with a thin line
    [[1, 0, 0], [-1, 1, 0], [-1, -1, 1]],
])
def test_edge_checker_turns_away_lopsided_kernels_that_tie_with_a_thin_line(kernel, capsys):
    assert not lesson.check_edge_kernel(kernel)
    out = capsys.readouterr().out
    assert "a thin line as strongly" in out and "mirror image" in out
    # the central difference ties with a thin line too, and passes: it is a plain difference across the diagonal
    assert lesson.check_edge_kernel([[0, 1, 0], [-1, 0, 1], [0, -1, 0]])


def test_edge_checker_accepts_a_rounded_rotation_and_the_sum_of_two_sobels(capsys):
    # A 45-degree rotation typed with rounded square roots is still its own negative when mirrored, within tolerance.
    for kernel in ([[0, 1.41, 2], [-1.41, 0, 1.41], [-2, -1.41, 0]], [[0, 0.71, 1], [-0.7, 0, 0.7], [-1, -0.71, 0]],
                   [[-2, -2, 0], [-2, 0, 2], [0, 2, 2]]):               # Sobel x + Sobel y
        assert lesson.check_edge_kernel(kernel), kernel
    assert lesson.lopsidedness(torch.tensor([[0.0, 1, 2], [-1, 0, 1], [-2, -1, 0]])) == 0


def test_edge_checker_accepts_kirsch_compass_kernels(capsys):
    # A fresh reader's: Kirsch's diagonal kernels are textbook edge detectors but not their own negative mirrored;
    # they answer a checkerboard less than the edge (0.8 times), so the checkerboard rule lets them through.
    for kernel in ([[-3, 5, 5], [-3, 0, 5], [-3, -3, -3]], [[5, 5, -3], [5, 0, -3], [-3, -3, -3]]):
        assert lesson.check_edge_kernel(kernel), kernel
    assert lesson.lopsidedness(torch.tensor([[-3.0, 5, 5], [-3, 0, 5], [-3, -3, -3]])) > lesson.MIRROR_TOLERANCE


def test_edge_checker_accepts_48_of_the_kernels_with_weights_minus_one_zero_one(capsys):
    # The teaching guide quotes this count: every 3 x 3 kernel of -1, 0 and 1 whose weights add up to 0, tried once.
    kernels = [torch.tensor(weights, dtype=torch.float32).view(3, 3)
               for weights in itertools.product((-1, 0, 1), repeat=9) if sum(weights) == 0 and any(weights)]
    accepted = sum(lesson.check_edge_kernel(kernel) for kernel in kernels)
    capsys.readouterr()
    assert accepted == 48
