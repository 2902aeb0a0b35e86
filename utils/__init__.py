"""Helpers shared by the Deep Learning Basics notebooks. Read them: every function is short."""

import platform

import matplotlib
import torch
import torchvision

from .augment import AugmentedLoader, augment_batch, show_augmentations
from .data import (CLASS_NAMES, DataFileError, TensorLoader, load_dataset, load_tensors,
                   make_loaders, split_off, take_per_class)
from .models import CheckpointError, count_parameters, load_checkpoint, make_cnn, make_mlp
from .plotting import COLORS, plot_confusion_matrix, plot_history, show_images, use_course_style
from .training import (TrainingDiverged, evaluate, fit, get_device, predict, set_seed,
                       train_one_epoch)


def setup_notebook(seed: int = 0) -> torch.device:
    """Seed everything, apply the plot style, print versions and device; return the device."""
    set_seed(seed)
    use_course_style()
    device = get_device()
    print(f"Python {platform.python_version()} | torch {torch.__version__} | "
          f"torchvision {torchvision.__version__} | matplotlib {matplotlib.__version__}")
    print(f"Device: {device}" + (f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else
                                 " (no GPU found: everything runs on the CPU, as planned)"))
    return device
