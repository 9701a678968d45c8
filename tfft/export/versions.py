"""Integer version folders for TF Serving, published atomically.

TF Serving loads ``<model>/<integer>/`` folders and ignores other names, so a
version is written under a dot-folder and renamed into place when complete. An
existing version is never replaced.

Example:

>>> version = next_version(Path("saved_models/intents"))
>>> with staging_folder(Path("saved_models/intents"), version) as tmp:
...     write_everything(tmp)
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path


class ExportExistsError(FileExistsError):
    """The requested export version already exists and is left untouched."""


def existing_versions(model_root: Path) -> list[int]:
    if not model_root.is_dir():
        return []
    return sorted(int(p.name) for p in model_root.iterdir() if p.is_dir() and p.name.isdigit())


def next_version(model_root: Path) -> int:
    versions = existing_versions(model_root)
    return versions[-1] + 1 if versions else 1


@contextlib.contextmanager
def staging_folder(model_root: Path, version: int):
    """Yields a temp folder; on success renames it to ``model_root/version``."""
    final = model_root / str(version)
    if final.exists():
        raise ExportExistsError(
            f"{final} already exists; exports are never overwritten. Omit the version to "
            f"write version {next_version(model_root)}, or remove {final} yourself"
        )
    model_root.mkdir(parents=True, exist_ok=True)
    staging = model_root / f".staging-{version}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        yield staging
        try:
            os.rename(staging, final)  # atomic on one file system; fails if final appeared
        except OSError as error:
            raise ExportExistsError(f"could not publish {final}: {error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
