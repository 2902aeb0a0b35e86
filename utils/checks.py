"""Exercise checkers: each tells a right answer from a wrong one, prints feedback, returns a bool."""

import torch


def report(correct: bool, praise: str, hint: str) -> bool:
    """Print a tick and `praise` if correct, else a cross and `hint`; return `correct`."""
    print(f"✅ Correct! {praise}" if correct else f"❌ Not yet. {hint}")
    return correct


def is_close(answer, expected: float, tolerance: float = 1e-6) -> bool:
    """Return whether `answer` is a number within `tolerance` (relative) of `expected`."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False
    return abs(value - expected) <= tolerance * max(1.0, abs(expected))


def is_same_tensor(answer, expected: torch.Tensor, tolerance: float = 1e-5) -> bool:
    """Return whether `answer` is a tensor of the expected shape and values."""
    return (isinstance(answer, torch.Tensor) and answer.shape == expected.shape
            and torch.allclose(answer.float(), expected.float(), atol=tolerance))


# Each lesson's checkers follow, in lesson order. A checker takes the student's answer, prints
# feedback through `report`, and returns True or False; tests/ call each one with right and wrong answers.

# --- 01 What deep learning is ---

# --- 02 The training loop ---

# --- 03 Learning rates ---

# --- 04 Overfitting ---

# --- 05 Convolutional networks ---

# --- 06 Data augmentation ---

# --- 07 Transfer learning ---
