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


def comma_typed(answer) -> tuple[object, str | None]:
    """Read a whole number a student typed with thousands commas; return (answer to check, hint or None).

    The string "81,840" is read as 81840. `answer = 81,840` makes Python build the tuple (81, 840): it is
    returned as the number its digits spell, 81840, with a hint that says to drop the comma, so that a
    checker can tell a right count in the wrong form from a wrong count.
    """
    if isinstance(answer, str) and "," in answer and answer.replace(",", "").strip().isdigit():
        return int(answer.replace(",", "")), None
    parts = answer if isinstance(answer, tuple) else ()
    if len(parts) > 1 and all(type(part) is int for part in parts) and all(0 <= part < 1000 for part in parts[1:]):
        written = ",".join([str(parts[0])] + [f"{part:03d}" for part in parts[1:]])
        return int(written.replace(",", "")), (f"Write the number without a comma: in Python, {written} is "
                                              f"{len(parts)} numbers, the tuple {parts}.")
    return answer, None


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
