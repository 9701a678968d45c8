"""The folder of one training run: what it holds and how runs never clobber each other.

``runs/<name>/`` holds ``config.yaml`` (resolved), the label list, TensorBoard
``logs/``, per-epoch ``checkpoints/``, the resume ``backup/``, the final
weights, tokenizer and backbone config, and ``metrics.json``. A finished run is
marked ``DONE``; starting the same name again opens ``<name>-2`` (and so on),
while an unfinished run is resumed where it stopped. A ``RUNNING`` file holds
the training process's id and host, so a second ``tfft train`` of the same
name stops with an error instead of "resuming" a run that is still alive.

Example:

>>> folder, config, resumed = RunFolder.prepare(config)
>>> folder.metrics
PosixPath('runs/support-intents/metrics.json')
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tfft.config import ConfigError, RunConfig, config_to_dict, load_config, save_config

logger = logging.getLogger(__name__)

# Fields a resumed run may take from the new command: they do not change what was trained so far.
SAFE_TO_CHANGE = ("training.epochs", "training.log_every_steps", "training.backup_every_steps",
                  "training.keep_checkpoints", "training.evaluate_before", "export")


def differing_fields(saved: dict, requested: dict, prefix: str = "") -> dict[str, tuple]:
    """{dotted field: (saved value, requested value)} for every field the two config dicts differ in.

    Example:

    >>> differing_fields({"training": {"epochs": 1}}, {"training": {"epochs": 3}})
    {'training.epochs': (1, 3)}
    """
    changed = {}
    for key in sorted(set(saved) | set(requested)):
        old, new = saved.get(key), requested.get(key)
        if isinstance(old, dict) and isinstance(new, dict) and key != "task_options":
            changed.update(differing_fields(old, new, f"{prefix}{key}."))
        elif old != new:
            changed[f"{prefix}{key}"] = (old, new)
    return changed


@dataclass
class RunFolder:
    path: Path

    config = property(lambda self: self.path / "config.yaml")
    logs = property(lambda self: self.path / "logs")
    checkpoints = property(lambda self: self.path / "checkpoints")
    backup = property(lambda self: self.path / "backup")
    weights = property(lambda self: self.path / "model.weights.h5")
    backbone_config = property(lambda self: self.path / "backbone.json")
    tokenizer = property(lambda self: self.path / "tokenizer")
    metrics = property(lambda self: self.path / "metrics.json")
    metrics_before = property(lambda self: self.path / "metrics_before.json")
    skipped_rows = property(lambda self: self.path / "skipped_rows.txt")
    augmented_rows = property(lambda self: self.path / "augmented_rows.jsonl")
    warmup_texts = property(lambda self: self.path / "warmup_inputs.json")

    def read_warmup_inputs(self) -> dict[str, list[str]] | None:
        """The texts a run chose for its export's warm-up requests (None if it wrote none)."""
        return json.loads(self.warmup_texts.read_text()) if self.warmup_texts.is_file() else None

    adapter = property(lambda self: self.path / "adapter")  # PEFT runs: the trained weights alone
    adalora_ranks = property(lambda self: self.path / "adalora_ranks.json")
    done_marker = property(lambda self: self.path / "DONE")
    lock = property(lambda self: self.path / "RUNNING")

    @property
    def is_done(self) -> bool:
        return self.done_marker.is_file()

    @classmethod
    def finished(cls, path: str | Path, key: str) -> "RunFolder":
        """The finished run at ``path``, which config field ``key`` names; else an error naming both.

        Example:

        >>> RunFolder.finished("runs/sst2", "model.init_from").weights
        PosixPath('runs/sst2/model.weights.h5')
        """
        folder = cls(Path(path))
        if not folder.weights.is_file():
            raise FileNotFoundError(f"{key}: {path} has no {folder.weights.name}; "
                                    f"it must be a finished tfft run folder")
        return folder

    @classmethod
    def locate(cls, config: RunConfig) -> "RunFolder":
        """The folder `prepare` opens: ``<name>``, or the first ``<name>-N`` not finished."""
        base = config.run_dir
        folder = cls(base)
        suffix = 1
        while folder.is_done:
            suffix += 1
            folder = cls(base.with_name(f"{base.name}-{suffix}"))
        return folder

    @classmethod
    def for_worker(cls, config: RunConfig, role: str) -> tuple["RunFolder", RunConfig, bool, "RunFolder"]:
        """A non-chief worker's folder: a temporary one, plus the chief's to resume from.

        Workers other than the chief write nothing the user keeps; the caller
        removes the temporary folder when the run ends.
        """
        shared = cls.locate(config)
        resumed = shared.config.is_file()
        if resumed:
            config = load_config(shared.config)
        folder = cls(Path(tempfile.mkdtemp(prefix=f"tfft-{config.name}-{role}-")))
        save_config(config, folder.config)
        return folder, config, resumed, shared

    @classmethod
    def prepare(cls, config: RunConfig) -> tuple["RunFolder", RunConfig, bool]:
        """Opens a fresh folder, or the unfinished one to resume (with its saved config)."""
        base = config.run_dir
        folder = cls.locate(config)
        if folder.path != base:
            logger.info("%s holds a finished run; writing this one to %s", base, folder.path)
        if folder.config.is_file():
            folder._take_lock()
            config, resumed = folder._resume_config(config)
            return folder, config, resumed
        if folder.path.exists() and any(folder.path.iterdir()):
            raise FileExistsError(
                f"{folder.path} exists and is not a tfft run folder; it is left untouched. "
                f"Choose another name (--set name=...) or output_dir"
            )
        folder.path.mkdir(parents=True, exist_ok=True)
        folder._take_lock()
        save_config(config, folder.config)
        return folder, config, False

    def _take_lock(self) -> None:
        if self.lock.is_file():
            owner = self.lock.read_text(encoding="utf-8").split()
            pid, host = (int(owner[0]), owner[1]) if len(owner) == 2 else (None, None)
            ours = pid == os.getpid() and host == socket.gethostname()
            if not ours and (host != socket.gethostname() or _process_alive(pid)):
                raise RuntimeError(
                    f"{self.path} is being trained by process {pid} on {host} ({self.lock}); "
                    f"wait for it, use another name (--set name=...), or delete {self.lock.name} "
                    f"if that process is gone")
        self.lock.write_text(f"{os.getpid()} {socket.gethostname()}\n", encoding="utf-8")

    def _resume_config(self, requested: RunConfig) -> tuple[RunConfig, bool]:
        """(the config to run, whether a run is resumed) for a folder that holds an unfinished run.

        A folder that never trained (no backup) starts afresh with ``requested``.
        A trained one resumes; fields that differ from its saved config are applied
        where that is safe (`SAFE_TO_CHANGE`), otherwise refused with their names.
        """
        saved = load_config(self.config)
        changed = differing_fields(config_to_dict(saved), config_to_dict(requested))
        if not self.backup.exists():
            if changed:
                logger.info("%s never trained; starting it afresh with this config", self.path)
            self.metrics_before.unlink(missing_ok=True)
            save_config(requested, self.config)
            return requested, False
        unsafe = {name: values for name, values in changed.items()
                  if not any(name == safe or name.startswith(safe + ".") for safe in SAFE_TO_CHANGE)}
        if unsafe:
            listing = "; ".join(f"{name}: {old!r} saved, {new!r} now" for name, (old, new) in unsafe.items())
            raise ConfigError(f"{self.path} holds an unfinished run trained with another config ({listing}). "
                              f"Resume it with its own config ({self.config}), or start a fresh run with "
                              f"--set name=<new name>")
        if changed:
            logger.info("resuming the unfinished run in %s with %s changed", self.path, ", ".join(changed))
            save_config(requested, self.config)
        else:
            logger.info("resuming the unfinished run in %s", self.path)
        return requested, True

    def mark_done(self) -> None:
        self.done_marker.write_text("finished\n", encoding="utf-8")
        self.lock.unlink(missing_ok=True)


def _process_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
