"""Hold back the lines TensorFlow's C++ start-up writes to stderr, and pass on all but known noise.

Importing TensorFlow writes, before its logging is even set up (so
``TF_CPP_MIN_LOG_LEVEL`` cannot silence them), lines such as "Could not find
cuda drivers", "failed call to cuInit" and "oneDNN custom operations are on".
On a machine without a GPU they are the first thing a user sees and none of
them is actionable. `quiet_tensorflow_start` catches file descriptor 2 while
TensorFlow loads and looks for GPUs, then writes back every line that is not
one of those: real warnings and errors still show.

Example:

>>> with quiet_tensorflow_start():
...     import tensorflow
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from typing import Iterator

# Start-up chatter on every machine.
NOISE = re.compile("|".join([
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    r"oneDNN custom operations are on",
    r"This TensorFlow binary is optimized to use available CPU instructions",
    r"^To enable the following instructions: .*rebuild TensorFlow",
]))
# CUDA probes: noise where no GPU is found, a clue where one is expected, so kept then.
CUDA_PROBES = re.compile("|".join([
    r"Could not find cuda drivers on your machine",
    r"failed call to cuInit",
    r"Unable to register cu(DNN|FFT|BLAS) factory",
    r"TF-TRT Warning: Could not find TensorRT",
]))


def is_noise(line: str, gpu_found: bool) -> bool:
    """Whether a start-up ``line`` is held back (CUDA probes only where no GPU was found)."""
    return bool(NOISE.search(line)) or (not gpu_found and bool(CUDA_PROBES.search(line)))


@contextlib.contextmanager
def quiet_tensorflow_start() -> Iterator[None]:
    """Runs the block with stderr (fd 2) caught; afterwards writes back what is not start-up noise."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no usable fd 2 (an embedded interpreter): nothing to hold back
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        gpu_found = True  # if the block fails, keep every line
        try:
            yield
            gpu_found = _gpu_found()
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            for line in held.read().decode("utf-8", errors="replace").splitlines(keepends=True):
                if not is_noise(line, gpu_found):
                    sys.stderr.write(line)
            sys.stderr.flush()


def _gpu_found() -> bool:
    # Listing the devices is what runs cuInit, so it happens while stderr is still held.
    tensorflow = sys.modules.get("tensorflow")
    return bool(tensorflow and tensorflow.config.list_physical_devices("GPU"))
