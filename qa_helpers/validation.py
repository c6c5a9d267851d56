"""What counts as a valid question/context pair: one rule for every entry point and engine."""
from __future__ import annotations

__all__ = ["check_pair", "check_question_length", "InputError", "max_question_pieces", "pair_error"]


class InputError(ValueError):
    """A question or context the engines cannot answer; the message names the problem."""


def check_pair(question: object, context: object) -> None:
    """Raise TypeError for non-text, InputError for empty or whitespace-only text."""
    for name, value in (("question", question), ("context", context)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, got {type(value).__name__}")
        if not value.strip():
            raise InputError(f"{name} is empty or only whitespace")


def pair_error(question: object, context: object) -> str | None:
    """The message ``check_pair`` would raise, or None for a valid pair (for batch rows)."""
    try:
        check_pair(question, context)
    except (TypeError, InputError) as err:
        return str(err)
    return None


def max_question_pieces(window: int) -> int:
    """A question may fill at most half of the model's window: the rest is for the context."""
    return (window - 3) // 2


def check_question_length(pieces: int, window: int) -> None:
    limit = max_question_pieces(window)
    if pieces > limit:
        raise InputError(
            f"question is {pieces} word pieces long; at most {limit} fit (half of the {window}-piece "
            "window, the rest is kept for the context). Shorten the question."
        )
