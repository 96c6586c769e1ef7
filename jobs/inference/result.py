"""The result every consolidation method returns, and the array layout the methods share."""

from dataclasses import dataclass

import numpy as np

from jobs.inference.encoding import INDEX, Answers, Gold

# Two posteriors closer than this count as a tie, broken toward the lowest label index, so the
# chosen label does not depend on the order in which floating-point sums were taken.
TIE_TOLERANCE = 1e-9


@dataclass
class Result:
    """Consolidated labels: per task the label, its posterior and the whole posterior, plus the
    worker model the method estimated."""

    labels: np.ndarray  # (n_tasks,) int, -1 for a task with no answer (and no gold)
    confidence: np.ndarray  # (n_tasks,) posterior of the chosen label, 0.0 without a label
    posteriors: np.ndarray  # (n_tasks, n_labels), rows sum to 1, uniform without an answer
    skills: np.ndarray  # (n_workers,) estimated accuracy of each worker
    confusions: np.ndarray | None  # (n_workers, n_labels, n_labels), Dawid-Skene only
    priors: np.ndarray  # (n_labels,)
    iterations: int


class Layout:
    """The answers sorted by task once, with what every method needs: the answered tasks, where
    each one's answers start, and each answer's compact task position."""

    def __init__(self, answers: Answers):
        if answers.n_answers == 0:
            raise ValueError(
                "no answers: truth inference needs at least one (task, worker, label) answer"
            )
        self.answers = answers
        tasks = answers.tasks
        if np.all(tasks[1:] >= tasks[:-1]):
            workers, labels = answers.workers, answers.labels
        else:
            # Any order within a task will do: ties are decided with a tolerance.
            order = np.argsort(tasks)
            tasks, workers, labels = tasks[order], answers.workers[order], answers.labels[order]
        starts_mask = np.empty(tasks.size, dtype=bool)
        starts_mask[0] = True
        np.not_equal(tasks[1:], tasks[:-1], out=starts_mask[1:])
        self.starts = np.flatnonzero(starts_mask)
        self.answered = tasks[self.starts]  # task index of each compact position
        self.per_task = np.diff(np.append(self.starts, tasks.size))
        self.positions = np.cumsum(starts_mask) - 1  # compact task position of each answer
        self.workers = workers
        self.labels = labels
        self.n_labels = answers.n_labels
        self.n_workers = answers.n_workers
        self.n_tasks = answers.n_tasks
        self.n_answered = self.starts.size
        compact = np.full(answers.n_tasks, -1, dtype=INDEX)
        compact[self.answered] = np.arange(self.n_answered, dtype=INDEX)
        self.compact = compact

    def counts(self, weights: np.ndarray | None = None) -> np.ndarray:
        """(n_labels, n_answered) votes per label and answered task, optionally weighted."""
        counts = np.empty((self.n_labels, self.n_answered))
        for label in range(self.n_labels):
            chosen = self.labels == label
            votes = chosen.astype(np.float64) if weights is None else np.where(chosen, weights, 0.0)
            counts[label] = np.add.reduceat(votes, self.starts)
        return counts

    def gold_positions(self, gold: Gold | None) -> tuple[np.ndarray, np.ndarray]:
        """Compact positions and labels of the answered gold tasks."""
        if gold is None or gold.tasks.size == 0:
            empty = np.zeros(0, dtype=INDEX)
            return empty, empty
        gold.checked(self.answers)
        positions = self.compact[gold.tasks]
        keep = positions >= 0
        return positions[keep], gold.labels[keep]


def clamp(posteriors: np.ndarray, positions: np.ndarray, labels: np.ndarray) -> None:
    """Set the (n_labels, n_answered) posteriors of gold tasks to one-hot, in place."""
    if positions.size:
        posteriors[:, positions] = 0.0
        posteriors[labels, positions] = 1.0


def argmax_lowest(posteriors: np.ndarray) -> np.ndarray:
    """Per column of a (n_labels, n) array the row of the maximum, the lowest row on a tie."""
    best = posteriors.max(axis=0)
    return np.argmax(posteriors >= best - TIE_TOLERANCE, axis=0).astype(INDEX)


def softmax_columns(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalise (n_labels, n) log-scores per column in log space with max-subtraction, in
    place; returns (probabilities, per-column log normaliser)."""
    top = scores.max(axis=0)
    np.subtract(scores, top, out=scores)
    np.exp(scores, out=scores)
    total = scores.sum(axis=0)
    scores /= total
    return scores, np.log(total) + top


def finish(
    layout: Layout,
    posteriors: np.ndarray,
    *,
    gold: Gold | None,
    skills: np.ndarray,
    priors: np.ndarray,
    confusions: np.ndarray | None = None,
    iterations: int = 0,
) -> Result:
    """Build the Result from (n_labels, n_answered) posteriors: full-size arrays, gold clamped
    (also for gold tasks nobody answered), unanswered tasks uniform with label -1."""
    n_labels, n_tasks = layout.n_labels, layout.n_tasks
    full = np.full((n_tasks, n_labels), 1.0 / n_labels)
    full[layout.answered] = posteriors.T
    labels = np.full(n_tasks, -1, dtype=INDEX)
    labels[layout.answered] = argmax_lowest(posteriors)
    if gold is not None and gold.tasks.size:
        full[gold.tasks] = 0.0
        full[gold.tasks, gold.labels] = 1.0
        labels[gold.tasks] = gold.labels
    confidence = np.zeros(n_tasks)
    labelled = labels >= 0
    confidence[labelled] = full[labelled, labels[labelled]]
    return Result(
        labels=labels,
        confidence=confidence,
        posteriors=full,
        skills=np.asarray(skills, dtype=np.float64),
        confusions=confusions,
        priors=np.asarray(priors, dtype=np.float64),
        iterations=int(iterations),
    )


def agreement_skills(layout: Layout, chosen: np.ndarray) -> np.ndarray:
    """Each worker's share of answers equal to the chosen label of the task (compact labels);
    0.0 for a worker without answers."""
    matched = layout.labels == chosen[layout.positions]
    answered = np.bincount(layout.workers, minlength=layout.n_workers)
    agreed = np.bincount(layout.workers[matched], minlength=layout.n_workers)
    skills = np.zeros(layout.n_workers)
    np.divide(agreed, answered, out=skills, where=answered > 0)
    return skills
