"""The task-type registry: every task type by its key. A new type is a new module in this
package and one line in REGISTRY."""

from jobs.tasktypes.base import TaskType
from jobs.tasktypes.image_classification import ImageClassification
from jobs.tasktypes.label_adjustment import LabelAdjustment
from jobs.tasktypes.label_verification import LabelVerification
from jobs.tasktypes.text_classification import TextClassification
from marketplace.exceptions import InvalidInput

REGISTRY: dict[str, TaskType] = {
    task_type.key: task_type
    for task_type in (
        ImageClassification(),
        TextClassification(),
        LabelVerification(),
        LabelAdjustment(),
    )
}


def task_type_get(key: str) -> TaskType:
    """The registered task type for `key`; InvalidInput on "task_type" naming the known keys."""
    task_type = REGISTRY.get(key) if isinstance(key, str) else None
    if task_type is None:
        known = ", ".join(f'"{name}"' for name in REGISTRY)
        raise InvalidInput(
            fields={"task_type": [f'Unknown task type "{key}". Known task types: {known}.']}
        )
    return task_type


def task_type_choices() -> list[tuple[str, str]]:
    """(key, name) pairs for form and serializer choice fields, in registry order."""
    return [(task_type.key, task_type.name) for task_type in REGISTRY.values()]
