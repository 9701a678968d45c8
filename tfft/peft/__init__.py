"""Parameter-efficient fine-tuning: LoRA, DoRA, AdaLoRA, bottleneck adapters,
prefix and prompt tuning, BitFit; adapter-only checkpoints; merged exports.

Example:

>>> from tfft.peft import add_adapter, using_adapter
>>> add_adapter(backbone, PeftConfig(method="lora", rank=8, alpha=16, targets=["query", "value"]))
"""

from tfft.peft.adapter_set import (
    activate,
    adapter_names,
    adapter_variables,
    add_adapter,
    is_enabled,
    merge_active,
    trainable_summary,
    using_adapter,
)

__all__ = ["activate", "adapter_names", "adapter_variables", "add_adapter", "is_enabled",
           "merge_active", "trainable_summary", "using_adapter"]
