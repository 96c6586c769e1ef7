"""Integer-coded answers and gold for truth inference, and `encode` from arbitrary ids."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

INDEX = np.intp


def _index_array(values, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional array, got shape {array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=INDEX)
    if not np.issubdtype(array.dtype, np.integer):
        if np.issubdtype(array.dtype, np.floating) and np.all(np.mod(array, 1) == 0):
            return array.astype(INDEX)
        raise ValueError(f"{name} must hold integer indices, got dtype {array.dtype}")
    return array.astype(INDEX, copy=False)


def _check_range(array: np.ndarray, size: int, name: str, size_name: str) -> None:
    if array.size and (array.min() < 0 or array.max() >= size):
        raise ValueError(
            f"{name} must lie in 0..{size_name}-1 ({size - 1}), "
            f"got values from {array.min()} to {array.max()}"
        )


@dataclass(frozen=True)
class Answers:
    """One row per answer: task, worker and label indices, and the sizes of the three spaces."""

    tasks: np.ndarray
    workers: np.ndarray
    labels: np.ndarray
    n_tasks: int
    n_workers: int
    n_labels: int

    def __post_init__(self):
        tasks = _index_array(self.tasks, "tasks")
        workers = _index_array(self.workers, "workers")
        labels = _index_array(self.labels, "labels")
        if not (tasks.size == workers.size == labels.size):
            raise ValueError(
                "tasks, workers and labels must have the same length, got "
                f"{tasks.size}, {workers.size} and {labels.size}"
            )
        for size, size_name in (
            (self.n_tasks, "n_tasks"),
            (self.n_workers, "n_workers"),
            (self.n_labels, "n_labels"),
        ):
            if int(size) != size or size < 0:
                raise ValueError(f"{size_name} must be a non-negative integer, got {size!r}")
        if self.n_labels < 1:
            raise ValueError("n_labels must be at least 1")
        _check_range(tasks, self.n_tasks, "tasks", "n_tasks")
        _check_range(workers, self.n_workers, "workers", "n_workers")
        _check_range(labels, self.n_labels, "labels", "n_labels")
        object.__setattr__(self, "tasks", tasks)
        object.__setattr__(self, "workers", workers)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "n_tasks", int(self.n_tasks))
        object.__setattr__(self, "n_workers", int(self.n_workers))
        object.__setattr__(self, "n_labels", int(self.n_labels))

    @property
    def n_answers(self) -> int:
        return int(self.tasks.size)


@dataclass(frozen=True)
class Gold:
    """Known true labels of some tasks (task indices and label indices, one row per task)."""

    tasks: np.ndarray
    labels: np.ndarray

    def __post_init__(self):
        tasks = _index_array(self.tasks, "gold tasks")
        labels = _index_array(self.labels, "gold labels")
        if tasks.size != labels.size:
            raise ValueError(
                f"gold tasks and labels must have the same length, got {tasks.size} and "
                f"{labels.size}"
            )
        if tasks.size:
            order = np.argsort(tasks, kind="stable")
            sorted_tasks, sorted_labels = tasks[order], labels[order]
            same_task = sorted_tasks[1:] == sorted_tasks[:-1]
            if np.any(same_task & (sorted_labels[1:] != sorted_labels[:-1])):
                duplicate = sorted_tasks[1:][same_task][0]
                raise ValueError(f"gold task {duplicate} is given two different labels")
        object.__setattr__(self, "tasks", tasks)
        object.__setattr__(self, "labels", labels)

    def checked(self, answers: Answers) -> "Gold":
        """This gold, after checking that it fits the answers' task and label spaces."""
        _check_range(self.tasks, answers.n_tasks, "gold tasks", "n_tasks")
        _check_range(self.labels, answers.n_labels, "gold labels", "n_labels")
        return self


def _code_first_seen(values) -> tuple[np.ndarray, list]:
    """Codes 0..n-1 numbered in order of first appearance, and the distinct values in that order."""
    array = _as_id_array(values)
    if array.size == 0:
        return np.zeros(0, dtype=INDEX), []
    try:
        distinct, first, inverse = np.unique(array, return_index=True, return_inverse=True)
    except TypeError:
        # Ids of mixed types that do not sort together: number them through a dict.
        mapping: dict = {}
        codes = np.fromiter(
            map(lambda value: mapping.setdefault(value, len(mapping)), array.tolist()),
            dtype=INDEX,
            count=array.size,
        )
        return codes, list(mapping)
    order = np.argsort(first, kind="stable")
    rank = np.empty(order.size, dtype=INDEX)
    rank[order] = np.arange(order.size, dtype=INDEX)
    return rank[inverse.reshape(-1)], distinct[order].tolist()


def _as_id_array(values) -> np.ndarray:
    if isinstance(values, np.ndarray):
        array = values
    else:
        values = values if isinstance(values, list | tuple) else list(values)
        array = np.fromiter(values, dtype=object, count=len(values))
        kinds = set(map(type, values))
        if len(kinds) == 1 and kinds <= {str, int}:
            try:
                array = np.asarray(values)
            except (TypeError, ValueError, OverflowError):
                pass
    if array.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {array.shape}")
    return array


def encode(
    tasks: Iterable,
    workers: Iterable,
    labels: Iterable,
    *,
    label_names: Iterable | None = None,
    gold: Mapping | None = None,
) -> tuple[Answers, Gold | None, list, list, list]:
    """Any hashable ids -> (answers, gold, task_names, worker_names, label_names).

    Tasks and workers are numbered in order of first appearance. ``label_names`` fixes the
    label order (default: the sorted distinct labels of the answers and of the gold). ``gold``
    maps a task id to its true label; gold tasks without answers are added as tasks after the
    answered ones.
    """
    task_codes, task_names = _code_first_seen(tasks)
    worker_codes, worker_names = _code_first_seen(workers)
    label_first_seen, distinct_labels = _code_first_seen(labels)
    if not (task_codes.size == worker_codes.size == label_first_seen.size):
        raise ValueError(
            "tasks, workers and labels must have the same length, got "
            f"{task_codes.size}, {worker_codes.size} and {label_first_seen.size}"
        )
    if task_codes.size == 0:
        raise ValueError("no answers: truth inference needs at least one (task, worker, label)")
    gold = dict(gold or {})
    if any(label is None for label in gold.values()):
        missing = next(task for task, label in gold.items() if label is None)
        raise ValueError(f"gold task {missing!r} has no label")

    if label_names is None:
        distinct = set(distinct_labels) | set(gold.values())
        try:
            names = sorted(distinct)
        except TypeError:
            names = sorted(distinct, key=repr)
    else:
        names = list(label_names)
        if len(set(names)) != len(names):
            raise ValueError("label_names must not repeat a label")
        if not names:
            raise ValueError("label_names must name at least one label")
    label_index = {name: index for index, name in enumerate(names)}

    unknown = [value for value in distinct_labels if value not in label_index]
    if unknown:
        raise ValueError(f"answers use labels that are not in label_names: {unknown[:10]!r}")
    lookup = np.array([label_index[value] for value in distinct_labels], dtype=INDEX)
    label_codes = lookup[label_first_seen]

    gold_result = None
    if gold:
        unknown_gold = sorted({repr(label) for label in gold.values() if label not in label_index})
        if unknown_gold:
            raise ValueError(f"gold uses labels that are not in label_names: {unknown_gold[:10]}")
        task_index = {name: index for index, name in enumerate(task_names)}
        gold_tasks = []
        for task in gold:
            if task not in task_index:
                task_index[task] = len(task_names)
                task_names.append(task)
            gold_tasks.append(task_index[task])
        gold_result = Gold(
            tasks=np.asarray(gold_tasks, dtype=INDEX),
            labels=np.asarray([label_index[label] for label in gold.values()], dtype=INDEX),
        )

    answers = Answers(
        tasks=task_codes,
        workers=worker_codes,
        labels=label_codes,
        n_tasks=len(task_names),
        n_workers=len(worker_names),
        n_labels=len(names),
    )
    return answers, gold_result, task_names, worker_names, names
