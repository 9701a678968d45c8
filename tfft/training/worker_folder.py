"""Which run folder this process writes: the real one on the chief, a temporary one elsewhere.

Under MultiWorkerMirrored every worker runs the same program; only the chief
writes the run folder, TensorBoard logs and the export. The other workers
write to a temporary folder that is removed when the run ends, and resume
from the chief's backup.

Example:

>>> with open_run_folder(config, strategy) as (folder, config, resumed, backup_source):
...     start = restore_backup(model, backup_source.backup, steps)
"""

from __future__ import annotations

import contextlib
import shutil
from typing import Iterator

import tensorflow as tf

from tfft.config import RunConfig
from tfft.run_folder import RunFolder
from tfft.training.strategy import is_chief, worker_role


@contextlib.contextmanager
def open_run_folder(config: RunConfig, strategy: tf.distribute.Strategy
                    ) -> Iterator[tuple[RunFolder, RunConfig, bool, RunFolder]]:
    """Yields (folder to write, config, resumed, folder whose backup to resume from)."""
    if is_chief(strategy):
        folder, config, resumed = RunFolder.prepare(config)
        yield folder, config, resumed, folder
        return
    task_type, task_id = worker_role(strategy)
    folder, config, resumed, shared = RunFolder.for_worker(config, f"{task_type}{task_id}")
    try:
        yield folder, config, resumed, shared
    finally:
        shutil.rmtree(folder.path, ignore_errors=True)
