"""The task-type registry and the two single-label classification types."""

import pytest
from django.template.loader import render_to_string

from jobs.tasktypes import REGISTRY, task_type_choices, task_type_get
from jobs.tasktypes.base import AnswerInvalid, Consolidation, TaskType
from jobs.tasktypes.image_classification import ImageClassification
from jobs.tasktypes.text_classification import TextClassification
from marketplace.exceptions import InvalidInput

LABELS = ["cat", "dog", "bird"]
image = task_type_get("image-classification")
text = task_type_get("text-classification")


# The registry.


def test_registry_holds_both_types_by_key():
    assert set(REGISTRY) == {
        "image-classification",
        "text-classification",
        "label-verification",
        "label-adjustment",
    }
    assert isinstance(REGISTRY["image-classification"], ImageClassification)
    assert isinstance(REGISTRY["text-classification"], TextClassification)
    assert all(isinstance(task_type, TaskType) for task_type in REGISTRY.values())


def test_task_type_get_unknown_key_names_the_known_keys():
    with pytest.raises(InvalidInput) as error:
        task_type_get("bounding-box")

    assert error.value.fields == {
        "task_type": [
            'Unknown task type "bounding-box". Known task types: '
            '"image-classification", "text-classification", "label-verification", '
            '"label-adjustment".'
        ]
    }


@pytest.mark.parametrize("key", [None, 3, "", "Image-Classification"])
def test_task_type_get_refuses_non_keys(key):
    with pytest.raises(InvalidInput) as error:
        task_type_get(key)

    assert list(error.value.fields) == ["task_type"]


def test_task_type_choices_pairs_keys_with_names():
    assert task_type_choices() == [
        ("image-classification", "Image classification (single label)"),
        ("text-classification", "Text classification (single label)"),
        ("label-verification", "Label verification"),
        ("label-adjustment", "Label adjustment"),
    ]


def test_type_declarations():
    assert (image.output_type, image.source_key, image.template) == (
        "groundtruth/image-classification",
        "source-ref",
        "tasks/image_classification.html",
    )
    assert (text.output_type, text.source_key, text.template) == (
        "groundtruth/text-classification",
        "source",
        "tasks/text_classification.html",
    )
    for task_type in (image, text):
        assert (task_type.min_labels, task_type.max_labels) == (2, None)
        assert task_type.export_formats == ("manifest",)


# Manifest lines.


@pytest.mark.parametrize(
    "source_ref",
    [
        "https://example.com/images/1.png",
        "http://example.com/a.jpg?x=1",
        "HTTPS://EXAMPLE.COM/A.PNG",
        "s3://bucket/images/1.png",
        "images/1.png",
        "1.png",
        "jobs/12/a b.png",
        "images/..hidden/1.png",
    ],
)
def test_image_line_accepts_urls_s3_and_storage_paths(source_ref):
    assert image.validate_manifest_line({"source-ref": source_ref, "extra": 1}) == []


@pytest.mark.parametrize(
    ("source_ref", "reason"),
    [
        ("file:///etc/passwd", 'not a "file:" reference'),
        ("javascript:alert(1)", 'not a "javascript:" reference'),
        ("JavaScript:alert(1)", 'not a "javascript:" reference'),
        ("data:image/png;base64,AAAA", 'not a "data:" reference'),
        ("ftp://example.com/a.png", 'not a "ftp:" reference'),
        ("/etc/passwd", 'no leading "/"'),
        ("//evil.example.com/a.png", 'no leading "/"'),
        ("..\\secret.png", 'no leading "/" or "\\"'),
        ("../secret.png", '".." segments'),
        ("images/../../secret.png", '".." segments'),
        ("https://", "names no host or bucket"),
        ("s3://bucket", "names a bucket but no object key"),
        ("s3://bucket/", "names a bucket but no object key"),
        (" https://example.com/a.png", "spaces at its ends or control characters"),
        ("images/a\n.png", "spaces at its ends or control characters"),
        ("http://[::1/a.png", "not a valid URL or path"),
        ("", "must be a non-empty string"),
        (7, "must be a non-empty string"),
        (None, "must be a non-empty string"),
    ],
)
def test_image_line_refuses_bad_source_refs(source_ref, reason):
    problems = image.validate_manifest_line({"source-ref": source_ref})

    assert len(problems) == 1
    assert reason in problems[0]


def test_text_line_accepts_inline_text():
    assert text.validate_manifest_line({"source": "The food was great.", "id": 4}) == []


@pytest.mark.parametrize("source", ["", "   ", 5, None, ["a"]])
def test_text_line_refuses_empty_or_non_string_text(source):
    assert text.validate_manifest_line({"source": source}) == [
        '"source" must be a non-empty string.'
    ]


def test_wrong_source_key_for_the_type_is_named():
    assert text.validate_manifest_line({"source-ref": "s3://bucket/a.txt"}) == [
        'The line has "source-ref", but text-classification needs "source".'
    ]
    assert image.validate_manifest_line({"source": "some text"}) == [
        'The line has "source", but image-classification needs "source-ref".'
    ]


def test_line_without_a_source_key():
    assert image.validate_manifest_line({"other": 1}) == ['The line has no "source-ref".']


@pytest.mark.parametrize("line", [[], "text", 3, None])
def test_line_must_be_an_object(line):
    assert text.validate_manifest_line(line) == ["The line must be a JSON object."]


# Answers.


@pytest.mark.parametrize("task_type", [image, text])
def test_valid_answer_comes_back_in_normal_form(task_type):
    assert task_type.validate_answer({"label": "dog"}, labels=LABELS) == {"label": "dog"}


@pytest.mark.parametrize(
    ("answer", "fields"),
    [
        ({"label": "x"}, {"label": ['"x" is not one of the job\'s labels.']}),
        ({"label": "Dog"}, {"label": ['"Dog" is not one of the job\'s labels.']}),
        ({}, {"label": ["This field is required."]}),
        ({"label": 1}, {"label": ["Must be a string: one of the job's labels."]}),
        ({"label": None}, {"label": ["Must be a string: one of the job's labels."]}),
        ({"label": ["dog"]}, {"label": ["Must be a string: one of the job's labels."]}),
        (
            {"label": "dog", "label_index": 1, "comment": "hm"},
            {"comment": ["Unknown field."], "label_index": ["Unknown field."]},
        ),
        (
            {"labels": ["dog"]},
            {"labels": ["Unknown field."], "label": ["This field is required."]},
        ),
        (
            {"label": "x", "extra": 1},
            {"extra": ["Unknown field."], "label": ['"x" is not one of the job\'s labels.']},
        ),
    ],
)
def test_invalid_answers_name_their_fields(answer, fields):
    with pytest.raises(AnswerInvalid) as error:
        image.validate_answer(answer, labels=LABELS)

    assert error.value.fields == fields


@pytest.mark.parametrize("answer", ["dog", ["dog"], 1, None])
def test_answer_must_be_an_object(answer):
    with pytest.raises(AnswerInvalid) as error:
        text.validate_answer(answer, labels=LABELS)

    assert error.value.fields == {
        "non_field_errors": ['The answer must be a JSON object: {"label": "<name>"}.']
    }


def test_answers_match_on_the_same_label_only():
    assert image.answers_match({"label": "dog"}, {"label": "dog"})
    assert not image.answers_match({"label": "dog"}, {"label": "cat"})
    assert text.answers_match({"label": "cat"}, {"label": "cat"}, tolerance=0.5)


# Consolidation: a task type codes answers into categories for jobs.inference and turns
# the inferred category and its posterior into Ground Truth's label.


def test_an_answer_is_coded_as_its_labels_index():
    assert [image.answer_category({"label": name}, labels=LABELS) for name in LABELS] == [0, 1, 2]
    assert text.categories(labels=LABELS) == LABELS


def test_the_label_is_the_class_index_with_its_name_and_the_posterior_to_two_places():
    answers = [{"label": "bird"}, {"label": "dog"}, {"label": "bird"}]

    assert text.consolidated(
        category=2, confidence=0.6666, answers=answers, labels=LABELS, data={}
    ) == Consolidation(label=2, confidence=0.67, metadata={"class-name": "bird"})


def test_one_workers_answer_has_confidence_zero_as_in_ground_truth():
    assert image.consolidated(
        category=0, confidence=0.9, answers=[{"label": "cat"}], labels=LABELS, data={}
    ) == Consolidation(label=0, confidence=0.0, metadata={"class-name": "cat"})


def test_image_template_shows_the_image_and_numbered_label_buttons(db):
    labels = [f"label{n}" for n in range(1, 11)]
    html = render_to_string(
        image.template,
        {
            "job": {"title": "Animals", "labels": labels, "task_type": image.key},
            "assignment": {"assignment_id": "A" * 30},
            "source_url": "https://example.com/1.png?sig=a&b=c",
            "done_count": 4,
        },
    )

    assert 'src="https://example.com/1.png?sig=a&amp;b=c"' in html
    assert "4 done in this job" in html
    for number in range(1, 10):
        assert f'value="label{number}" data-key="{number}"' in html
    assert 'value="label10">' in html  # no shortcut past 9
    assert 'value="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"' in html


def test_text_template_shows_the_text_escaped(db):
    html = render_to_string(
        text.template,
        {
            "job": {
                "title": "Sentiment",
                "labels": ["positive", "negative"],
                "short_instructions": "<p>Pick <b>one</b>.</p>",
            },
            "assignment": {"assignment_id": "B" * 30},
            "data_object": {"data": {"source": "Great <script>alert(1)</script>\nfood"}},
        },
    )

    assert "Great &lt;script&gt;alert(1)&lt;/script&gt;<br>food" in html
    assert "<script>alert(1)" not in html
    assert "<p>Pick <b>one</b>.</p>" in html  # stored instructions are already sanitized
    assert 'value="positive" data-key="1"' in html
    assert 'value="negative" data-key="2"' in html
