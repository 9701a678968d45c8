"""What a row source yields: a `HeaderRow` first, then ``(line, dict | BadRow)`` pairs.

Example:

>>> def rows():
...     yield 1, HeaderRow(["text", "label"])
...     yield 2, {"text": "hello", "label": "greeting"}
"""

from __future__ import annotations


class HeaderRow:
    """First item a row source yields: the column names (None: checked per row)."""

    def __init__(self, header: list[str] | None):
        self.header = header
