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


RETIRED = ".retired"  # rolled-back versions: kept, but hidden from TF Serving (not an integer name)


def retired_versions(model_root: Path) -> list[int]:
    return existing_versions(Path(model_root) / RETIRED)


def next_version(model_root: Path) -> int:
    """One past every version ever published here, rolled-back ones included: numbers are never reused."""
    versions = existing_versions(model_root) + retired_versions(model_root)
    return max(versions) + 1 if versions else 1


def retire_latest(model_root: Path) -> tuple[int, int]:
    """Rolls back: moves the newest version into ``.retired/``; returns (retired, now serving)."""
    versions = existing_versions(model_root)
    if len(versions) < 2:
        raise ValueError(f"{model_root} has versions {versions}; rolling back needs an earlier one to serve")
    retired = Path(model_root) / RETIRED
    retired.mkdir(exist_ok=True)
    os.rename(Path(model_root) / str(versions[-1]), retired / str(versions[-1]))
    return versions[-1], versions[-2]


def publish_copy(source: Path, model_root: Path, version: int) -> Path:
    """Copies a finished export folder in as ``model_root/version`` (atomically, never over one)."""
    with staging_folder(Path(model_root), version) as staging:
        shutil.copytree(source, staging)
    return Path(model_root) / str(version)


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
