"""A seeded crowd simulator for the consolidation benchmark: workers with known confusion
matrices answer tasks with known labels, and the Bayes-optimal labels from the true model.

Four crowds (``CROWDS``): mixed skill, spammers, workers biased to one class, and hard
objects. Every crowd holds a gold share of tasks (``gold_tasks``); "with gold" means those
labels are handed to the methods, "without gold" that they are not; accuracy is always
measured on the other tasks, so both variants are scored on the same tasks.

The worker model: worker ``w`` answers ``a`` to a task whose true label is ``t`` with
probability ``confusions[w, t, a]``. On a hard object (hard-objects crowd only) each worker
first, with probability ``HARD_CONFUSION``, answers the class that the true class is
confused with (``confuser[t]``), and otherwise follows its confusion matrix. The
Bayes-optimal label of a task is the argmax over ``t`` of the prior times the likelihood of
its answers under exactly this model (hardness marginalised out), the best any method can do
from the answers alone.
"""

from dataclasses import dataclass, field

import numpy as np

# Crowd name -> how it is built. ``overlap`` is the number of distinct workers per task.
CROWDS = {
    "mixed-skill": {"n_labels": 3, "overlap": 3},
    "spammers": {"n_labels": 2, "overlap": 5},
    "biased": {"n_labels": 4, "overlap": 5},
    "hard-objects": {"n_labels": 5, "overlap": 5},
}
ACCURACY_RANGE = (0.55, 0.95)
SPAMMER_SHARE = 0.25
BIASED_SHARE = 0.30
# A biased worker answers class 0 with a probability in this range, whatever the truth.
BIAS_STRENGTH = (0.5, 0.8)
HARD_SHARE = 0.15
HARD_CONFUSION = 0.6
GOLD_SHARE = 0.02
# No worker takes more than this share of all answers (keeps distinct workers per task drawable).
MAX_ACTIVITY_SHARE = 0.02


@dataclass(frozen=True)
class Crowd:
    """One simulated crowd: its answers (integer-coded, one row per answer), the truth and the
    true worker model."""

    name: str
    n_tasks: int
    n_workers: int
    n_labels: int
    tasks: np.ndarray
    workers: np.ndarray
    labels: np.ndarray
    truth: np.ndarray  # (n_tasks,)
    priors: np.ndarray  # (n_labels,)
    confusions: np.ndarray  # (n_workers, n_labels, n_labels), row = true label
    kinds: np.ndarray  # (n_workers,) "honest", "spammer" or "biased"
    activity: np.ndarray  # (n_workers,) probability of being drawn for a task
    gold_tasks: np.ndarray  # task indices whose labels a "with gold" run receives
    hard_share: float = 0.0
    confuser: np.ndarray | None = None  # (n_labels,) the class each class is confused with
    hard: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # (n_tasks,)

    @property
    def n_answers(self) -> int:
        return int(self.tasks.size)

    @property
    def gold_labels(self) -> np.ndarray:
        return self.truth[self.gold_tasks]

    @property
    def scored(self) -> np.ndarray:
        """Boolean mask of the tasks accuracy is measured on (the non-gold ones)."""
        mask = np.ones(self.n_tasks, dtype=bool)
        mask[self.gold_tasks] = False
        return mask

    def accuracy(self, predicted: np.ndarray) -> float:
        """Share of non-gold tasks whose predicted label is the true one."""
        mask = self.scored
        return float(np.mean(np.asarray(predicted)[mask] == self.truth[mask]))


def simulate(name: str, *, n_answers: int, seed: int, n_workers: int | None = None) -> Crowd:
    """The crowd ``name`` (a key of CROWDS) with about ``n_answers`` answers, reproducible from
    ``seed``."""
    spec = CROWDS[name]
    n_labels, overlap = spec["n_labels"], spec["overlap"]
    rng = np.random.default_rng(seed)
    n_tasks = max(n_answers // overlap, 1)
    if n_workers is None:
        n_workers = int(np.clip(n_answers // 100, 50, 4000))
    priors = rng.dirichlet(np.full(n_labels, 4.0))
    truth = rng.choice(n_labels, size=n_tasks, p=priors)

    confusions = honest_confusions(rng, n_workers=n_workers, n_labels=n_labels)
    kinds = np.full(n_workers, "honest", dtype=object)
    if name == "spammers":
        spammers = rng.random(n_workers) < SPAMMER_SHARE
        confusions[spammers] = 1.0 / n_labels
        kinds[spammers] = "spammer"
    elif name == "biased":
        biased = rng.random(n_workers) < BIASED_SHARE
        strength = rng.uniform(*BIAS_STRENGTH, size=int(biased.sum()))[:, None, None]
        toward_zero = np.zeros((1, n_labels, n_labels))
        toward_zero[..., 0] = 1.0
        confusions[biased] = strength * toward_zero + (1 - strength) * confusions[biased]
        kinds[biased] = "biased"

    activity = skewed_activity(rng, n_workers=n_workers)
    if name == "spammers":
        # Spammers spend no effort per task, so they are among the most prolific (Ipeirotis 2010).
        activity = np.where(kinds == "spammer", activity * 2.0, activity)
        activity = cap_activity(activity)
    tasks, workers = assign_workers(rng, n_tasks=n_tasks, overlap=overlap, activity=activity)

    hard_share, confuser, hard = 0.0, None, np.zeros(n_tasks, dtype=bool)
    if name == "hard-objects":
        hard_share = HARD_SHARE
        confuser = derangement(rng, n_labels)
        hard = rng.random(n_tasks) < hard_share
    labels = draw_answers(
        rng,
        true_labels=truth[tasks],
        workers=workers,
        confusions=confusions,
        confused_to=None if confuser is None else confuser[truth[tasks]],
        is_hard=hard[tasks],
    )
    gold_count = max(int(round(GOLD_SHARE * n_tasks)), 1)
    gold_tasks = np.sort(rng.choice(n_tasks, size=gold_count, replace=False))
    return Crowd(
        name=name,
        n_tasks=n_tasks,
        n_workers=n_workers,
        n_labels=n_labels,
        tasks=tasks,
        workers=workers,
        labels=labels,
        truth=truth,
        priors=priors,
        confusions=confusions,
        kinds=kinds,
        activity=activity,
        gold_tasks=gold_tasks,
        hard_share=hard_share,
        confuser=confuser,
        hard=hard,
    )


def honest_confusions(rng: np.random.Generator, *, n_workers: int, n_labels: int) -> np.ndarray:
    """Full confusion matrices: an accuracy per worker from ACCURACY_RANGE, varied a little per
    class, and the errors of each row spread unevenly over the other classes (a worker tends to
    mistake a class for one or two particular others)."""
    accuracy = rng.uniform(*ACCURACY_RANGE, size=(n_workers, 1))
    diagonal = np.clip(accuracy + rng.normal(0.0, 0.04, size=(n_workers, n_labels)), 0.4, 0.98)
    errors = rng.dirichlet(np.full(n_labels - 1, 0.6), size=(n_workers, n_labels))
    confusions = np.empty((n_workers, n_labels, n_labels))
    others = ~np.eye(n_labels, dtype=bool)
    for true_label in range(n_labels):
        confusions[:, true_label, true_label] = diagonal[:, true_label]
        confusions[:, true_label, others[true_label]] = (
            1.0 - diagonal[:, true_label, None]
        ) * errors[:, true_label]
    return confusions


def skewed_activity(rng: np.random.Generator, *, n_workers: int) -> np.ndarray:
    """Heavy-tailed draw probabilities (log-normal): a few workers do many tasks, most few."""
    return cap_activity(rng.lognormal(mean=0.0, sigma=1.5, size=n_workers))


def cap_activity(weights: np.ndarray) -> np.ndarray:
    """Normalise to probabilities with no worker above MAX_ACTIVITY_SHARE."""
    share = weights / weights.sum()
    for _ in range(20):
        over = share > MAX_ACTIVITY_SHARE
        if not over.any():
            break
        share = np.where(over, MAX_ACTIVITY_SHARE, share)
        free = ~over
        share[free] *= (1.0 - share[over].sum()) / share[free].sum()
    return share / share.sum()


def assign_workers(
    rng: np.random.Generator, *, n_tasks: int, overlap: int, activity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``overlap`` distinct workers per task, drawn by activity; returns (tasks, workers), one
    row per answer, in task order."""
    workers = draw_workers(rng, n_rows=n_tasks, per_row=overlap, activity=activity)
    tasks = np.repeat(np.arange(n_tasks), overlap)
    return tasks, workers.reshape(-1)


def draw_workers(
    rng: np.random.Generator, *, n_rows: int, per_row: int, activity: np.ndarray
) -> np.ndarray:
    """(n_rows, per_row) worker indices drawn by activity, distinct within each row: rows with
    a repeated worker are drawn again until none is left."""
    cumulative = np.cumsum(activity)
    cumulative[-1] = 1.0

    def draw(count: int) -> np.ndarray:
        return np.searchsorted(cumulative, rng.random((count, per_row)), side="right")

    workers = draw(n_rows)
    pending = np.arange(n_rows)
    while True:
        ordered = np.sort(workers[pending], axis=1)
        repeated = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        pending = pending[repeated]
        if not pending.size:
            return workers
        workers[pending] = draw(pending.size)


def draw_answers(
    rng: np.random.Generator,
    *,
    true_labels: np.ndarray,
    workers: np.ndarray,
    confusions: np.ndarray,
    confused_to: np.ndarray | None = None,
    is_hard: np.ndarray | None = None,
) -> np.ndarray:
    """One answer per row from the worker's confusion row for the true label; on hard rows the
    confused-to class with probability HARD_CONFUSION first."""
    rows = confusions[workers, true_labels]  # (n, K)
    cumulative = np.cumsum(rows, axis=1)
    cumulative[:, -1] = 1.0
    answers = (rng.random((rows.shape[0], 1)) > cumulative).sum(axis=1)
    if confused_to is not None and is_hard is not None:
        takes_confusion = is_hard & (rng.random(answers.size) < HARD_CONFUSION)
        answers = np.where(takes_confusion, confused_to, answers)
    return answers.astype(np.int64)


def derangement(rng: np.random.Generator, size: int) -> np.ndarray:
    """A random permutation with no fixed point: the class each class is confused with."""
    while True:
        permutation = rng.permutation(size)
        if not np.any(permutation == np.arange(size)):
            return permutation


def bayes_optimal(crowd: Crowd) -> np.ndarray:
    """Per task the argmax over true labels of prior x likelihood of its answers under the true
    model (for the hard-objects crowd the mixture of easy and hard, hardness unknown)."""
    log_easy = _log_likelihood(crowd, crowd.confusions[crowd.workers, :, crowd.labels])
    log_posterior = log_easy
    if crowd.hard_share > 0 and crowd.confuser is not None:
        # Probability of each answer given true label t on a hard object.
        is_confused_to = crowd.labels[:, None] == crowd.confuser[None, :]  # (n, K) over t
        hard_rows = (
            HARD_CONFUSION * is_confused_to
            + (1 - HARD_CONFUSION) * (crowd.confusions[crowd.workers, :, crowd.labels])
        )
        log_hard = _log_likelihood(crowd, hard_rows)
        log_posterior = np.logaddexp(
            np.log1p(-crowd.hard_share) + log_easy, np.log(crowd.hard_share) + log_hard
        )
    log_posterior = log_posterior + np.log(crowd.priors)[None, :]
    return np.argmax(log_posterior, axis=1)


def _log_likelihood(crowd: Crowd, probabilities: np.ndarray) -> np.ndarray:
    """(n_tasks, K): sum over each task's answers of log probabilities[answer, t]."""
    logs = np.log(np.clip(probabilities, 1e-300, None))
    return np.stack(
        [
            np.bincount(crowd.tasks, weights=logs[:, label], minlength=crowd.n_tasks)
            for label in range(crowd.n_labels)
        ],
        axis=1,
    )


def majority_labels(crowd: Crowd) -> np.ndarray:
    """Plain majority vote (ties to the lowest label), a reference for the simulator's tests."""
    counts = np.zeros((crowd.n_tasks, crowd.n_labels))
    np.add.at(counts, (crowd.tasks, crowd.labels), 1)
    return np.argmax(counts, axis=1)


def true_accuracies(crowd: Crowd) -> np.ndarray:
    """Each worker's probability of a correct answer on an easy task, under the class priors."""
    diagonal = np.diagonal(crowd.confusions, axis1=1, axis2=2)
    return diagonal @ crowd.priors
