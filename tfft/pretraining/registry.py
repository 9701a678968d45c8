"""The registry of pre-training objectives, by the name a config's ``task`` uses.

Example:

>>> objective = make_objective("causal_lm", {"vocabulary_size": 4096})
"""

from __future__ import annotations

from typing import Any

from tfft.pretraining.causal_lm import CausalLM
from tfft.pretraining.masked_lm import MaskedLM
from tfft.pretraining.base import Objective

OBJECTIVES = {objective.name: objective for objective in (MaskedLM, CausalLM)}


def make_objective(name: str, options: dict[str, Any] | None = None) -> Objective:
    if name not in OBJECTIVES:
        raise ValueError(f"tfft pretrain: task must be one of {sorted(OBJECTIVES)}, got '{name}'")
    return OBJECTIVES[name](options)
