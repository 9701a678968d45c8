"""String values coming out of tensors."""

from __future__ import annotations


def as_text(value) -> str:
    """A string output value as ``str`` (numpy gives bytes, JSON round trips give str)."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
