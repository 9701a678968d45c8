"""The explained scores of a `tfft explain` record, each with a title, for the terminal, HTML, PNG and TensorBoard.

A classifier's record is one explained score (its fields flat in the record);
a NER record lists one per entity under ``entities``.

Example:

>>> [title for title, _ in explained_items(record)]
["PER 'Angela Merkel' (0.934)", "LOC 'Paris' (0.951)"]
"""

from __future__ import annotations


def item_title(item: dict) -> str:
    if "type" in item:  # an entity
        return f"{item['type']} '{item['text']}' ({item['probability']:.3f})"
    title = f"label {item['label']} ({item['probability']:.3f})"
    if item.get("explained_label", item["label"]) != item["label"]:
        title += f" · explained: {item['explained_label']}"
    return title


def explained_items(record: dict) -> list[tuple[str, dict]]:
    """(title, explained score) pairs of one record, in order."""
    if "words" in record:
        return [(item_title(record), record)]
    return [(item_title(item), item) for item in record.get("entities", [])]
