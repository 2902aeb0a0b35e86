"""Seeds: every random draw in the course starts from a seed given here, so runs repeat on the CPU.

Setting the environment variable DLB_SEED_OFFSET to a whole number (say 3) adds it to every seed
the lessons use. No code path changes, only the random draws: that is how the robustness check
(scripts/robustness.py) tries the lessons' claims on other draws than the ones they were written on.
"""

import os
import random

import numpy as np
import torch

SEED_OFFSET_VARIABLE = "DLB_SEED_OFFSET"


def seed_offset() -> int:
    """Return the whole number in DLB_SEED_OFFSET (0 when unset), explaining a value that is not one."""
    text = os.environ.get(SEED_OFFSET_VARIABLE, "").strip()
    try:
        return int(text or 0)
    except ValueError:
        raise ValueError(f"{SEED_OFFSET_VARIABLE} must be a whole number such as 3 (or unset); "
                         f"got {text!r}.") from None


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (with seed + DLB_SEED_OFFSET) so that runs repeat exactly on the CPU."""
    seed += seed_offset()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_generator(seed: int = 0) -> torch.Generator:
    """Return a CPU torch.Generator seeded with seed + DLB_SEED_OFFSET (for draws that leave the global seed alone)."""
    return torch.Generator().manual_seed(seed + seed_offset())
