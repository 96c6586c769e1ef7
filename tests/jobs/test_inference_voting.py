"""Majority vote and skill-weighted vote, and the consolidate() dispatcher."""

import numpy as np
import pytest

from jobs.inference import (
    METHODS,
    Answers,
    Gold,
    consolidate,
    dawid_skene,
    majority_vote,
    weighted_vote,
)
from tests.jobs.test_inference_crowds import accuracy, honest_matrix, simulate


def make_answers(rows, *, n_tasks=None, n_workers=None, n_labels=3) -> Answers:
    tasks, workers, labels = (np.array(column) for column in zip(*rows, strict=True))
    return Answers(
        tasks=tasks,
        workers=workers,
        labels=labels,
        n_tasks=n_tasks or int(tasks.max()) + 1,
        n_workers=n_workers or int(workers.max()) + 1,
        n_labels=n_labels,
    )


def test_majority_vote_labels_shares_and_skills():
    answers = make_answers(
        [(0, 0, 2), (0, 1, 2), (0, 2, 1), (1, 0, 0), (1, 1, 0), (1, 2, 0), (2, 2, 1)]
    )
    result = majority_vote(answers)

    assert result.labels.tolist() == [2, 0, 1]
    np.testing.assert_allclose(result.confidence, [2 / 3, 1.0, 1.0])
    np.testing.assert_allclose(result.posteriors[0], [0, 1 / 3, 2 / 3])
    np.testing.assert_allclose(result.skills, [1.0, 1.0, 2 / 3])
    assert result.confusions is None
    assert result.iterations == 0


def test_majority_vote_ties_go_to_the_lowest_label_whatever_the_answer_order():
    rows = [(0, 0, 2), (0, 1, 1), (1, 0, 0), (1, 1, 2), (1, 2, 1), (2, 0, 2), (2, 1, 2)]
    forward = majority_vote(make_answers(rows))
    backward = majority_vote(make_answers(rows[::-1]))
    for result in (forward, backward):
        assert result.labels.tolist() == [1, 0, 2]
        np.testing.assert_allclose(result.confidence, [0.5, 1 / 3, 1.0])


def test_weighted_vote_ties_are_independent_of_the_answer_order():
    # Two workers of equal skill disagree: the lowest label wins in any order.
    rows = [(0, 0, 2), (0, 1, 1), (1, 1, 0), (1, 0, 1)]
    skills = np.array([0.8, 0.8])
    for order in (rows, rows[::-1]):
        result = weighted_vote(make_answers(order), skills=skills)
        assert result.labels.tolist() == [1, 0]
        # odds 8 : 8 : 1 for the two answered labels and the third one
        np.testing.assert_allclose(result.confidence, [8 / 17, 8 / 17])


def test_majority_vote_clamps_gold():
    answers = make_answers([(0, 0, 2), (0, 1, 2), (1, 0, 1)])
    result = majority_vote(answers, gold=Gold(tasks=np.array([0]), labels=np.array([0])))
    assert result.labels.tolist() == [0, 1]
    assert result.confidence[0] == 1.0


def test_weighted_vote_with_given_skills_is_the_one_coin_posterior():
    # A skilled worker (0.9) against two poor ones (0.4) on 3 labels.
    answers = make_answers([(0, 0, 0), (0, 1, 1), (0, 2, 1)])
    skills = np.array([0.9, 0.4, 0.4])
    result = weighted_vote(answers, skills=skills)

    weight = np.log(skills * 2 / (1 - skills))
    scores = np.array([weight[0], weight[1] + weight[2], 0.0])
    expected = np.exp(scores) / np.exp(scores).sum()
    np.testing.assert_allclose(result.posteriors[0], expected)
    assert result.labels[0] == 0
    np.testing.assert_allclose(result.skills, skills)


def test_weighted_vote_clips_skills_so_nobody_votes_against():
    answers = make_answers([(0, 0, 0), (0, 1, 1)], n_labels=2)
    result = weighted_vote(answers, skills=np.array([0.55, 0.1]))
    assert result.labels[0] == 0  # the 0.1 worker counts (almost) nothing, never negatively
    result = weighted_vote(answers, skills=np.array([1.0, 0.0]))
    assert np.isfinite(result.posteriors).all()
    with pytest.raises(ValueError, match="skills must have shape"):
        weighted_vote(answers, skills=np.array([0.5]))


def test_weighted_vote_estimates_skills_from_gold_and_beats_majority_vote():
    matrices = np.stack([honest_matrix(0.9, 3)] * 3 + [honest_matrix(0.4, 3)] * 6)
    crowd = simulate(matrices, n_tasks=2000, per_task=5, seed=2)
    gold_tasks = np.arange(0, 2000, 20)
    scored = np.ones(2000, dtype=bool)
    scored[gold_tasks] = False

    result = weighted_vote(crowd.answers, gold=crowd.gold(gold_tasks))
    agreement_only = weighted_vote(crowd.answers)

    assert result.skills[:3].min() > 0.8
    assert result.skills[3:].max() < 0.55
    assert np.array_equal(result.labels[gold_tasks], crowd.truth[gold_tasks])
    majority = majority_vote(crowd.answers).labels
    assert accuracy(result.labels, crowd.truth, scored) > accuracy(majority, crowd.truth, scored)
    assert accuracy(agreement_only.labels, crowd.truth) >= accuracy(majority, crowd.truth) - 0.01


def test_methods_and_consolidate():
    assert set(METHODS) == {
        "majority-vote",
        "weighted-majority-vote",
        "dawid-skene",
        "one-coin-dawid-skene",
    }
    answers = make_answers([(0, 0, 1), (0, 1, 1), (1, 0, 0)])
    result = consolidate("dawid-skene", answers, max_iter=5)
    assert result.labels.tolist() == dawid_skene(answers, max_iter=5).labels.tolist()
    for method in METHODS:
        result = consolidate(method, answers, gold=Gold(np.array([1]), np.array([2])))
        assert result.labels.tolist() == [1, 2]
        assert result.posteriors.shape == (2, 3)
        assert result.skills.shape == (2,)
        assert result.priors.shape == (3,)
    with pytest.raises(ValueError, match="unknown consolidation method 'best'"):
        consolidate("best", answers)


@pytest.mark.parametrize("method", ["majority-vote", "weighted-majority-vote"])
def test_voting_edge_cases(method):
    # One label only: everything is that label.
    single = make_answers([(0, 0, 0), (1, 1, 0)], n_labels=1)
    result = consolidate(method, single)
    assert result.labels.tolist() == [0, 0]
    np.testing.assert_allclose(result.confidence, 1.0)

    # A task without answers and a label nobody used.
    answers = make_answers([(0, 0, 1)], n_tasks=2, n_labels=3)
    result = consolidate(method, answers)
    assert result.labels.tolist() == [1, -1]
    np.testing.assert_allclose(result.posteriors[1], 1 / 3)
    assert result.confidence[1] == 0.0

    with pytest.raises(ValueError, match="no answers"):
        consolidate(method, Answers(np.zeros(0), np.zeros(0), np.zeros(0), 0, 0, 2))


def test_gold_outside_the_answers_is_refused():
    answers = make_answers([(0, 0, 1)])
    with pytest.raises(ValueError, match="gold labels must lie in 0..n_labels-1"):
        majority_vote(answers, gold=Gold(np.array([0]), np.array([5])))
    with pytest.raises(ValueError, match="gold tasks must lie"):
        majority_vote(answers, gold=Gold(np.array([3]), np.array([0])))
    with pytest.raises(ValueError, match="two different labels"):
        Gold(np.array([0, 0]), np.array([1, 2]))


def test_one_gold_answer_refines_rather_than_replaces_a_skill_from_agreement():
    # Worker 0 agrees with workers 1 and 2 on 30 tasks, then misses the one gold task (30).
    rows = [(task, worker, 1) for task in range(30) for worker in range(3)]
    rows += [(30, 0, 0), (30, 1, 1), (30, 2, 1)]
    answers = make_answers(rows, n_labels=2)
    gold = Gold(tasks=np.array([30]), labels=np.array([1]))

    skills = weighted_vote(answers, gold=gold).skills

    # agreement 30/31; the prior is worth 10 answers: (0 + 10 * 30/31) / (1 + 10)
    assert skills[0] == pytest.approx(10 * 30 / 31 / 11)
    assert skills[1] == pytest.approx((1 + 10 * 1.0) / 11)
