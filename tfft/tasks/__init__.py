"""Task modules. Each plugs into the shared data, training and export machinery.

Example:

>>> task = make_task("classification", {"multi_label": True}, DataConfig())
"""

from __future__ import annotations

from typing import Any

from tfft.config import DataConfig
from tfft.tasks.base import Report, Task
from tfft.tasks.classification.task import ClassificationTask
from tfft.tasks.embedding.task import EmbeddingTask
from tfft.tasks.generation.task import GenerationTask
from tfft.tasks.prompt_classification.task import PromptClassificationTask
from tfft.tasks.question_answering.task import QuestionAnsweringTask
from tfft.tasks.relation_extraction.task import RelationExtractionTask
from tfft.tasks.token_classification.task import TokenClassificationTask

TASKS: dict[str, type[Task]] = {
    ClassificationTask.name: ClassificationTask,
    PromptClassificationTask.name: PromptClassificationTask,
    TokenClassificationTask.name: TokenClassificationTask,
    "ner": TokenClassificationTask,
    RelationExtractionTask.name: RelationExtractionTask,
    QuestionAnsweringTask.name: QuestionAnsweringTask,
    GenerationTask.name: GenerationTask,
    EmbeddingTask.name: EmbeddingTask,
}


def make_task(name: str, options: dict[str, Any] | None, data: DataConfig) -> Task:
    if name not in TASKS:
        raise ValueError(f"unknown task '{name}'; expected one of {sorted(TASKS)}")
    return TASKS[name](options, data)


__all__ = ["Report", "Task", "TASKS", "make_task"]
