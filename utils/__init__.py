"""Helpers shared by the Deep Learning Basics notebooks. Read them: every function is short."""

import platform
import sys

from .environment import SetupError, check_environment, data_problem

check_environment()  # before torch and the rest: a missing or too old package is named, with the fix

import matplotlib
import torch
import torchvision

from .augment import AugmentedLoader, augment_batch, show_augmentations
from .augment import shift_images
from .data import (CACHE_DIR, CLASS_NAMES, DATA_DIR, DataFileError, TensorLoader, load_dataset, load_tensors,
                   make_loaders, split_off, take_per_class)
from .models import CheckpointError, count_parameters, load_checkpoint, load_verified, make_cnn, make_mlp
from .plotting import COLORS, plot_confusion_matrix, plot_history, show_images, use_course_style
from .seeds import make_generator, seed_offset, set_seed
from .threads import apply_thread_policy
from .training import TrainingDiverged, evaluate, fit, get_device, predict, train_one_epoch


def setup_notebook(seed: int = 0) -> torch.device:
    """Seed everything, apply the plot style and thread policy, print versions and device; return the device."""
    if problem := data_problem(DATA_DIR, CACHE_DIR):
        raise DataFileError(problem)
    set_seed(seed)
    use_course_style()
    device = get_device()
    threads = apply_thread_policy()
    print(f"Python {platform.python_version()} | torch {torch.__version__} | "
          f"torchvision {torchvision.__version__} | matplotlib {matplotlib.__version__} | "
          f"{threads} CPU thread{'s' if threads > 1 else ''}")
    print(f"Device: {device}" + (f" ({torch.cuda.get_device_name()}; the course's checks have so far run on CPUs only, "
                                 "so one may miss its bar here by a little: DLB_DEVICE=cpu runs the lesson on the CPU)"
                                 if device.type == "cuda" else
                                 " (Apple's GPU, through Metal: the course's checks have not run on it)"
                                 if device.type == "mps" else
                                 " (no GPU in use: everything runs on the CPU, as planned)"))
    if "google.colab" in sys.modules and device.type == "cpu":
        print("In Colab a free GPU is one menu away: Runtime → Change runtime type → a GPU (e.g. T4), then run "
              "the notebook again from the top. Without one, every lesson still runs, on the CPU.")
    return device
