"""A wheel built from the checkout installs a ``tfft`` that trains the sample from anywhere."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(command: list, cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    completed = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True,
                               timeout=timeout)
    assert completed.returncode == 0, f"{command}:\n{completed.stdout[-2000:]}\n{completed.stderr[-4000:]}"
    return completed


def test_a_built_wheel_installs_a_tfft_that_trains_the_sample_outside_the_checkout(tmp_path):
    source = tmp_path / "source"  # built from a copy, so the checkout gets no build/ or egg-info
    shutil.copytree(ROOT / "tfft", source / "tfft", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist",
         source], cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("tfft-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"tfft/sample_data/support_intents/config.yaml", "tfft/sample_data/support_intents/train.csv",
            "tfft/tasks/token_classification/example/config.yaml", "tfft/__main__.py"} <= names

    # The venv sees this machine's packages, so pip resolves the declared dependencies without downloads.
    run([sys.executable, "-m", "venv", "--system-site-packages", tmp_path / "venv"], cwd=tmp_path)
    bin_dir = tmp_path / "venv" / "bin"
    run([bin_dir / "pip", "install", "--no-build-isolation", "--no-index", wheel], cwd=tmp_path)
    checked = subprocess.run([bin_dir / "pip", "check"], capture_output=True, text=True, timeout=300).stdout
    assert not [line for line in checked.splitlines() if line.startswith("tfft ")]  # the model package, installed
    # with --no-deps, is expected to miss sentence-transformers

    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()
    where = run([bin_dir / "python", "-c", "import tfft; print(tfft.__file__)"], cwd=elsewhere).stdout
    assert str(tmp_path / "venv") in where  # the installed package, not the checkout
    trained = run([bin_dir / "tfft", "train", "--set", "training.epochs=1", "--set", "training.evaluate_before=false"],
                  cwd=elsewhere)
    assert "=== tfft run finished ===" in trained.stdout
    assert (elsewhere / "saved_models" / "support-intents" / "1" / "saved_model.pb").is_file()
