"""A benchmark's figures as a self-describing JSON record: what ran, on which machine, with what.

Every script in ``benchmarks/`` ends with `write_record`, which writes
``benchmarks/results/<name>-<UTC date and time>.json``::

    {"benchmark": "classification", "command": "python benchmarks/classification.py ...",
     "commit": "74edeaa...", "date": "2026-12-03T17:02:11Z",
     "machine": {"cpu": "AMD EPYC", "cores": 2, "cpu_flags": ["avx2", "fma"], "memory_gib": 23.5,
                 "gpu": null},
     "versions": {"tensorflow": "2.21.0", ...}, "figures": ...}

``python benchmarks/report.py`` renders the records that the docs cite into
``docs/benchmarks.md``, each table under the machine it ran on.

    >>> from benchmarks.record import machine
    >>> sorted(machine())
    ['cores', 'cpu', 'cpu_flags', 'gpu', 'memory_gib']
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

# The flags that decide which kernels TensorFlow and PyTorch run: bfloat16 is native only
# with AVX512_BF16 or AMX, and int8 products are fast only with VNNI or AMX.
SPEED_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")

LIBRARIES = ("tensorflow", "keras", "keras-hub", "tensorflow-text", "numpy", "jax", "torch", "transformers")


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo ({} where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields = {}
    for line in text.split("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _gpu() -> str | None:
    """The GPUs nvidia-smi names, one per line joined by '; ' (None without one)."""
    if shutil.which("nvidia-smi") is None:
        return None
    done = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                          capture_output=True, text=True)
    names = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    return "; ".join(names) if done.returncode == 0 and names else None


def machine() -> dict:
    """CPU model, cores, the speed-relevant SIMD/AMX flags it has, memory and GPU."""
    info = _cpuinfo()
    flags = set(info.get("flags", "").split())
    return {"cpu": info.get("model name") or platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "cpu_flags": [flag for flag in SPEED_FLAGS if flag in flags],
            "memory_gib": _memory_gib(),
            "gpu": _gpu()}


def versions(libraries: tuple[str, ...] = LIBRARIES) -> dict[str, str]:
    """Installed versions of the libraries a figure depends on (those not installed are left out)."""
    found = {"python": platform.python_version()}
    for name in libraries:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def peer_versions(python: str, libraries: tuple[str, ...] = ("torch", "transformers", "tokenizers")) -> dict:
    """Versions installed in a peer's venv, keyed ``peer <name>`` ({} where that python is absent)."""
    if not Path(python).is_file():
        return {}
    script = ("import importlib.metadata as m, json, sys\n"
              "found = {}\n"
              "for name in sys.argv[1:]:\n"
              "    try: found[name] = m.version(name)\n"
              "    except m.PackageNotFoundError: pass\n"
              "print(json.dumps(found))")
    done = subprocess.run([python, "-c", script, *libraries], capture_output=True, text=True)
    if done.returncode != 0:
        return {}
    return {f"peer {name}": version for name, version in json.loads(done.stdout).items()}


def commit() -> str | None:
    """HEAD of the checkout, with ``-dirty`` when tracked files differ from it."""
    def git(*args: str) -> str | None:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    if shutil.which("git") is None:
        return None
    head = git("rev-parse", "HEAD")
    if head is None:
        return None
    return head + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def command_line(argv: list[str] | None = None) -> str:
    """The command as a user would type it from the checkout's root."""
    argv = list(sys.argv if argv is None else argv)
    script = Path(argv[0]).resolve()
    if script.is_relative_to(ROOT):
        argv[0] = str(script.relative_to(ROOT))
    return " ".join(["python", *argv])


def make_record(name: str, figures, extra_versions: dict | None = None) -> dict:
    """``figures`` with the command, commit, versions, machine and UTC date that produced them.

    Args:
        name: the benchmark, which `benchmarks/report.py` renders by.
        figures: what was measured (JSON-serialisable).
        extra_versions: versions measured elsewhere (a peer's venv), merged under ``versions``.
    """
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return {"benchmark": name, "command": command_line(), "commit": commit(),
            "date": now.isoformat().replace("+00:00", "Z"), "machine": machine(),
            "versions": {**versions(), **(extra_versions or {})}, "figures": figures}


def write_record(name: str, figures, folder: Path = RESULTS, extra_versions: dict | None = None) -> Path:
    """`make_record` written to ``folder/<name>-<UTC date>-<time>.json``; returns the path."""
    record = make_record(name, figures, extra_versions)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = record["date"].replace("-", "").replace(":", "").replace("T", "-").rstrip("Z")
    path = folder / f"{name}-{stamp}.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path
