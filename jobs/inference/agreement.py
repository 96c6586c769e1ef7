"""Inter-annotator agreement: Fleiss' kappa, Krippendorff's alpha, percent agreement,
per-label kappa and per-worker agreement with a reference labelling.

All take integer-coded Answers and use only tasks with at least two answers (a task with one
answer carries no information on agreement). A value that is undefined (no such task, or every
answer the same label so that chance agreement is 1) is nan.
"""

import numpy as np

from jobs.inference.encoding import Answers


def _task_label_counts(answers: Answers) -> np.ndarray:
    """(n_pairable_tasks, n_labels) answers per label of the tasks with >= 2 answers."""
    counts = np.bincount(
        answers.tasks * answers.n_labels + answers.labels,
        minlength=answers.n_tasks * answers.n_labels,
    ).reshape(answers.n_tasks, answers.n_labels)
    return counts[counts.sum(axis=1) >= 2].astype(np.float64)


def _pair_agreement(counts: np.ndarray) -> np.ndarray:
    """Per task, the share of ordered pairs of its answers that agree: P_i."""
    n = counts.sum(axis=1)
    return ((counts * (counts - 1)).sum(axis=1)) / (n * (n - 1))


def percent_agreement(answers: Answers) -> float:
    """Mean over tasks (>= 2 answers) of the share of agreeing answer pairs."""
    counts = _task_label_counts(answers)
    if counts.shape[0] == 0:
        return float("nan")
    return float(_pair_agreement(counts).mean())


def fleiss_kappa(answers: Answers) -> float:
    """Fleiss' kappa with a varying number n_i of answers per task: P_i uses each task's n_i,
    P-bar is their mean, chance agreement P_e = sum_j p_j^2 with p_j the pooled label shares."""
    counts = _task_label_counts(answers)
    if counts.shape[0] == 0:
        return float("nan")
    observed = _pair_agreement(counts).mean()
    shares = counts.sum(axis=0) / counts.sum()
    chance = float((shares**2).sum())
    if chance >= 1.0:
        return float("nan")
    return float((observed - chance) / (1.0 - chance))


def per_label_agreement(answers: Answers) -> np.ndarray:
    """(n_labels,) Fleiss' per-category kappa: kappa_j = 1 - D_j / (p_j (1 - p_j)), with D_j the
    mean over tasks of n_ij (n_i - n_ij) / (n_i (n_i - 1)); nan for a label nobody or everybody
    used. Their average weighted by p_j (1 - p_j) is Fleiss' kappa."""
    counts = _task_label_counts(answers)
    result = np.full(answers.n_labels, np.nan)
    if counts.shape[0] == 0:
        return result
    n = counts.sum(axis=1, keepdims=True)
    disagreement = (counts * (n - counts) / (n * (n - 1))).mean(axis=0)
    shares = counts.sum(axis=0) / counts.sum()
    spread = shares * (1.0 - shares)
    defined = spread > 0
    result[defined] = 1.0 - disagreement[defined] / spread[defined]
    return result


def krippendorff_alpha(answers: Answers) -> float:
    """Krippendorff's alpha for nominal data from the coincidence matrix: o_ck sums, over tasks
    with m_u >= 2 answers, n_uc n_uk / (m_u - 1) (n_uc (n_uc - 1) / (m_u - 1) on the diagonal);
    alpha = 1 - (n - 1) sum_{c != k} o_ck / sum_{c != k} n_c n_k."""
    counts = _task_label_counts(answers)
    if counts.shape[0] == 0:
        return float("nan")
    pairable = counts.sum(axis=1)
    coincidences = (counts / (pairable - 1)[:, None]).T @ counts
    coincidences -= np.diag((counts / (pairable - 1)[:, None]).sum(axis=0))
    marginals = coincidences.sum(axis=1)
    total = marginals.sum()
    observed_disagreement = total - np.trace(coincidences)
    expected_disagreement = (total**2 - (marginals**2).sum()) / (total - 1)
    if expected_disagreement <= 0:
        return float("nan")
    return float(1.0 - observed_disagreement / expected_disagreement)


def worker_agreement(answers: Answers, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per worker (answered, matched): their answers on tasks that have a reference label
    (reference[task] >= 0), and how many of those equal it."""
    reference = np.asarray(reference)
    if reference.shape != (answers.n_tasks,):
        raise ValueError(f"reference must have shape ({answers.n_tasks},), got {reference.shape}")
    expected = reference[answers.tasks]
    has_reference = expected >= 0
    answered = np.bincount(answers.workers[has_reference], minlength=answers.n_workers)
    matched = np.bincount(
        answers.workers[has_reference & (answers.labels == expected)],
        minlength=answers.n_workers,
    )
    return answered, matched
