"""Imported first by every benchmark that runs tfft: a quiet TensorFlow start and tfft's progress lines.

TensorFlow's C++ start-up writes CUDA probes and oneDNN notices to stderr on import
(`tfft.quiet_start` says which and why); this module loads TensorFlow inside
`quiet_tensorflow_start`, as ``tfft`` commands do, so a benchmark's output starts
with its own lines and still shows real warnings. It also sends the ``tfft``
logger to stderr, so training and evaluation inside a benchmark report progress
as they do under ``tfft train``.

    import benchmarks.startup  # noqa: F401  (before anything imports TensorFlow)
"""

from tfft.cli import configure_logging
from tfft.quiet_start import quiet_tensorflow_start

with quiet_tensorflow_start():
    import tensorflow  # noqa: F401

configure_logging()
