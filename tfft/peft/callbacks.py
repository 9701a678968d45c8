"""The callbacks a PEFT method needs while training (AdaLoRA's rank allocator).

Example:

>>> callbacks = peft_callbacks(backbone, config, make_batches, total_steps, folder)
"""

from __future__ import annotations

from tfft.config import RunConfig
from tfft.peft.adalora import RankAllocator
from tfft.peft.layer_tree import PeftHost
from tfft.peft.methods import host_layers


def peft_callbacks(backbone, config: RunConfig, batches, total_steps: int, folder) -> list:
    peft = config.peft
    if peft.method != "adalora":
        return []
    modules = {path: layer._peft_modules[config.name] for path, layer in host_layers(backbone)
               if isinstance(layer, PeftHost) and config.name in layer._peft_modules}
    return [RankAllocator(modules, peft.target_rank * len(modules), total_steps, batches,
                          log_dir=folder.logs, ranks_file=folder.adalora_ranks)]
