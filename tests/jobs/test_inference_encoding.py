"""encode(): arbitrary ids to integer-coded Answers and Gold; Answers' own checks."""

import numpy as np
import pytest

from jobs.inference import Answers, Gold, dawid_skene, encode


def test_encode_numbers_tasks_and_workers_in_first_seen_order_and_sorts_labels():
    answers, gold, task_names, worker_names, label_names = encode(
        ["img-9", "img-9", "img-1", "img-5"],
        ["zoe", "adam", "zoe", "bob"],
        ["dog", "cat", "dog", "bird"],
    )
    assert task_names == ["img-9", "img-1", "img-5"]
    assert worker_names == ["zoe", "adam", "bob"]
    assert label_names == ["bird", "cat", "dog"]
    assert answers.tasks.tolist() == [0, 0, 1, 2]
    assert answers.workers.tolist() == [0, 1, 0, 2]
    assert answers.labels.tolist() == [2, 1, 2, 0]
    assert (answers.n_tasks, answers.n_workers, answers.n_labels) == (3, 3, 3)
    assert gold is None


def test_encode_with_label_names_and_gold_tasks_without_answers():
    answers, gold, task_names, _, label_names = encode(
        [10, 11, 11],
        ["w1", "w1", "w2"],
        ["no", "yes", "yes"],
        label_names=["yes", "no", "maybe"],
        gold={11: "yes", 99: "maybe", 10: "no"},
    )
    assert label_names == ["yes", "no", "maybe"]
    assert answers.labels.tolist() == [1, 0, 0]
    assert task_names == [10, 11, 99]
    assert answers.n_tasks == 3
    assert gold.tasks.tolist() == [1, 2, 0]
    assert gold.labels.tolist() == [0, 2, 1]

    result = dawid_skene(answers, gold=gold)
    assert result.labels.tolist() == [1, 0, 2]
    assert result.confidence.tolist() == [1.0, 1.0, 1.0]


def test_encode_adds_gold_labels_nobody_answered_to_the_default_label_set():
    answers, gold, _, _, label_names = encode(["a", "b"], ["w", "w"], ["x", "y"], gold={"a": "z"})
    assert label_names == ["x", "y", "z"]
    assert answers.n_labels == 3
    assert gold.labels.tolist() == [2]


def test_encode_accepts_mixed_and_tuple_ids():
    answers, _, task_names, worker_names, _ = encode(
        [("a", 1), ("a", 1), 7], ["w", 3, "w"], [1, 1, 2]
    )
    assert task_names == [("a", 1), 7]
    assert worker_names == ["w", 3]
    assert answers.tasks.tolist() == [0, 0, 1]


def test_encode_refuses_bad_input():
    with pytest.raises(ValueError, match="no answers"):
        encode([], [], [])
    with pytest.raises(ValueError, match="same length"):
        encode(["a", "b"], ["w"], ["x", "y"])
    with pytest.raises(ValueError, match="not in label_names: \\['maybe'\\]"):
        encode(["a"], ["w"], ["maybe"], label_names=["yes", "no"])
    with pytest.raises(ValueError, match="gold uses labels that are not in label_names"):
        encode(["a"], ["w"], ["yes"], label_names=["yes", "no"], gold={"a": "perhaps"})
    with pytest.raises(ValueError, match="gold task 'a' has no label"):
        encode(["a"], ["w"], ["yes"], gold={"a": None})


def test_answers_checks_its_arrays():
    with pytest.raises(ValueError, match="same length"):
        Answers(np.array([0, 1]), np.array([0]), np.array([0]), 2, 1, 1)
    with pytest.raises(ValueError, match="labels must lie in 0..n_labels-1"):
        Answers(np.array([0]), np.array([0]), np.array([3]), 1, 1, 2)
    with pytest.raises(ValueError, match="integer indices"):
        Answers(np.array([0.5]), np.array([0]), np.array([0]), 1, 1, 2)
    with pytest.raises(ValueError, match="n_labels must be at least 1"):
        Answers(np.zeros(0), np.zeros(0), np.zeros(0), 0, 0, 0)
    answers = Answers([0, 1], [0, 0], [1, 0], 2, 1, 2)
    assert answers.tasks.dtype == np.intp
    assert answers.n_answers == 2
    gold = Gold([1, 1], [0, 0])  # the same label twice is fine
    assert gold.tasks.tolist() == [1, 1]


def test_encode_accepts_labels_of_mixed_types():
    answers, _, _, _, label_names = encode(["a", "a", "b"], ["w", "v", "w"], [1, "one", 1])
    assert label_names == ["one", 1]  # values that do not sort together are sorted by repr
    assert answers.labels.tolist() == [1, 0, 1]
