"""Dawid-Skene truth inference by expectation maximisation: a full confusion matrix per worker,
and the one-coin variant with one accuracy per worker."""

import numpy as np

from jobs.inference.encoding import Answers, Gold
from jobs.inference.result import Layout, Result, clamp, finish, softmax_columns
from jobs.inference.voting import _vote_shares, _weighted_posteriors, estimate_skills

# Built-in Dirichlet smoothing of every worker's confusion rows (pseudo-counts added in the
# M-step on top of ``prior_confusion``): DIAGONAL on the correct cell and OFF_DIAGONAL spread
# evenly over the K-1 wrong cells. A worker with no answers is then believed right with
# probability 2/3 per row, and a worker with few answers is not trusted blindly; with hundreds
# of answers the smoothing no longer matters.
DIAGONAL_PSEUDO_COUNT = 2.0
OFF_DIAGONAL_PSEUDO_COUNT = 1.0
# Hierarchical part of the smoothing: in every M-step each worker's rows also get
# WORKER_SHRINKAGE pseudo-counts shaped like their own one-coin matrix (their pooled accuracy q
# over all rows on the diagonal, (1 - q) / (K - 1) elsewhere), so a row with few answers
# borrows strength from the worker's other rows instead of only from a fixed prior.
WORKER_SHRINKAGE = 2.0
# The one-coin model's accuracy prior, as pseudo-counts: (correct, answered).
ONE_COIN_PRIOR = (2.0, 3.0)
# Pseudo-count added to every class when class priors are estimated.
CLASS_PRIOR_PSEUDO_COUNT = 1.0


def dawid_skene(
    answers: Answers,
    *,
    gold: Gold | None = None,
    prior_confusion: np.ndarray | None = None,
    max_iter: int = 100,
    tol: float = 1e-6,
) -> Result:
    """Dawid-Skene EM with a full (K x K) confusion matrix per worker.

    Initialised from the vote shares (with gold: the vote weighted by gold skills). Each
    iteration: M-step (confusion counts from the posteriors + ``prior_confusion`` (n_workers,
    K, K) pseudo-counts + the built-in smoothing; class priors), E-step in log space, gold
    posteriors clamped to one-hot. Stops when the relative change of the penalised
    log-likelihood is below ``tol`` or after ``max_iter`` iterations.
    """
    layout = Layout(answers)
    n_workers, n_labels = layout.n_workers, layout.n_labels
    _check_iterations(max_iter, tol)
    pseudo_counts = _smoothing(n_labels)[None, :, :]
    if prior_confusion is not None:
        prior_confusion = np.asarray(prior_confusion, dtype=np.float64)
        if prior_confusion.shape != (n_workers, n_labels, n_labels):
            raise ValueError(
                f"prior_confusion must have shape ({n_workers}, {n_labels}, {n_labels}), "
                f"got {prior_confusion.shape}"
            )
        if np.any(prior_confusion < 0) or not np.all(np.isfinite(prior_confusion)):
            raise ValueError("prior_confusion must hold finite non-negative counts")
        pseudo_counts = pseudo_counts + prior_confusion
    gold_positions, gold_labels = layout.gold_positions(gold)
    posteriors = _initial_posteriors(layout, gold_positions, gold_labels)

    # answer -> (worker, answered label) cell, the column of the confusion tables.
    cells = layout.workers * n_labels + layout.labels
    not_gold = np.ones(layout.n_answered, dtype=bool)
    not_gold[gold_positions] = False
    previous = None
    iterations = 0
    confusions = priors = None
    # With no task answered twice and no gold, nothing tells a worker's errors apart from the
    # truth (EM would drift into label switching): one E-step with the prior matrices only.
    identifiable = gold_positions.size > 0 or layout.per_task.max() > 1
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        if identifiable:
            confusions, priors, total_pseudo_counts = _maximise(
                layout, posteriors, cells, pseudo_counts
            )
        else:
            confusions, priors, total_pseudo_counts = _prior_model(
                layout, posteriors, pseudo_counts
            )
        log_confusions = np.log(confusions)
        table = np.ascontiguousarray(log_confusions.transpose(1, 0, 2)).reshape(n_labels, -1)
        scores = np.empty((n_labels, layout.n_answered))
        for label in range(n_labels):
            scores[label] = np.add.reduceat(np.take(table[label], cells), layout.starts)
        scores += np.log(priors)[:, None]
        gold_score = scores[gold_labels, gold_positions].sum()
        posteriors, normaliser = softmax_columns(scores)
        clamp(posteriors, gold_positions, gold_labels)
        objective = (
            normaliser[not_gold].sum()
            + gold_score
            + (total_pseudo_counts * log_confusions).sum()
            + CLASS_PRIOR_PSEUDO_COUNT * np.log(priors).sum()
        )
        if not identifiable or (
            previous is not None and abs(objective - previous) <= tol * abs(previous)
        ):
            break
        previous = objective

    skills = np.einsum("wkk,k->w", confusions, priors)
    return finish(
        layout,
        posteriors,
        gold=gold,
        skills=skills,
        priors=priors,
        confusions=confusions,
        iterations=iterations,
    )


def one_coin_dawid_skene(
    answers: Answers,
    *,
    gold: Gold | None = None,
    prior_counts: np.ndarray | None = None,
    max_iter: int = 100,
    tol: float = 1e-6,
) -> Result:
    """Dawid-Skene with one accuracy q per worker: p(answer = true label) = q, each wrong label
    (1-q)/(K-1). ``prior_counts`` (n_workers, 2) are (correct, answered) pseudo-counts added to
    each worker's expected counts, on top of the built-in ONE_COIN_PRIOR."""
    layout = Layout(answers)
    n_workers, n_labels = layout.n_workers, layout.n_labels
    _check_iterations(max_iter, tol)
    prior_correct = np.full(n_workers, ONE_COIN_PRIOR[0])
    prior_answered = np.full(n_workers, ONE_COIN_PRIOR[1])
    if prior_counts is not None:
        prior_counts = np.asarray(prior_counts, dtype=np.float64)
        if prior_counts.shape != (n_workers, 2):
            raise ValueError(
                f"prior_counts must have shape ({n_workers}, 2), got {prior_counts.shape}"
            )
        if np.any(prior_counts < 0) or np.any(prior_counts[:, 0] > prior_counts[:, 1]):
            raise ValueError("prior_counts must be non-negative with correct <= answered")
        prior_correct = prior_correct + prior_counts[:, 0]
        prior_answered = prior_answered + prior_counts[:, 1]
    gold_positions, gold_labels = layout.gold_positions(gold)
    posteriors = _initial_posteriors(layout, gold_positions, gold_labels)

    answered = np.bincount(layout.workers, minlength=n_workers)
    flat_cells = layout.labels * layout.n_answered + layout.positions
    not_gold = np.ones(layout.n_answered, dtype=bool)
    not_gold[gold_positions] = False
    wrong_cells = max(n_labels - 1, 1)
    previous = None
    iterations = 0
    accuracies = priors = None
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        correct = np.bincount(
            layout.workers, weights=np.take(posteriors.ravel(), flat_cells), minlength=n_workers
        )
        accuracies = (correct + prior_correct) / (answered + prior_answered)
        if n_labels > 1:
            accuracies = np.clip(accuracies, 1e-6, 1 - 1e-6)
        priors = _class_priors(posteriors)
        log_right = np.log(accuracies)
        log_wrong = np.log(np.maximum(1.0 - accuracies, 1e-300) / wrong_cells)
        scores = layout.counts((log_right - log_wrong)[layout.workers])
        scores += np.add.reduceat(log_wrong[layout.workers], layout.starts)
        scores += np.log(priors)[:, None]
        gold_score = scores[gold_labels, gold_positions].sum()
        posteriors, normaliser = softmax_columns(scores)
        clamp(posteriors, gold_positions, gold_labels)
        objective = (
            normaliser[not_gold].sum()
            + gold_score
            + (prior_correct * log_right + (prior_answered - prior_correct) * log_wrong).sum()
            + CLASS_PRIOR_PSEUDO_COUNT * np.log(priors).sum()
        )
        if previous is not None and abs(objective - previous) <= tol * abs(previous):
            break
        previous = objective

    return finish(
        layout,
        posteriors,
        gold=gold,
        skills=accuracies,
        priors=priors,
        iterations=iterations,
    )


def _check_iterations(max_iter: int, tol: float) -> None:
    if int(max_iter) != max_iter or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not tol >= 0:
        raise ValueError(f"tol must be non-negative, got {tol!r}")


def _smoothing(n_labels: int) -> np.ndarray:
    if n_labels == 1:
        return np.full((1, 1), DIAGONAL_PSEUDO_COUNT)
    smoothing = np.full((n_labels, n_labels), OFF_DIAGONAL_PSEUDO_COUNT / (n_labels - 1))
    np.fill_diagonal(smoothing, DIAGONAL_PSEUDO_COUNT)
    return smoothing


def _initial_posteriors(
    layout: Layout, gold_positions: np.ndarray, gold_labels: np.ndarray
) -> np.ndarray:
    """Vote shares, or with gold the gold-skill-weighted vote, gold clamped."""
    if gold_positions.size:
        skills = estimate_skills(layout, gold_positions, gold_labels)
        posteriors = _weighted_posteriors(layout, skills)
    else:
        posteriors = _vote_shares(layout)
    clamp(posteriors, gold_positions, gold_labels)
    return posteriors


def _class_priors(posteriors: np.ndarray) -> np.ndarray:
    totals = posteriors.sum(axis=1) + CLASS_PRIOR_PSEUDO_COUNT
    return totals / totals.sum()


def _maximise(
    layout: Layout, posteriors: np.ndarray, cells: np.ndarray, pseudo_counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """M-step: (n_workers, K, K) row-normalised confusion matrices, class priors, and the
    pseudo-counts used (fixed smoothing + prior_confusion + the worker shrinkage)."""
    n_workers, n_labels = layout.n_workers, layout.n_labels
    counts = np.empty((n_labels, n_workers * n_labels))
    for label in range(n_labels):
        counts[label] = np.bincount(
            cells,
            weights=np.repeat(posteriors[label], layout.per_task),
            minlength=n_workers * n_labels,
        )
    counts = counts.reshape(n_labels, n_workers, n_labels).transpose(1, 0, 2)
    confusions, total_pseudo_counts = _smoothed(counts, pseudo_counts)
    return confusions, _class_priors(posteriors), total_pseudo_counts


def smoothed_confusions(
    counts: np.ndarray, prior_confusion: np.ndarray | None = None
) -> np.ndarray:
    """The (n_workers, K, K) confusion matrices Dawid-Skene's M-step makes from (expected)
    answer counts (n_workers, K, K; row = true label): ``prior_confusion`` and the built-in
    smoothing added, rows normalised. For a one-object E-step with stored counts."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 3 or counts.shape[1] != counts.shape[2]:
        raise ValueError(f"counts must have shape (n_workers, K, K), got {counts.shape}")
    pseudo_counts = _smoothing(counts.shape[1])[None, :, :]
    if prior_confusion is not None:
        pseudo_counts = pseudo_counts + np.asarray(prior_confusion, dtype=np.float64)
    return _smoothed(counts, pseudo_counts)[0]


def _smoothed(counts: np.ndarray, pseudo_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n_labels = counts.shape[1]
    counts = counts + pseudo_counts
    accuracy = np.einsum("wkk->w", counts) / counts.sum(axis=(1, 2))
    shrinkage = WORKER_SHRINKAGE * _one_coin_matrices(accuracy, n_labels)
    confusions = counts + shrinkage
    confusions /= confusions.sum(axis=2, keepdims=True)
    return confusions, pseudo_counts + shrinkage


def _prior_model(
    layout: Layout, posteriors: np.ndarray, pseudo_counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The workers' matrices from the pseudo-counts alone (no answers), and class priors."""
    confusions = np.broadcast_to(pseudo_counts, (layout.n_workers, *pseudo_counts.shape[1:]))
    confusions = confusions / confusions.sum(axis=2, keepdims=True)
    return confusions, _class_priors(posteriors), pseudo_counts


def _one_coin_matrices(accuracy: np.ndarray, n_labels: int) -> np.ndarray:
    """(n_workers, K, K): accuracy on the diagonal, the rest spread evenly over each row."""
    if n_labels == 1:
        return np.ones((accuracy.size, 1, 1))
    matrices = np.empty((accuracy.size, n_labels, n_labels))
    matrices[:] = ((1.0 - accuracy) / (n_labels - 1))[:, None, None]
    diagonal = np.arange(n_labels)
    matrices[:, diagonal, diagonal] = accuracy[:, None]
    return matrices
