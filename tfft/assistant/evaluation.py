"""An assistant export scored on labelled messages: its own hand-off decisions, as served.

Example:

>>> messages = read_labelled_messages("test.csv", "text", "intent", "answer_id")
>>> evaluate_assistant(Path("saved_models/customer-service"), messages)["out_of_scope_recall"]
85.0
"""

from __future__ import annotations

from pathlib import Path

from tfft.assistant.assistant_module import TEXT
from tfft.assistant.labelled_messages import LabelledMessages
from tfft.evaluation.handoff_metrics import handoff_metrics
from tfft.export.loaded import LoadedExport
from tfft.retrieval.search_index import indexed_ids


def evaluate_assistant(path: Path, messages: LabelledMessages) -> dict[str, float]:
    """In-scope accuracy, out-of-scope recall / precision (and answer accuracy) of the export's answers."""
    assistant = LoadedExport(path)
    metadata = assistant.metadata
    messages.check_known(set(metadata["labels"]), metadata["out_of_scope"],
                         indexed_ids(assistant.module.index), str(assistant.path))
    served = assistant.predict({TEXT: messages.texts})
    return handoff_metrics(messages.intents, [i.decode("utf-8") for i in served["intent"]], served["handoff"],
                           metadata["out_of_scope"], messages.answer_ids,
                           [a.decode("utf-8") for a in served["answer_id"]] if messages.answer_ids else None)
