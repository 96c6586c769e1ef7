"""A worker's accuracy as a Beta posterior: its mean and a 95% interval."""

import numpy as np

# Two-sided 95% quantile of the standard normal distribution.
Z_95 = 1.959963984540054


def beta_skill(correct, total, *, prior_correct: float = 1.0, prior_wrong: float = 1.0):
    """Beta(prior_correct + correct, prior_wrong + total - correct) posterior of an accuracy:
    (mean, low, high), the interval a normal approximation of the Beta (mean +- 1.96 sd)
    clipped to [0, 1]. Works on scalars (returns floats) and on numpy arrays."""
    correct_array = np.asarray(correct, dtype=np.float64)
    total_array = np.asarray(total, dtype=np.float64)
    if np.any(correct_array < 0) or np.any(correct_array > total_array):
        raise ValueError("correct must lie between 0 and total")
    if prior_correct <= 0 or prior_wrong <= 0:
        raise ValueError("prior_correct and prior_wrong must be positive")
    alpha = correct_array + prior_correct
    beta = total_array - correct_array + prior_wrong
    size = alpha + beta
    mean = alpha / size
    deviation = np.sqrt(alpha * beta / (size**2 * (size + 1.0)))
    low = np.clip(mean - Z_95 * deviation, 0.0, 1.0)
    high = np.clip(mean + Z_95 * deviation, 0.0, 1.0)
    if mean.ndim == 0:
        return float(mean), float(low), float(high)
    return mean, low, high
