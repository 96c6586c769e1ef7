"""Fast checks of the benchmark's crowd simulator: reproducible, an honest ceiling, and crowds
that behave as they are described."""

import numpy as np
import pytest

from tests.benchmarks.crowd_simulator import (
    CROWDS,
    GOLD_SHARE,
    MAX_ACTIVITY_SHARE,
    bayes_optimal,
    majority_labels,
    simulate,
)


@pytest.mark.parametrize("name", sorted(CROWDS))
def test_same_seed_same_crowd_and_another_seed_another(name):
    first = simulate(name, n_answers=6_000, seed=11)
    again = simulate(name, n_answers=6_000, seed=11)
    other = simulate(name, n_answers=6_000, seed=12)

    for attribute in ("tasks", "workers", "labels", "truth", "confusions", "gold_tasks"):
        np.testing.assert_array_equal(getattr(first, attribute), getattr(again, attribute))
    assert not np.array_equal(first.labels, other.labels)
    assert not np.array_equal(first.truth, other.truth)


@pytest.mark.parametrize("name", sorted(CROWDS))
def test_shape_overlap_gold_share_and_confusion_rows(name):
    crowd = simulate(name, n_answers=20_000, seed=3)
    overlap = CROWDS[name]["overlap"]

    assert crowd.n_answers == crowd.n_tasks * overlap
    assert 2 <= crowd.n_labels <= 5
    assert crowd.labels.min() >= 0
    assert crowd.labels.max() < crowd.n_labels
    # Distinct workers on every task.
    per_task = np.sort(crowd.workers.reshape(crowd.n_tasks, overlap), axis=1)
    assert not (per_task[:, 1:] == per_task[:, :-1]).any()
    np.testing.assert_allclose(crowd.confusions.sum(axis=2), 1.0)
    assert crowd.gold_tasks.size == round(GOLD_SHARE * crowd.n_tasks)
    assert crowd.scored.sum() == crowd.n_tasks - crowd.gold_tasks.size


def test_activity_is_skewed_but_capped():
    crowd = simulate("mixed-skill", n_answers=60_000, seed=5)
    counts = np.sort(np.bincount(crowd.workers, minlength=crowd.n_workers))[::-1]

    top_tenth = counts[: crowd.n_workers // 10].sum() / counts.sum()
    assert top_tenth > 0.4  # a few workers do much of the work
    assert np.median(counts) < counts.mean() / 1.5  # most do less than the mean
    assert counts[0] <= 1.3 * MAX_ACTIVITY_SHARE * counts.sum()


def test_bayes_optimal_labels_beat_majority_vote_with_biased_workers():
    crowd = simulate("biased", n_answers=30_000, seed=8)

    bayes = crowd.accuracy(bayes_optimal(crowd))
    majority = crowd.accuracy(majority_labels(crowd))

    assert bayes > majority + 0.05
    # Majority vote's errors lean to class 0, the biased workers' favourite.
    wrong = (majority_labels(crowd) != crowd.truth) & crowd.scored
    assert np.mean(majority_labels(crowd)[wrong] == 0) > 0.6


@pytest.mark.parametrize("name", sorted(CROWDS))
def test_bayes_optimal_is_at_least_majority_vote_on_every_crowd(name):
    crowd = simulate(name, n_answers=30_000, seed=9)

    assert crowd.accuracy(bayes_optimal(crowd)) >= crowd.accuracy(majority_labels(crowd))


def test_spammers_answer_uniformly_whatever_the_truth():
    crowd = simulate("spammers", n_answers=200_000, seed=4)
    spammer = crowd.kinds[crowd.workers] == "spammer"
    share_of_spammers = np.mean(crowd.kinds == "spammer")

    assert 0.15 < share_of_spammers < 0.35
    for true_label in range(crowd.n_labels):
        answers = crowd.labels[spammer & (crowd.truth[crowd.tasks] == true_label)]
        frequencies = np.bincount(answers, minlength=crowd.n_labels) / answers.size
        assert answers.size > 10_000
        np.testing.assert_allclose(frequencies, 1.0 / crowd.n_labels, atol=0.015)
    # The honest workers, by contrast, mostly give the true label.
    honest = ~spammer
    assert np.mean(crowd.labels[honest] == crowd.truth[crowd.tasks[honest]]) > 0.65


def test_hard_objects_are_mostly_answered_with_their_confused_class():
    crowd = simulate("hard-objects", n_answers=60_000, seed=6)
    on_hard = crowd.hard[crowd.tasks]
    confused_to = crowd.confuser[crowd.truth[crowd.tasks]]

    assert 0.1 < crowd.hard.mean() < 0.2
    assert np.mean(crowd.labels[on_hard] == confused_to[on_hard]) > 0.55
    assert np.mean(crowd.labels[~on_hard] == confused_to[~on_hard]) < 0.15
