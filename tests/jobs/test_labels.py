"""Ground Truth's label-category configuration: both document versions and their quotas."""

import json

import pytest

from jobs.labels import label_config_parse
from jobs.tasktypes import task_type_get
from marketplace.exceptions import InvalidInput

image = task_type_get("image-classification")


def doc_2018(*labels, **extra) -> dict:
    return {"document-version": "2018-11-28", "labels": [{"label": n} for n in labels], **extra}


def doc_2020(*labels, **extra) -> dict:
    return {"documentVersion": "2020-03-01", "labels": [{"label": n} for n in labels], **extra}


def problems_of(document, **kwargs) -> list[str]:
    with pytest.raises(InvalidInput) as error:
        label_config_parse(document, **kwargs)
    assert list(error.value.fields) == ["label_category_config"]
    return error.value.fields["label_category_config"]


def test_2018_document_gives_the_names_in_order():
    assert label_config_parse(doc_2018("dog", "cat", "bird")) == ["dog", "cat", "bird"]


def test_2018_document_may_carry_instructions():
    document = doc_2018("PER", "ORG", instructions={"shortInstruction": "<p>Mark names</p>"})

    assert label_config_parse(document, task_type=image) == ["PER", "ORG"]


def test_2018_label_name_up_to_256_characters():
    long_name = "x" * 256

    assert label_config_parse(doc_2018(long_name, "y")) == [long_name, "y"]
    assert problems_of(doc_2018("x" * 257, "y")) == [
        'Label 1 ("xxxxxxxxxxxxxxxxxxxx…") is longer than 256 characters.'
    ]


def test_2020_document_with_its_extra_keys():
    document = {
        "documentVersion": "2020-03-01",
        "annotationType": "BoundingBox",
        "labels": [
            {
                "label": "car",
                "categoryAttributes": [{"name": "color", "type": "string", "enum": ["red"]}],
                "editsAllowed": "any",
            },
            {"label": "truck"},
        ],
        "categoryGlobalAttributes": [],
        "frameAttributes": [{"name": "weather", "type": "string", "description": "sky"}],
        "instructions": {"shortInstruction": "s", "fullInstruction": "f"},
    }

    assert label_config_parse(document, task_type=image) == ["car", "truck"]


def test_2020_label_names_1_to_16_characters():
    assert label_config_parse(doc_2020("x" * 16, "y")) == ["x" * 16, "y"]
    assert problems_of(doc_2020("x" * 17, "y")) == [
        'Label 1 ("xxxxxxxxxxxxxxxxx…") is longer than 16 characters.'
    ]


def test_2020_at_most_30_labels():
    names = [f"l{n}" for n in range(30)]

    assert label_config_parse(doc_2020(*names)) == names
    assert problems_of(doc_2020(*names, "l30")) == [
        "Document version 2020-03-01 allows at most 30 labels."
    ]


def test_2018_has_no_label_count_limit_for_classification():
    names = [f"label {n}" for n in range(500)]

    assert label_config_parse(doc_2018(*names), task_type=image) == names


def test_2020_category_and_frame_attribute_counts():
    document = {
        "documentVersion": "2020-03-01",
        "labels": [{"label": "car", "categoryAttributes": [{"name": f"a{n}"} for n in range(11)]}],
        "frameAttributes": [{"name": f"f{n}"} for n in range(11)],
    }

    assert problems_of(document) == [
        "Label 1 may have at most 10 category attributes, as a list.",
        "At most 10 frame attributes, as a list.",
    ]


def test_json_text_is_accepted():
    assert label_config_parse(json.dumps(doc_2018("a", "b"))) == ["a", "b"]
    assert label_config_parse(json.dumps(doc_2018("a", "b")).encode()) == ["a", "b"]


@pytest.mark.parametrize(
    ("document", "problems"),
    [
        ("{not json", ["The label category configuration is not valid JSON."]),
        (["dog", "cat"], ["The label category configuration must be a JSON object."]),
        (None, ["The label category configuration must be a JSON object."]),
        (
            {"labels": [{"label": "a"}, {"label": "b"}]},
            [
                'The document needs "document-version": "2018-11-28" or '
                '"documentVersion": "2020-03-01".'
            ],
        ),
        (
            {"document-version": "2019-01-01", "labels": [{"label": "a"}]},
            ['Unknown document version "2019-01-01": "document-version" must be "2018-11-28".'],
        ),
        (
            {"document-version": "2020-03-01", "labels": [{"label": "a"}]},
            ['Unknown document version "2020-03-01": "document-version" must be "2018-11-28".'],
        ),
        (
            {"documentVersion": "2018-11-28", "labels": [{"label": "a"}]},
            ['Unknown document version "2018-11-28": "documentVersion" must be "2020-03-01".'],
        ),
        (
            {"document-version": "2018-11-28", "documentVersion": "2020-03-01", "labels": []},
            ['Give either "document-version" or "documentVersion", not both.'],
        ),
        (
            {"document-version": "2018-11-28"},
            ['"labels" must be a non-empty list of {"label": "<name>"} objects.'],
        ),
        (
            {"document-version": "2018-11-28", "labels": []},
            ['"labels" must be a non-empty list of {"label": "<name>"} objects.'],
        ),
        (
            {"document-version": "2018-11-28", "labels": {"label": "a"}},
            ['"labels" must be a non-empty list of {"label": "<name>"} objects.'],
        ),
        (
            {"document-version": "2018-11-28", "labels": ["a", {"name": "b"}]},
            [
                'Label 1 must be an object with a "label".',
                'Label 2 must be an object with a "label".',
            ],
        ),
        (
            doc_2018("a", "", "   ", None),
            [
                "Label 2 must have a non-empty name.",
                "Label 3 must have a non-empty name.",
                "Label 4 must have a non-empty name.",
            ],
        ),
        (
            doc_2018("dog", "cat", "dog"),
            ['Label "dog" is listed more than once; labels must be unique.'],
        ),
        (
            doc_2018("a", "b", extra=1),
            ['Unknown key "extra" for document version 2018-11-28.'],
        ),
        (
            {"document-version": "2018-11-28", "labels": [{"label": "a", "editsAllowed": "any"}]},
            ['Label 1 has an unknown key "editsAllowed".'],
        ),
        (
            doc_2020("a", auditLabelAttributeName="old", frameAttributes="x"),
            ["At most 10 frame attributes, as a list."],
        ),
    ],
)
def test_bad_documents_are_refused_with_a_message_per_problem(document, problems):
    assert problems_of(document) == problems


def test_several_problems_are_reported_together():
    document = {
        "document-version": "2018-11-28",
        "labels": [{"label": "dog"}, {"label": "dog"}, {"label": ""}],
        "colour": "red",
    }

    assert problems_of(document, task_type=image) == [
        'Unknown key "colour" for document version 2018-11-28.',
        'Label "dog" is listed more than once; labels must be unique.',
        "Label 3 must have a non-empty name.",
    ]


@pytest.mark.parametrize("document", [doc_2018("only"), doc_2020("only")])
def test_classification_needs_two_labels(document):
    assert label_config_parse(document) == ["only"]
    assert problems_of(document, task_type=image) == [
        "Image classification (single label) needs at least 2 labels."
    ]


def test_task_type_maximum_applies():
    class ThreeAtMost:
        name = "A limited type"
        min_labels = 1
        max_labels = 3

    assert label_config_parse(doc_2018("a", "b", "c"), task_type=ThreeAtMost()) == ["a", "b", "c"]
    assert problems_of(doc_2018("a", "b", "c", "d"), task_type=ThreeAtMost()) == [
        "A limited type allows at most 3 labels."
    ]
