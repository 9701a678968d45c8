"""Server-side batching: concurrent requests to one signature run as one batch.

Mirrors TF Serving's ``BatchingParameters``: a batch closes when it holds
``max_batch_size`` rows or ``batch_timeout_micros`` after its first request,
``num_batch_threads`` run batches, and at most ``max_enqueued_batches``
batches' worth of rows wait (beyond that a request gets UNAVAILABLE at once
rather than a growing delay). A request bigger than a batch runs on its own.

Example:

>>> queue = BatchingQueue(signature, BatchingOptions(max_batch_size=32))
>>> queue({"text": np.array([b"where is my parcel?"], dtype=object)})
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from tfft.export.loaded import concatenate_padded
from tfft.serving.config_protos import BatchingParameters
from tfft.serving.errors import ServingError

Arrays = dict[str, np.ndarray]
_STOP = object()  # tells a batch thread to exit


@dataclass
class BatchingOptions:
    max_batch_size: int = 32
    batch_timeout_micros: int = 2000
    max_enqueued_batches: int = 100
    num_batch_threads: int = 2

    @classmethod
    def from_proto(cls, parameters) -> "BatchingOptions":
        """From a ``BatchingParameters`` message (``batching_parameters.txt``); unset fields keep defaults."""
        values = {name: getattr(parameters, name).value for name in cls.__dataclass_fields__
                  if parameters.HasField(name)}
        return cls(**values)

    def to_proto(self, pad_variable_length_inputs: bool = True) -> BatchingParameters:
        """The ``BatchingParameters`` TF Serving reads from ``--batching_parameters_file``."""
        parameters = BatchingParameters(pad_variable_length_inputs=pad_variable_length_inputs)
        for name in self.__dataclass_fields__:
            getattr(parameters, name).value = getattr(self, name)
        return parameters


@dataclass
class _Request:
    inputs: Arrays
    rows: int
    done: threading.Event = field(default_factory=threading.Event)
    outputs: Arrays | None = None
    error: BaseException | None = None


class BatchingQueue:
    """Runs ``run`` on merged batches of the requests handed to ``__call__`` from many threads."""

    def __init__(self, run: Callable[[Arrays], Arrays], options: BatchingOptions,
                 on_batch: Callable[[int], None] = lambda rows: None):
        self.run, self.options, self.on_batch = run, options, on_batch
        self._queue: queue.Queue[_Request] = queue.Queue()
        self._queued_rows = 0
        self._rows_lock = threading.Lock()
        self._carried: collections.deque[_Request] = collections.deque()  # taken but did not fit a batch
        self._threads = [threading.Thread(target=self._work, daemon=True, name=f"tfft-batch-{i}")
                         for i in range(options.num_batch_threads)]
        for thread in self._threads:
            thread.start()

    def __call__(self, inputs: Arrays) -> Arrays:
        rows = len(next(iter(inputs.values())))
        if rows >= self.options.max_batch_size:
            self.on_batch(rows)
            return self.run(inputs)
        with self._rows_lock:
            if self._queued_rows + rows > self.options.max_batch_size * self.options.max_enqueued_batches:
                raise ServingError("UNAVAILABLE", "the batching queue is full; retry later")
            self._queued_rows += rows
        request = _Request(inputs, rows)
        self._queue.put(request)
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request.outputs

    def close(self) -> None:
        """Stops the batch threads once the requests already queued have run."""
        for _ in self._threads:
            self._queue.put(_STOP)

    def _work(self) -> None:
        while True:
            batch = self._collect()
            if batch is None:
                return
            with self._rows_lock:
                self._queued_rows -= sum(r.rows for r in batch)
            self._run_batch(batch)

    def _next(self, timeout: float | None) -> _Request | None:
        try:
            return self._carried.popleft()
        except IndexError:
            pass
        try:
            return self._queue.get(timeout=timeout) if timeout is None or timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return None

    def _collect(self) -> list[_Request] | None:
        first = self._next(None)
        if first is _STOP:
            return None
        batch, rows = [first], first.rows
        deadline = time.monotonic() + self.options.batch_timeout_micros / 1e6
        while rows < self.options.max_batch_size:
            request = self._next(deadline - time.monotonic())
            if request is None:
                break
            if request is _STOP:
                self._queue.put(_STOP)  # this thread runs its batch and stops on its next turn
                break
            if rows + request.rows > self.options.max_batch_size:
                self._carried.append(request)
                break
            batch.append(request)
            rows += request.rows
        return batch

    def _run_batch(self, batch: list[_Request]) -> None:
        try:
            merged = {name: concatenate_padded([r.inputs[name] for r in batch]) for name in batch[0].inputs}
            self.on_batch(len(next(iter(merged.values()))))
            outputs = self.run(merged)
        except BaseException as error:  # every waiting request learns of the failure
            for request in batch:
                request.error = error
                request.done.set()
            return
        start = 0
        for request in batch:
            request.outputs = {name: _rows(value, start, request.rows) for name, value in outputs.items()}
            start += request.rows
            request.done.set()


def _rows(value: np.ndarray, start: int, count: int) -> np.ndarray:
    # Outputs without a batch axis (a scalar, say) are the same for every request.
    return value[start:start + count] if value.ndim else value
