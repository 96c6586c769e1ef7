"""Multi-label consolidation: one binary problem per label."""

import numpy as np
import pytest

from jobs.inference import multilabel_consolidate


def test_each_label_is_decided_on_its_own():
    # Task 0: three workers select {0, 2}, {0}, {0, 2}; task 1: {1}, {}, {1}.
    tasks = [0, 0, 0, 1, 1, 1]
    workers = [0, 1, 2, 0, 1, 2]
    selections = [[0, 2], [0], [2, 0], [1], [], [1]]
    for method in ("majority-vote", "dawid-skene", "one-coin-dawid-skene"):
        chosen, confidence = multilabel_consolidate(
            tasks, workers, selections, n_labels=3, method=method
        )
        assert chosen == [[0, 2], [1]]
        assert confidence.shape == (2, 3)
        assert np.all((confidence > 0.5) & (confidence <= 1.0))

    chosen, confidence = multilabel_consolidate(
        tasks, workers, selections, n_labels=3, method="majority-vote"
    )
    np.testing.assert_allclose(confidence, [[1.0, 1.0, 2 / 3], [1.0, 2 / 3, 1.0]])


def test_boolean_matrix_selections_and_gold():
    matrix = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=bool)
    chosen, confidence = multilabel_consolidate(
        [0, 0, 1, 1], [0, 1, 0, 1], matrix, n_labels=2, gold={1: [0], 2: [0, 1]}
    )
    # Gold task 1 is clamped to {0}; gold task 2 had no answers and is added.
    assert chosen == [[0], [0], [0, 1]]
    np.testing.assert_allclose(confidence[1:], 1.0)


def test_multilabel_bad_input():
    with pytest.raises(ValueError, match="no answers"):
        multilabel_consolidate([], [], [], n_labels=2)
    with pytest.raises(ValueError, match="must lie in 0..1"):
        multilabel_consolidate([0], [0], [[2]], n_labels=2)
    with pytest.raises(ValueError, match="one entry per answer"):
        multilabel_consolidate([0, 1], [0, 0], [[0]], n_labels=2)
    with pytest.raises(ValueError, match="unknown consolidation method"):
        multilabel_consolidate([0], [0], [[0]], n_labels=2, method="nope")
