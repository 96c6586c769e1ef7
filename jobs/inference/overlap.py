"""Dynamic overlap: the posterior over labels of one object from its answers so far."""

import numpy as np

# Accuracies are clipped to [EPSILON, 1 - EPSILON] so one answer never makes a label impossible.
EPSILON = 1e-6


def object_posterior(
    labels: np.ndarray, accuracies: np.ndarray, n_labels: int, priors: np.ndarray | None = None
) -> np.ndarray:
    """Toloka's dynamic-overlap model for one object: answer i (label index labels[i]) comes
    from a worker with accuracy accuracies[i], p(answer = z | true = z) = q_i and
    (1 - q_i) / (K - 1) for each other label; Bayes with ``priors`` (default uniform).
    Returns the (n_labels,) posterior; with no answers, the priors."""
    labels = np.asarray(labels, dtype=np.intp).reshape(-1)
    accuracies = np.asarray(accuracies, dtype=np.float64).reshape(-1)
    if labels.shape != accuracies.shape:
        raise ValueError(
            f"labels and accuracies must have the same length, got {labels.size} and "
            f"{accuracies.size}"
        )
    if n_labels < 1:
        raise ValueError("n_labels must be at least 1")
    if labels.size and (labels.min() < 0 or labels.max() >= n_labels):
        raise ValueError(f"labels must lie in 0..{n_labels - 1}")
    if priors is None:
        log_posterior = np.zeros(n_labels)
    else:
        priors = np.asarray(priors, dtype=np.float64)
        if priors.shape != (n_labels,) or np.any(priors < 0) or priors.sum() <= 0:
            raise ValueError(f"priors must be {n_labels} non-negative numbers with a positive sum")
        with np.errstate(divide="ignore"):
            log_posterior = np.log(priors / priors.sum())
    if n_labels == 1:
        return np.ones(1)
    q = np.clip(accuracies, EPSILON, 1.0 - EPSILON)
    log_wrong = np.log((1.0 - q) / (n_labels - 1))
    log_posterior = log_posterior + log_wrong.sum()
    log_posterior += np.bincount(labels, weights=np.log(q) - log_wrong, minlength=n_labels)
    log_posterior -= log_posterior.max()
    posterior = np.exp(log_posterior)
    return posterior / posterior.sum()
