"""Keyboard shortcuts on the task page: digit labels keep their own key."""

import pytest
from django.template import Context, Template

from jobs.templatetags.tasks import label_shortcuts


def test_digit_labels_are_their_own_keys():
    labels = [str(digit) for digit in range(10)]

    assert label_shortcuts(labels) == [(label, label) for label in labels]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["cat", "dog"], [("cat", "1"), ("dog", "2")]),
        (["1", "2", "two"], [("1", "1"), ("2", "2"), ("two", "3")]),  # not all digits
        (["10", "20"], [("10", "1"), ("20", "2")]),  # not single digits
    ],
)
def test_other_labels_are_numbered_by_position(labels, expected):
    assert label_shortcuts(labels) == expected


def test_past_the_ninth_label_there_is_no_key():
    labels = [f"label {n}" for n in range(1, 12)]

    keys = [key for _label, key in label_shortcuts(labels)]

    assert keys == ["1", "2", "3", "4", "5", "6", "7", "8", "9", None, None]


def test_the_filter_is_usable_in_templates():
    template = Template(
        "{% load tasks %}{% for label, key in labels|label_shortcuts %}{{ key }}={{ label }};"
        "{% endfor %}"
    )

    assert template.render(Context({"labels": ["0", "7"]})) == "0=0;7=7;"
