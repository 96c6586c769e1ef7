"""Multi-label consolidation: each label a separate binary (selected / not selected) problem."""

from collections.abc import Iterable, Mapping
from itertools import chain

import numpy as np

from jobs.inference.encoding import INDEX, Answers, Gold


def multilabel_consolidate(
    tasks,
    workers,
    selections,
    *,
    n_labels: int,
    method: str = "dawid-skene",
    gold: Mapping | None = None,
) -> tuple[list[list[int]], np.ndarray]:
    """Consolidate multi-label answers class by class with the named method.

    ``tasks`` and ``workers`` are integer indices per answer; ``selections`` is, per answer,
    an iterable of the label indices the worker selected, or an (n_answers, n_labels)
    boolean array (faster: no conversion). ``gold`` maps a task index to its selected label
    indices.

    Returns per task the sorted selected label indices and an (n_tasks, n_labels) array of the
    confidence of each per-label decision (the posterior of "selected" for a selected label,
    of "not selected" otherwise; 0.0 for a task without answers).
    """
    from jobs.inference import consolidate

    tasks = np.asarray(tasks, dtype=INDEX).reshape(-1)
    workers = np.asarray(workers, dtype=INDEX).reshape(-1)
    if tasks.size == 0:
        raise ValueError("no answers: multi-label consolidation needs at least one answer")
    if workers.size != tasks.size:
        raise ValueError("tasks and workers must have the same length")
    if n_labels < 1:
        raise ValueError("n_labels must be at least 1")
    selected = _selection_matrix(selections, n_answers=tasks.size, n_labels=n_labels)
    gold_tasks, gold_selected = _gold_matrix(gold, n_labels=n_labels)
    n_tasks = int(max(tasks.max(), gold_tasks.max(initial=-1)) + 1)
    n_workers = int(workers.max() + 1)

    chosen = np.zeros((n_tasks, n_labels), dtype=bool)
    confidence = np.zeros((n_tasks, n_labels))
    for label in range(n_labels):
        answers = Answers(
            tasks=tasks,
            workers=workers,
            labels=selected[:, label].astype(INDEX),
            n_tasks=n_tasks,
            n_workers=n_workers,
            n_labels=2,
        )
        label_gold = (
            Gold(tasks=gold_tasks, labels=gold_selected[:, label].astype(INDEX))
            if gold_tasks.size
            else None
        )
        result = consolidate(method, answers, gold=label_gold)
        chosen[:, label] = result.labels == 1
        confidence[:, label] = result.confidence
    task_rows, label_columns = np.nonzero(chosen)
    boundaries = np.cumsum(np.bincount(task_rows, minlength=n_tasks))[:-1]
    per_task = [part.tolist() for part in np.split(label_columns, boundaries)]
    return per_task, confidence


def _selection_matrix(selections, *, n_answers: int, n_labels: int) -> np.ndarray:
    if isinstance(selections, np.ndarray) and selections.ndim == 2:
        if selections.shape != (n_answers, n_labels):
            raise ValueError(
                f"selections must have shape ({n_answers}, {n_labels}), got {selections.shape}"
            )
        return selections.astype(bool)
    rows = list(map(tuple, selections))
    if len(rows) != n_answers:
        raise ValueError(
            f"selections must hold one entry per answer ({n_answers}), got {len(rows)}"
        )
    lengths = np.fromiter(map(len, rows), dtype=INDEX, count=n_answers)
    flat = np.fromiter(chain.from_iterable(rows), dtype=INDEX, count=int(lengths.sum()))
    if flat.size and (flat.min() < 0 or flat.max() >= n_labels):
        raise ValueError(f"selected label indices must lie in 0..{n_labels - 1}")
    matrix = np.zeros((n_answers, n_labels), dtype=bool)
    matrix[np.repeat(np.arange(n_answers), lengths), flat] = True
    return matrix


def _gold_matrix(gold, *, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    if gold is None:
        return np.zeros(0, dtype=INDEX), np.zeros((0, n_labels), dtype=bool)
    tasks = np.fromiter(gold.keys(), dtype=INDEX, count=len(gold))
    if tasks.size and tasks.min() < 0:
        raise ValueError("gold task indices must be non-negative")
    matrix = _selection_matrix(
        [_as_iterable(value) for value in gold.values()], n_answers=tasks.size, n_labels=n_labels
    )
    return tasks, matrix


def _as_iterable(value) -> Iterable:
    if value is None:
        raise ValueError("a multi-label gold task needs its list of selected labels")
    return value
