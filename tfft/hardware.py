"""What this machine's CPU can do that decides a default (bfloat16 arithmetic).

Example:

>>> cpu_runs_bfloat16()   # True on CPUs with AMX or AVX512_BF16, False without, None off Linux
True
"""

from __future__ import annotations

from pathlib import Path

BFLOAT16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_runs_bfloat16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool | None:
    """True if this CPU has AMX-BF16 or AVX512_BF16; None where /proc/cpuinfo cannot tell (not Linux)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return None
    flags = {flag for line in text.splitlines() if line.startswith("flags") for flag in line.split(":", 1)[-1].split()}
    return any(flag in flags for flag in BFLOAT16_CPU_FLAGS)
