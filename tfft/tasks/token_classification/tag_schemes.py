"""Read BIO (IOB2), IOB1 and IOBES tag sequences as entity spans over words.

One lenient reading serves BIO and IOB1: ``B-X`` always starts an entity and
``I-X`` continues an entity of type X or else starts one (IOB1's rule, and
how conlleval reads a stray ``I-`` in BIO). IOBES adds ``S-X`` (a one-word
entity) and ``E-X`` (the last word). Tags are checked first: an unknown
prefix is an error for the caller to report with its line.

Example:

>>> tags_to_spans(["B-PER", "I-PER", "O", "B-LOC"], "BIO")
[(0, 2, 'PER'), (3, 4, 'LOC')]
"""

from __future__ import annotations

SCHEMES = {"BIO": "BI", "IOB2": "BI", "IOB1": "BI", "IOBES": "BIES", "BILOU": "BILU"}
OUTSIDE = "O"


def check_tag(tag: str, scheme: str) -> str | None:
    """Why ``tag`` is not valid in ``scheme`` (None when it is)."""
    if tag == OUTSIDE:
        return None
    prefixes = SCHEMES[scheme.upper()]
    prefix, dash, kind = tag.partition("-")
    if not dash or not kind or prefix not in prefixes:
        allowed = ", ".join(f"{p}-<type>" for p in prefixes)
        return f"tag '{tag}' is not O or {allowed} ({scheme} scheme)"
    return None


def tags_to_spans(tags: list[str], scheme: str) -> list[tuple[int, int, str]]:
    """Entities as ``(first word, last word + 1, type)``."""
    scheme = scheme.upper()
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tag scheme '{scheme}'; expected one of {sorted(SCHEMES)}")
    spans: list[tuple[int, int, str]] = []
    start, kind = None, None

    def close(end: int) -> None:
        nonlocal start, kind
        if start is not None:
            spans.append((start, end, kind))
        start, kind = None, None

    for index, tag in enumerate(tags):
        if tag == OUTSIDE:
            close(index)
            continue
        prefix, _, tag_kind = tag.partition("-")
        prefix = {"L": "E", "U": "S"}.get(prefix, prefix)  # BILOU spelling of IOBES
        if prefix in ("B", "S") or start is None or tag_kind != kind:
            close(index)
            start, kind = index, tag_kind
        if prefix in ("E", "S"):
            close(index + 1)
    close(len(tags))
    return spans
