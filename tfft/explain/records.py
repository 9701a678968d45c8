"""The explained scores of a `tfft explain` record, each with a title, for the terminal, HTML, PNG and TensorBoard.

A classifier's record is one explained score (its fields flat in the record);
a NER record lists one per entity under ``entities``, a QA record the answer's
start and end under ``answer_boundaries``.

Example:

>>> [title for title, _ in explained_items(record)]
["PER 'Angela Merkel' (0.934)", "LOC 'Paris' (0.951)"]
"""

from __future__ import annotations


def item_title(item: dict) -> str:
    if "type" in item:  # an entity
        return f"{item['type']} '{item['text']}' ({item['probability']:.3f})"
    if "target" in item:  # an answer's start or end
        return f"answer {item['target']} '{item['token']}' ({item['score']:.3f})"
    title = f"label {item['label']} ({item['probability']:.3f})"
    if item.get("explained_label", item["label"]) != item["label"]:
        title += f" · explained: {item['explained_label']}"
    return title


LISTS = ("entities", "answer_boundaries")  # where a record lists several explained scores


def explained_items(record: dict) -> list[tuple[str, dict]]:
    """(title, explained score) pairs of one record, in order."""
    if "words" in record:
        return [(item_title(record), record)]
    return [(item_title(item), item) for key in LISTS for item in record.get(key, [])]


def heading(record: dict) -> str:
    """The example's text(s) on one line."""
    names = record["input_names"]
    return record[names[0]] if len(names) == 1 else " | ".join(f"{name}: {record[name]}" for name in names)


def texts_and_words(record: dict, item: dict) -> list[tuple[str, list[dict]]]:
    """(text, its words) for each input of the example, in order: one for a single text."""
    return [(record[name], [w for w in item["words"] if w.get("part", name) == name])
            for name in record["input_names"]]


def ranked_words(words: list[dict]) -> list[int]:
    """Indices of ``words``, the most supporting (highest attribution) first."""
    return sorted(range(len(words)), key=lambda i: -words[i]["attribution"])
