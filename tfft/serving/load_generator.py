"""A load test for a TF Serving REST endpoint: N concurrent clients, valid and malformed requests.

Each client keeps one HTTP connection and loops until the time is up, sending
a valid one-row predict request, and every ``malformed_every``-th time a
malformed one drawn from a seeded fuzzer. A valid request must get 200 with
one prediction; a malformed one must get a 4xx with a JSON ``error``.

Example:

>>> result = run_load("http://127.0.0.1:8501", "intents", ["where is my parcel?"], clients=32, seconds=60)
>>> result.valid_failed, result.malformed_5xx, result.rows_per_second
(0, 0, 412.5)
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field

import numpy as np


def malformed_bodies(seed: int, text: str = "hello") -> list[tuple[str, bytes]]:
    """(path suffix, body) pairs a server must refuse with 4xx; seeded random mutations included."""
    rng = random.Random(seed)
    valid = json.dumps({"instances": [text]}).encode()
    fixed = [
        (":predict", b""), (":predict", b"{"), (":predict", b"null"), (":predict", b"[]"), (":predict", b"42"),
        (":predict", b'{"instances": []}'), (":predict", b'{"instances": [1, 2]}'),
        (":predict", b'{"instances": [null]}'), (":predict", b'{"inputs": {"nope": ["a"]}}'),
        (":predict", b'{"instances": ["a"], "inputs": ["b"]}'), (":predict", b'{"instances": [["a"], ["b"]]}'),
        (":predict", b'{"instances": [{"b64": "***"}]}'), (":predict", b'{"instances": ["a"], "signature_name": 3}'),
        (":predict", b'{"instances": ["a"], "signature_name": "nope"}'), (":predict", b"\xff\xfe\x00garbage"),
        (":predict", b"[" * 100000), ("/versions/999:predict", valid), ("/labels/nope:predict", valid),
        (":classify", valid), (":explode", valid), ("/metadata", valid),
    ]
    mutated = []
    for _ in range(40):
        body = bytearray(valid)
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(body))
            body[position] = rng.choice(b'{}[]":,\\\x00\xff0a ')
        if json_ok(bytes(body)):
            continue  # a mutation can still be a valid request; only keep refusals
        mutated.append((":predict", bytes(body)))
    return fixed + mutated


def json_ok(body: bytes) -> bool:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    instances = document.get("instances") if isinstance(document, dict) else None
    return isinstance(instances, list) and bool(instances) and all(isinstance(i, str) for i in instances)


@dataclass
class LoadResult:
    clients: int
    seconds: float
    valid_sent: int = 0
    valid_failed: int = 0
    malformed_sent: int = 0
    malformed_4xx: int = 0
    malformed_5xx: int = 0
    malformed_other: int = 0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    failures: list[str] = field(default_factory=list, repr=False)

    @property
    def rows_per_second(self) -> float:
        return (self.valid_sent - self.valid_failed) / self.seconds

    def summary(self) -> dict:
        figures = {k: v for k, v in asdict(self).items() if k not in ("latencies_ms", "failures")}
        latencies = np.array(self.latencies_ms or [0.0])
        return {**figures, "rows_per_second": round(self.rows_per_second, 1),
                "latency_p50_ms": round(float(np.percentile(latencies, 50)), 1),
                "latency_p99_ms": round(float(np.percentile(latencies, 99)), 1),
                "failures": self.failures[:5]}


def run_load(url: str, model: str, texts: list[str], clients: int = 32, seconds: float = 60.0,
             malformed_every: int = 10, seed: int = 0, timeout: float = 60.0) -> LoadResult:
    """Runs the load and returns what every request got."""
    result = LoadResult(clients, seconds)
    lock = threading.Lock()
    fuzz = malformed_bodies(seed, texts[0])
    address = urllib.parse.urlsplit(url)
    base = f"{address.path.rstrip('/')}/v1/models/{model}"
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = KeepAliveConnection(address.hostname, address.port, timeout)
        rng, sent = random.Random(seed + index), 0
        while time.monotonic() < deadline:
            sent += 1
            if malformed_every and sent % malformed_every == 0:
                suffix, body = rng.choice(fuzz)
                _malformed(connection, base + suffix, body, result, lock)
            else:
                _valid(connection, f"{base}:predict", rng.choice(texts), result, lock)
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - start
    return result


class KeepAliveConnection:
    """One client's HTTP/1.1 connection, reopened when the server closes it.

    The standard library's ``http.client`` rather than ``requests``: on a small
    machine the load generator shares the cores with the server, and each
    request through ``requests`` costs several times the client CPU.
    """

    def __init__(self, host: str, port: int | None, timeout: float):
        self.host, self.port, self.timeout = host, port, timeout
        self._connection: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """(status, body) of one POST; a kept-alive connection the server dropped is retried once, fresh."""
        reused = self._connection is not None
        try:
            return self._post(path, body)
        except TimeoutError:  # the server may still be working on it: never send it twice
            self.close()
            raise
        except (http.client.HTTPException, OSError):
            self.close()
            if not reused:
                raise
            return self._post(path, body)

    def _post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self._connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = self._connection.getresponse()
        data = response.read()
        if response.will_close:
            self.close()
        return response.status, data

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _valid(connection: KeepAliveConnection, path: str, text: str, result: LoadResult, lock) -> None:
    start = time.perf_counter()
    try:
        status, data = connection.post(path, json.dumps({"instances": [text]}).encode())
        ok = status == 200 and len(json.loads(data)["predictions"]) == 1
        problem = None if ok else f"{status} {data[:120]!r}"
    except (http.client.HTTPException, OSError, ValueError, KeyError, TypeError) as error:
        problem = f"{type(error).__name__}: {error}"
    with lock:
        result.valid_sent += 1
        if problem:
            result.valid_failed += 1
            result.failures.append(problem)
        else:
            result.latencies_ms.append((time.perf_counter() - start) * 1000)


def _malformed(connection: KeepAliveConnection, path: str, body: bytes, result: LoadResult, lock) -> None:
    try:
        status, data = connection.post(path, body)
        answer = json.loads(data)
        has_error = isinstance(answer, dict) and "error" in answer
    except (http.client.HTTPException, OSError, ValueError) as error:
        status, data, has_error = 0, b"", False
        with lock:
            result.failures.append(f"malformed {body[:40]!r}: {type(error).__name__}")
    with lock:
        result.malformed_sent += 1
        if 400 <= status < 500 and has_error:
            result.malformed_4xx += 1
        elif status >= 500:
            result.malformed_5xx += 1
            result.failures.append(f"malformed {body[:40]!r} -> {status} {data[:120]!r}")
        else:
            result.malformed_other += 1
