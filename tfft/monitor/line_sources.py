"""Lines of a file, a folder of files or stdin, optionally followed as they grow (``tail -f``).

Example:

>>> for item in stream_lines("incoming/", follow=True):
...     if item is IDLE:      # nothing new for now: a chance to flush work in hand
...         continue
...     print(item.source, item.line, item.text)
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

STREAM_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json")
STDIN = "-"
IDLE = None  # yielded while following and nothing new has arrived
LINES_PER_TURN = 256  # lines read at a time: memory stays bounded however large a file is


@dataclass(frozen=True)
class SourceLine:
    """One complete line (without its line break) and where it came from (1-based line number)."""

    source: str
    line: int
    text: str


class _GrowingFile:
    """A file read line by line; a last line without its line break waits until it is complete."""

    def __init__(self, name: str, handle: BinaryIO):
        self.name, self.handle = name, handle
        self.line, self.partial = 0, b""

    def read(self, limit: int, final: bool) -> list[SourceLine]:
        lines = []
        while len(lines) < limit:
            raw = self.handle.readline()
            if not raw:
                break
            raw, self.partial = self.partial + raw, b""
            if not raw.endswith(b"\n"):
                self.partial = raw
                break
            lines.append(self._line(raw))
        if final and self.partial and len(lines) < limit:
            lines.append(self._line(self.partial))
            self.partial = b""
        return lines

    def _line(self, raw: bytes) -> SourceLine:
        self.line += 1
        text = raw.decode("utf-8-sig" if self.line == 1 else "utf-8", errors="surrogateescape")
        return SourceLine(self.name, self.line, text.rstrip("\r\n"))


def stream_lines(location: str, follow: bool = False, poll_seconds: float = 1.0,
                 should_stop: Callable[[], bool] = lambda: False) -> Iterator[SourceLine | None]:
    """Every line of ``location`` (a file, a folder's stream files in name order, or ``-`` for stdin).

    With ``follow`` it keeps polling for lines appended to the files and for new
    files in the folder, yielding `IDLE` between polls, until ``should_stop()``.
    """
    if location == STDIN:
        yield from _GrowingFile("<stdin>", sys.stdin.buffer).read(sys.maxsize, final=True)
        return
    path = Path(location)
    if not path.exists():
        raise FileNotFoundError(f"{location} does not exist: expected a file, a folder of "
                                f"{'/'.join(STREAM_SUFFIXES)} files, or - for stdin")
    files: dict[Path, _GrowingFile] = {}
    try:
        while not should_stop():
            for name in _stream_files(path):
                if name not in files:
                    files[name] = _GrowingFile(str(name), open(name, "rb"))
            read_any = False
            for growing in files.values():
                while lines := growing.read(LINES_PER_TURN, final=not follow):
                    read_any = True
                    yield from lines
            if not follow:
                return
            if not read_any:
                yield IDLE
                time.sleep(poll_seconds)
    finally:
        for growing in files.values():
            growing.handle.close()


def _stream_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(child for child in path.iterdir() if child.is_file() and child.suffix.lower() in STREAM_SUFFIXES)
