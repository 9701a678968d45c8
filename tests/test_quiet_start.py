"""TensorFlow's start-up noise is held back; real warnings and errors still reach stderr."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tfft.quiet_start import is_noise

ROOT = Path(__file__).resolve().parent.parent
CUDA_PROBE = ("I0000 00:00:1796309261.670250   30082 cudart_stub.cc:31] Could not find cuda drivers on your "
              "machine, GPU will not be used.")
CU_INIT = ("E0000 00:00:1796309269.657028   30082 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA "
           "error: Failed call to cuInit: UNKNOWN ERROR (303)")


def test_cuda_probes_are_noise_only_where_no_gpu_was_found():
    assert is_noise(CUDA_PROBE, gpu_found=False) and is_noise(CU_INIT, gpu_found=False)
    assert not is_noise(CUDA_PROBE, gpu_found=True) and not is_noise(CU_INIT, gpu_found=True)
    assert is_noise("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR", True)
    assert not is_noise("E0000 util.cc:131] oneDNN supports DT_INT64 only on platforms with AVX-512.", False)
    assert not is_noise("UserWarning: something the user should read", False)


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_lines_written_while_held_are_written_back_unless_noise():
    completed = run_python(f"""
        import os
        from tfft.quiet_start import quiet_tensorflow_start
        with quiet_tensorflow_start():
            os.write(2, b"{CUDA_PROBE}\\n")
            os.write(2, b"a real warning\\n")
        os.write(2, b"after\\n")
    """)
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr.splitlines() == ["a real warning", "after"]


def test_importing_tensorflow_says_nothing_about_cuda_on_a_machine_without_a_gpu():
    completed = run_python("""
        from tfft.quiet_start import quiet_tensorflow_start
        with quiet_tensorflow_start():
            import tensorflow as tf
        print(len(tf.config.list_physical_devices("GPU")))
    """)
    assert completed.returncode == 0, completed.stderr
    if completed.stdout.strip() == "0":
        assert "cuda" not in completed.stderr.lower() and "oneDNN custom operations" not in completed.stderr


def test_a_failing_start_keeps_every_line():
    completed = run_python(f"""
        import os
        from tfft.quiet_start import quiet_tensorflow_start
        with quiet_tensorflow_start():
            os.write(2, b"{CUDA_PROBE}\\n")
            raise SystemExit(3)
    """)
    assert completed.returncode == 3 and "Could not find cuda drivers" in completed.stderr
