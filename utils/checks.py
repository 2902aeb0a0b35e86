"""The checker toolkit that every lesson's exercise checkers (in utils/lessonNN.py) are built from.

A checker takes the student's answer, prints feedback through `report`, and returns a Verdict;
tests/ call each one with right and wrong answers.
"""

import torch


class Verdict(int):
    """A checker's result: true or false like a bool, but Jupyter shows only the printed feedback."""

    def __repr__(self) -> str:
        return repr(bool(self))

    def _ipython_display_(self) -> None:
        pass  # the ✅/❌ line already says it; echoing True/False under it would only add noise


def report(correct: bool, praise: str, hint: str) -> Verdict:
    """Print a tick and `praise` if correct, else a cross and `hint`; return whether it was correct."""
    print(f"✅ Correct! {praise}" if correct else f"❌ Not yet. {hint}")
    return Verdict(bool(correct))


def is_close(answer, expected: float, tolerance: float = 1e-6, floor: float = 1.0) -> bool:
    """Return whether `answer` is a number within `tolerance` x max(floor, |expected|) of `expected`."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False
    return abs(value - expected) <= tolerance * max(floor, abs(expected))


def is_same_tensor(answer, expected: torch.Tensor, tolerance: float = 1e-5) -> bool:
    """Return whether `answer` is a tensor of the expected shape and values."""
    return (isinstance(answer, torch.Tensor) and answer.shape == expected.shape
            and torch.allclose(answer.float(), expected.float(), atol=tolerance))
