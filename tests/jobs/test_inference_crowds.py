"""Seeded simulated crowds with known worker confusion matrices, shared by the inference tests
(and a check that the simulation follows its matrices)."""

from dataclasses import dataclass

import numpy as np

from jobs.inference import Answers, Gold


@dataclass(frozen=True)
class SimulatedCrowd:
    answers: Answers
    truth: np.ndarray  # (n_tasks,) true label index
    confusions: np.ndarray  # (n_workers, K, K) true confusion matrices, row = true label

    def gold(self, tasks: np.ndarray) -> Gold:
        return Gold(tasks=tasks, labels=self.truth[tasks])


def honest_matrix(accuracy: float, n_labels: int) -> np.ndarray:
    matrix = np.full((n_labels, n_labels), (1.0 - accuracy) / (n_labels - 1))
    np.fill_diagonal(matrix, accuracy)
    return matrix


def biased_matrix(bias: float, n_labels: int, *, towards: int = 0) -> np.ndarray:
    """Answers ``towards`` with probability ``bias`` whatever the truth, else uniformly."""
    matrix = np.full((n_labels, n_labels), (1.0 - bias) / (n_labels - 1))
    matrix[:, towards] = bias
    return matrix


def simulate(
    confusions: np.ndarray,
    *,
    n_tasks: int,
    per_task: int,
    seed: int,
    priors: np.ndarray | None = None,
) -> SimulatedCrowd:
    """Each task answered by ``per_task`` distinct random workers following their matrices."""
    rng = np.random.default_rng(seed)
    n_workers, n_labels, _ = confusions.shape
    priors = np.full(n_labels, 1.0 / n_labels) if priors is None else priors
    truth = rng.choice(n_labels, size=n_tasks, p=priors)
    # Distinct workers per task: the first per_task of a random permutation per task.
    workers = np.argsort(rng.random((n_tasks, n_workers)), axis=1)[:, :per_task].reshape(-1)
    tasks = np.repeat(np.arange(n_tasks), per_task)
    cumulative = confusions.cumsum(axis=2)[workers, truth[tasks]]
    labels = (rng.random(tasks.size)[:, None] > cumulative).sum(axis=1)
    labels = np.minimum(labels, n_labels - 1)
    answers = Answers(
        tasks=tasks,
        workers=workers,
        labels=labels,
        n_tasks=n_tasks,
        n_workers=n_workers,
        n_labels=n_labels,
    )
    return SimulatedCrowd(answers=answers, truth=truth, confusions=confusions)


def accuracy(predicted: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None) -> float:
    mask = np.ones(truth.size, dtype=bool) if mask is None else mask
    return float(np.mean(predicted[mask] == truth[mask]))


def test_simulated_answers_follow_the_workers_matrices():
    confusions = np.stack([honest_matrix(0.8, 3), biased_matrix(0.7, 3)])
    crowd = simulate(confusions, n_tasks=6000, per_task=2, seed=3)
    answers = crowd.answers
    for worker in range(2):
        mine = answers.workers == worker
        empirical = np.zeros((3, 3))
        np.add.at(empirical, (crowd.truth[answers.tasks[mine]], answers.labels[mine]), 1)
        empirical /= empirical.sum(axis=1, keepdims=True)
        assert np.abs(empirical - confusions[worker]).max() < 0.03
    # Two distinct workers per task.
    assert np.all(answers.workers[0::2] != answers.workers[1::2])
