"""Agreement metrics against values computed by hand on small published fixtures."""

import math

import numpy as np
import pytest

from jobs.inference import (
    Answers,
    fleiss_kappa,
    krippendorff_alpha,
    per_label_agreement,
    percent_agreement,
    worker_agreement,
)

# Fleiss (1971) as reproduced on Wikipedia ("Fleiss' kappa", worked example): 10 items, 14
# raters each, 5 categories; counts of raters per category. P-bar = 0.378, P_e = 0.213,
# kappa = 0.210.
FLEISS_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), the nominal example with
# missing data: 4 observers (rows), 12 units (columns), None = no value. Alpha = 0.743.
KRIPPENDORFF_DATA = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def from_counts(counts) -> Answers:
    """One answer per rater: item i gets counts[i][j] answers of label j."""
    counts = np.asarray(counts)
    tasks, labels = [], []
    for item, row in enumerate(counts):
        for label, count in enumerate(row):
            tasks += [item] * int(count)
            labels += [label] * int(count)
    workers = np.concatenate([np.arange(row.sum()) for row in counts])
    return Answers(
        tasks=np.array(tasks),
        workers=workers,
        labels=np.array(labels),
        n_tasks=counts.shape[0],
        n_workers=int(workers.max()) + 1,
        n_labels=counts.shape[1],
    )


def from_observers(table, values) -> Answers:
    tasks, workers, labels = [], [], []
    for observer, row in enumerate(table):
        for unit, value in enumerate(row):
            if value is not None:
                tasks.append(unit)
                workers.append(observer)
                labels.append(values.index(value))
    return Answers(
        np.array(tasks), np.array(workers), np.array(labels), len(table[0]), len(table), len(values)
    )


def test_fleiss_kappa_on_the_fleiss_1971_example():
    answers = from_counts(FLEISS_COUNTS)
    assert fleiss_kappa(answers) == pytest.approx(0.210, abs=5e-4)
    assert percent_agreement(answers) == pytest.approx(0.378, abs=5e-4)


def test_fleiss_kappa_with_a_varying_number_of_raters():
    # Item 0: 3 raters, all label 0 (P = 1); item 1: 2 raters, 0 and 1 (P = 0); item 2: one
    # rater (skipped). P-bar = 0.5; pooled shares over the 5 answers: 4/5 and 1/5, so
    # P_e = 0.64 + 0.04 = 0.68 and kappa = (0.5 - 0.68) / (1 - 0.68) = -0.5625.
    answers = Answers(
        np.array([0, 0, 0, 1, 1, 2]), np.array([0, 1, 2, 0, 1, 0]), np.array([0, 0, 0, 0, 1, 1]),
        3, 3, 2,
    )  # fmt: skip
    assert fleiss_kappa(answers) == pytest.approx(-0.5625)


def test_per_label_kappa_matches_fleiss_per_category_formula():
    answers = from_counts(FLEISS_COUNTS)
    counts = np.array(FLEISS_COUNTS, dtype=float)
    n, items = 14, 10
    shares = counts.sum(axis=0) / counts.sum()
    # Fleiss (1971) eq. for category j with n raters per item:
    # kappa_j = 1 - sum_i n_ij (n - n_ij) / (N n (n - 1) p_j q_j)
    expected = [
        1 - sum(c * (n - c) for c in counts[:, j]) / (items * n * (n - 1) * p * (1 - p))
        for j, p in enumerate(shares)
    ]
    kappas = per_label_agreement(answers)
    np.testing.assert_allclose(kappas, expected)
    # Their average weighted by p_j q_j is the overall kappa.
    weights = shares * (1 - shares)
    assert (kappas * weights).sum() / weights.sum() == pytest.approx(fleiss_kappa(answers))


def test_krippendorff_alpha_on_the_textbook_nominal_example():
    answers = from_observers(KRIPPENDORFF_DATA, [1, 2, 3, 4, 5])
    assert krippendorff_alpha(answers) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_alpha_perfect_and_chance_agreement():
    perfect = from_counts([[3, 0], [0, 3], [3, 0]])
    assert krippendorff_alpha(perfect) == pytest.approx(1.0)
    # Every unit split evenly: observed disagreement exceeds what chance predicts.
    split = from_counts([[1, 1], [1, 1]])
    assert krippendorff_alpha(split) < 0


def test_percent_agreement_by_hand():
    # Task 0: labels 0, 0, 0 -> 6 of 6 ordered pairs agree (1).
    # Task 1: labels 0, 0, 1 -> 2 of 6 (1/3).
    # Task 2: labels 0, 1, 2, 2 -> 2 of 12 (1/6).
    # Task 3: one answer, skipped.  Mean: (1 + 1/3 + 1/6) / 3 = 0.5.
    answers = Answers(
        tasks=np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3]),
        workers=np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 0]),
        labels=np.array([0, 0, 0, 0, 0, 1, 0, 1, 2, 2, 1]),
        n_tasks=4,
        n_workers=4,
        n_labels=3,
    )
    assert percent_agreement(answers) == pytest.approx(0.5)


def test_undefined_agreement_is_nan():
    one_answer_each = Answers(np.array([0, 1]), np.array([0, 0]), np.array([0, 1]), 2, 1, 2)
    assert math.isnan(fleiss_kappa(one_answer_each))
    assert math.isnan(krippendorff_alpha(one_answer_each))
    assert math.isnan(percent_agreement(one_answer_each))
    assert np.isnan(per_label_agreement(one_answer_each)).all()
    everyone_same = from_counts([[2, 0], [3, 0]])
    assert math.isnan(fleiss_kappa(everyone_same))
    assert percent_agreement(everyone_same) == 1.0
    kappas = per_label_agreement(everyone_same)
    assert np.isnan(kappas).all()


def test_worker_agreement_counts_only_tasks_with_a_reference():
    answers = Answers(
        tasks=np.array([0, 0, 1, 1, 2, 2]),
        workers=np.array([0, 1, 0, 2, 1, 2]),
        labels=np.array([1, 1, 0, 1, 2, 2]),
        n_tasks=3,
        n_workers=4,
        n_labels=3,
    )
    answered, matched = worker_agreement(answers, np.array([1, 0, -1]))
    assert answered.tolist() == [2, 1, 1, 0]
    assert matched.tolist() == [2, 1, 0, 0]
    with pytest.raises(ValueError, match="reference must have shape"):
        worker_agreement(answers, np.array([1, 0]))
