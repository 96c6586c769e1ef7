"""The dynamic-overlap posterior of one object, and the Beta skill with its interval."""

import numpy as np
import pytest

from jobs.inference import beta_skill, object_posterior


def test_object_posterior_follows_the_one_coin_model():
    # Two workers (0.8, 0.7) say label 1, one (0.6) says label 0; K = 3, uniform prior.
    posterior = object_posterior(np.array([1, 1, 0]), np.array([0.8, 0.7, 0.6]), 3)
    right, wrong = np.array([0.8, 0.7, 0.6]), (1 - np.array([0.8, 0.7, 0.6])) / 2
    likelihood = np.array(
        [
            wrong[0] * wrong[1] * right[2],
            right[0] * right[1] * wrong[2],
            wrong[0] * wrong[1] * wrong[2],
        ]
    )
    np.testing.assert_allclose(posterior, likelihood / likelihood.sum())
    assert posterior.argmax() == 1


def test_object_posterior_with_priors_and_without_answers():
    np.testing.assert_allclose(
        object_posterior([], [], 2, priors=np.array([3.0, 1.0])), [0.75, 0.25]
    )
    np.testing.assert_allclose(object_posterior([], [], 4), 0.25)
    # Perfect workers do not produce zeros or nans.
    posterior = object_posterior([0, 1], [1.0, 1.0], 2)
    np.testing.assert_allclose(posterior, [0.5, 0.5])
    assert object_posterior([0], [0.9], 1).tolist() == [1.0]
    with pytest.raises(ValueError, match="same length"):
        object_posterior([0, 1], [0.9], 2)
    with pytest.raises(ValueError, match="labels must lie in 0..1"):
        object_posterior([2], [0.9], 2)


def test_object_posterior_reaches_a_target_with_agreeing_skilled_workers():
    # Toloka's example logic: more agreeing answers push the posterior over the target.
    one = object_posterior([0], [0.8], 4)[0]
    two = object_posterior([0, 0], [0.8, 0.8], 4)[0]
    assert one < 0.9 < two


def test_beta_skill_mean_and_interval():
    mean, low, high = beta_skill(8, 10)
    # Beta(9, 3): mean 0.75, sd sqrt(27 / (144 * 13)) = 0.1201
    assert mean == pytest.approx(0.75)
    assert low == pytest.approx(0.75 - 1.96 * 0.12010, abs=1e-3)
    assert high == pytest.approx(0.75 + 1.96 * 0.12010, abs=1e-3)
    assert isinstance(mean, float)

    mean, low, high = beta_skill(0, 0)
    assert (mean, low, high) == (0.5, 0.0, 1.0)  # no evidence: 0.5 +- 0.566, clipped

    means, lows, highs = beta_skill(np.array([0, 50, 100]), np.array([100, 100, 100]))
    assert means.shape == (3,)
    assert lows[0] == 0.0
    assert highs[2] == 1.0
    assert np.all(lows <= means)
    assert np.all(means <= highs)

    mean, _, _ = beta_skill(3, 4, prior_correct=7, prior_wrong=1)
    assert mean == pytest.approx(10 / 12)
    with pytest.raises(ValueError, match="between 0 and total"):
        beta_skill(5, 4)
