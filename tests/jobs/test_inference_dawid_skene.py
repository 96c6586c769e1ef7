"""Dawid-Skene and one-coin Dawid-Skene on simulated crowds with known confusion matrices."""

import numpy as np
import pytest

from jobs.inference import (
    Answers,
    Gold,
    dawid_skene,
    majority_vote,
    one_coin_dawid_skene,
)
from jobs.inference.dawid_skene_em import smoothed_confusions
from tests.jobs.test_inference_crowds import accuracy, biased_matrix, honest_matrix, simulate

N_LABELS = 3


def mixed_crowd_matrices(seed: int = 11) -> np.ndarray:
    """30 workers: 20 honest with structured errors (accuracy 0.6-0.95), 10 biased to class 0."""
    rng = np.random.default_rng(seed)
    matrices = []
    for _ in range(20):
        matrix = np.empty((N_LABELS, N_LABELS))
        for true_label in range(N_LABELS):
            correct = rng.uniform(0.6, 0.95)
            wrong = rng.dirichlet(np.ones(N_LABELS - 1)) * (1 - correct)
            matrix[true_label] = np.insert(wrong, true_label, correct)
        matrices.append(matrix)
    matrices += [biased_matrix(0.75, N_LABELS) for _ in range(10)]
    return np.stack(matrices)


@pytest.fixture(scope="module")
def mixed_crowd():
    return simulate(mixed_crowd_matrices(), n_tasks=3000, per_task=5, seed=5)


def test_dawid_skene_recovers_the_workers_confusion_matrices(mixed_crowd):
    result = dawid_skene(mixed_crowd.answers)

    assert result.confusions.shape == (30, N_LABELS, N_LABELS)
    np.testing.assert_allclose(result.confusions.sum(axis=2), 1.0)
    answered = np.bincount(mixed_crowd.answers.workers, minlength=30)
    assert answered.min() >= 400  # every worker has enough answers (about 500 each)
    errors = np.abs(result.confusions - mixed_crowd.confusions)
    # Each worker's matrix within 0.05 of the truth on average, and no entry far off.
    assert errors.mean(axis=(1, 2)).max() < 0.05
    assert errors.max() < 0.12
    # Sampling noise aside (each row has only ~170 answers): close to the confusion the data
    # show when the true labels are known.
    answers = mixed_crowd.answers
    empirical = np.zeros((30, N_LABELS, N_LABELS))
    np.add.at(empirical, (answers.workers, mixed_crowd.truth[answers.tasks], answers.labels), 1)
    empirical /= empirical.sum(axis=2, keepdims=True)
    assert np.abs(result.confusions - empirical).max() < 0.07
    assert 1 <= result.iterations < 100


def test_dawid_skene_beats_majority_vote_when_a_third_of_workers_are_biased(mixed_crowd):
    truth = mixed_crowd.truth
    ds = dawid_skene(mixed_crowd.answers)
    mv = majority_vote(mixed_crowd.answers)

    assert accuracy(ds.labels, truth) > accuracy(mv.labels, truth) + 0.03
    assert accuracy(ds.labels, truth) > 0.9
    np.testing.assert_allclose(ds.posteriors.sum(axis=1), 1.0)
    np.testing.assert_allclose(ds.confidence, ds.posteriors.max(axis=1))
    np.testing.assert_allclose(ds.priors, np.bincount(truth) / truth.size, atol=0.03)
    # The skill of a biased worker is about the chance level, an honest one's far above.
    assert ds.skills[20:].max() < 0.5
    assert ds.skills[:20].min() > 0.6


def test_gold_tasks_keep_their_label_and_full_confidence(mixed_crowd):
    truth = mixed_crowd.truth
    tasks = np.arange(0, 3000, 10)
    wrong = (truth[tasks] + 1) % N_LABELS  # deliberately not the simulated truth
    gold = Gold(tasks=tasks, labels=wrong)

    result = dawid_skene(mixed_crowd.answers, gold=gold)

    assert np.array_equal(result.labels[tasks], wrong)
    assert np.all(result.confidence[tasks] == 1.0)
    assert np.all(result.posteriors[tasks, wrong] == 1.0)


def test_gold_improves_accuracy_with_adversarial_workers():
    # 6 honest workers (accuracy 0.7) and 6 adversaries who answer the next class when they
    # are confident: without gold, DS cannot tell which group is honest reliably.
    adversary = np.roll(np.eye(N_LABELS) * 0.8, 1, axis=1) + 0.2 / N_LABELS
    adversary /= adversary.sum(axis=1, keepdims=True)
    matrices = np.stack([honest_matrix(0.7, N_LABELS)] * 6 + [adversary] * 6)
    crowd = simulate(matrices, n_tasks=1500, per_task=6, seed=21)
    gold_tasks = np.arange(0, 1500, 25)
    scored = np.ones(1500, dtype=bool)
    scored[gold_tasks] = False

    without = dawid_skene(crowd.answers)
    with_gold = dawid_skene(crowd.answers, gold=crowd.gold(gold_tasks))

    assert accuracy(with_gold.labels, crowd.truth, scored) > 0.85
    assert accuracy(with_gold.labels, crowd.truth, scored) > (
        accuracy(without.labels, crowd.truth, scored) + 0.05
    )
    # With gold, the adversaries' matrices are recovered: they answer the next class.
    assert with_gold.confusions[6:, 0, 1].mean() > 0.7


def test_prior_confusion_shifts_a_workers_estimate():
    matrices = np.stack([honest_matrix(0.8, N_LABELS)] * 8)
    crowd = simulate(matrices, n_tasks=40, per_task=3, seed=8)
    prior = np.zeros((8, N_LABELS, N_LABELS))
    # Worker 0's history: 200 answers, always "class 2" when the truth was 0.
    prior[0, 0, 2] = 200.0

    plain = dawid_skene(crowd.answers)
    shifted = dawid_skene(crowd.answers, prior_confusion=prior)

    assert shifted.confusions[0, 0, 2] > 0.8
    assert plain.confusions[0, 0, 2] < 0.3
    # Where worker 0 answered 2, the truth now looks more like 0.
    answers = crowd.answers
    tasks = answers.tasks[(answers.workers == 0) & (answers.labels == 2)]
    assert tasks.size
    assert np.all(shifted.posteriors[tasks, 0] > plain.posteriors[tasks, 0])


def test_smoothing_keeps_a_worker_with_one_answer_from_being_trusted_blindly():
    # Three workers agree on task 0; a fourth worker answered once, elsewhere.
    answers = Answers(
        tasks=np.array([0, 0, 0, 1]),
        workers=np.array([0, 1, 2, 3]),
        labels=np.array([1, 1, 1, 0]),
        n_tasks=2,
        n_workers=4,
        n_labels=3,
    )
    result = dawid_skene(answers)

    assert result.labels.tolist() == [1, 0]
    assert result.confusions[3].max() < 0.8
    assert 0.4 < result.confidence[1] < 0.95
    assert result.confidence[0] > result.confidence[1]


def test_one_coin_estimates_one_accuracy_per_worker():
    accuracies = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.34])
    matrices = np.stack([honest_matrix(q, N_LABELS) for q in accuracies])
    crowd = simulate(matrices, n_tasks=4000, per_task=4, seed=13)

    result = one_coin_dawid_skene(crowd.answers)

    np.testing.assert_allclose(result.skills, accuracies, atol=0.04)
    assert result.confusions is None
    assert accuracy(result.labels, crowd.truth) >= accuracy(
        majority_vote(crowd.answers).labels, crowd.truth
    )


def test_one_coin_prior_counts_and_gold():
    matrices = np.stack([honest_matrix(0.8, N_LABELS)] * 6)
    crowd = simulate(matrices, n_tasks=30, per_task=3, seed=4)
    prior = np.zeros((6, 2))
    prior[2] = (0.0, 300.0)  # worker 2's history: 300 answers, none right

    result = one_coin_dawid_skene(crowd.answers, prior_counts=prior, gold=crowd.gold(np.arange(5)))

    assert result.skills[2] < 0.05
    assert result.skills[[0, 1, 3, 4, 5]].min() > 0.5
    assert np.array_equal(result.labels[:5], crowd.truth[:5])
    with pytest.raises(ValueError, match="correct <= answered"):
        one_coin_dawid_skene(crowd.answers, prior_counts=np.tile([3.0, 1.0], (6, 1)))


def test_results_do_not_depend_on_the_order_of_the_answers(mixed_crowd):
    answers = mixed_crowd.answers
    order = np.random.default_rng(0).permutation(answers.n_answers)
    shuffled = Answers(
        tasks=answers.tasks[order],
        workers=answers.workers[order],
        labels=answers.labels[order],
        n_tasks=answers.n_tasks,
        n_workers=answers.n_workers,
        n_labels=answers.n_labels,
    )
    for method in (dawid_skene, one_coin_dawid_skene):
        first, second = method(answers), method(shuffled)
        assert np.array_equal(first.labels, second.labels)
        np.testing.assert_allclose(first.posteriors, second.posteriors, atol=1e-9)


@pytest.mark.parametrize("method", [dawid_skene, one_coin_dawid_skene])
def test_edge_cases(method):
    one = Answers(np.array([0]), np.array([0]), np.array([1]), 1, 1, 3)
    result = method(one)
    assert result.labels.tolist() == [1]
    assert 1 / 3 < result.confidence[0] < 1.0

    # One worker, a label nobody used (2), a task nobody answered (3) and a worker without
    # answers (1).
    answers = Answers(
        tasks=np.array([0, 1, 2]),
        workers=np.array([0, 0, 0]),
        labels=np.array([0, 1, 0]),
        n_tasks=4,
        n_workers=2,
        n_labels=3,
    )
    result = method(answers)
    assert result.labels.tolist() == [0, 1, 0, -1]
    assert result.confidence[3] == 0.0
    np.testing.assert_allclose(result.posteriors[3], 1 / 3)
    assert np.all(np.isfinite(result.posteriors))
    assert result.priors[2] < result.priors[0]
    assert result.skills.shape == (2,)

    empty = Answers(np.zeros(0), np.zeros(0), np.zeros(0), 0, 0, 2)
    with pytest.raises(ValueError, match="no answers"):
        method(empty)


def test_max_iter_and_tolerance_are_checked(mixed_crowd):
    result = dawid_skene(mixed_crowd.answers, max_iter=1)
    assert result.iterations == 1
    with pytest.raises(ValueError, match="max_iter"):
        dawid_skene(mixed_crowd.answers, max_iter=0)
    with pytest.raises(ValueError, match="prior_confusion must have shape"):
        dawid_skene(mixed_crowd.answers, prior_confusion=np.zeros((2, 3, 3)))


def test_one_answer_per_task_keeps_the_prior_model_instead_of_drifting():
    # Nobody's errors can be told apart from the truth: the answers stand (as a vote would).
    matrices = np.stack([honest_matrix(0.75, N_LABELS)] * 20)
    crowd = simulate(matrices, n_tasks=3000, per_task=1, seed=17)
    result = dawid_skene(crowd.answers)

    assert np.array_equal(result.labels, crowd.answers.labels[np.argsort(crowd.answers.tasks)])
    assert result.iterations == 1
    np.testing.assert_allclose(result.confusions[:, 0, 0], 2 / 3)
    # With gold the workers' matrices are identified again and EM runs.
    gold = crowd.gold(np.arange(0, 3000, 5))
    assert dawid_skene(crowd.answers, gold=gold).iterations > 1


def test_smoothed_confusions_are_the_m_step_of_dawid_skene(mixed_crowd):
    result = dawid_skene(mixed_crowd.answers)
    answers = mixed_crowd.answers
    expected_counts = np.zeros((30, N_LABELS, N_LABELS))
    for true_label in range(N_LABELS):
        np.add.at(
            expected_counts[:, true_label],
            (answers.workers, answers.labels),
            result.posteriors[answers.tasks, true_label],
        )
    # One more M-step from the converged posteriors gives (almost) the same matrices.
    np.testing.assert_allclose(smoothed_confusions(expected_counts), result.confusions, atol=1e-3)
    # No answers: the prior alone, right 2/3 of the time before the shrinkage toward itself.
    empty = smoothed_confusions(np.zeros((1, 3, 3)))
    np.testing.assert_allclose(empty.sum(axis=2), 1.0)
    np.testing.assert_allclose(np.diag(empty[0]), 2 / 3)
    with pytest.raises(ValueError, match="counts must have shape"):
        smoothed_confusions(np.zeros((3, 3)))
