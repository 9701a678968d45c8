"""Replay: mix a sample of earlier training rows into new data, so an update does not forget.

Works on every task's examples (they are dataclasses of per-row lists with
``subset``); the mixed rows keep the first file's source name for messages.

Example:

>>> mixed = with_replay(new_examples, old_examples, ratio=1.0, seed=0)
>>> len(mixed) == 2 * len(new_examples)
True
"""

from __future__ import annotations

import dataclasses

import numpy as np


def concatenate_examples(first, second):
    """Rows of ``first`` then ``second`` (same examples class); per-row list fields are joined."""
    if type(first) is not type(second):
        raise TypeError(f"cannot mix {type(first).__name__} with {type(second).__name__}")
    rows = len(first)
    values = {}
    for field in dataclasses.fields(first):
        a, b = getattr(first, field.name), getattr(second, field.name)
        per_row = isinstance(a, list) and len(a) == rows and field.name != "label_names"
        if per_row and b is None:
            raise ValueError(f"{second.source} has no '{field.name}'; {first.source} does")
        values[field.name] = a + list(b) if per_row else a
    return type(first)(**values)


def with_replay(new, old, ratio: float, seed: int):
    """``new`` plus ``round(ratio × len(new))`` rows drawn without replacement from ``old``."""
    count = min(len(old), int(round(ratio * len(new))))
    if count == 0:
        return new
    picked = np.random.default_rng(seed).choice(len(old), size=count, replace=False)
    return concatenate_examples(new, old.subset(sorted(picked.tolist())))
