"""The label verification and label adjustment task types: the prior label on a manifest
line, the answers they take, and their Ground Truth outputs through the categorical
consolidation interface (`consolidated`)."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from jobs.services.chaining import job_chain
from jobs.services.dispatch import assignment_claim_next
from jobs.services.jobs import job_launch
from jobs.tasktypes import REGISTRY, task_type_get
from jobs.tasktypes.audit import prior_label
from jobs.tasktypes.base import AnswerInvalid, Consolidation
from jobs.tasktypes.label_adjustment import LabelAdjustment
from jobs.tasktypes.label_verification import COMMENT_MAX, LabelVerification
from tests.jobs.audit_support import labeled_source
from tests.jobs.lifecycle import fresh, workers
from tests.snapshots import database_snapshot

verification = task_type_get("label-verification")
adjustment = task_type_get("label-adjustment")
VERIFY = ["Correct", "Incorrect"]
ANIMALS = ["cat", "dog", "bird"]


def line(*, class_name="dog", value=1, created="2026-12-01T10:00:00.000000", **extra) -> dict:
    """A source job's output line: an image, the label under "category" and its metadata."""
    return {
        "source-ref": "https://example.com/a.png",
        "category": value,
        "category-metadata": {
            "class-name": class_name,
            "confidence": 0.67,
            "type": "groundtruth/image-classification",
            "job-name": "animals",
            "human-annotated": "yes",
            "creation-date": created,
        },
        **extra,
    }


def test_both_types_are_registered_with_their_declarations():
    assert isinstance(REGISTRY["label-verification"], LabelVerification)
    assert isinstance(REGISTRY["label-adjustment"], LabelAdjustment)
    assert (verification.output_type, verification.template) == (
        "groundtruth/label-verification",
        "tasks/label_verification.html",
    )
    assert adjustment.template == "tasks/label_adjustment.html"
    assert (verification.min_labels, adjustment.min_labels) == (2, 2)


# The prior label.


def test_prior_label_reads_the_named_attribute():
    prior = prior_label(line(), attribute="category")

    assert (prior.attribute, prior.class_name, prior.value) == ("category", "dog", 1)
    assert prior_label(line(), attribute="missing") is None
    assert prior_label(line(), attribute="category-metadata") is None
    assert prior_label(line(), attribute="source-ref") is None


def test_without_an_attribute_the_newest_class_label_that_is_not_a_judgment_wins():
    data = line(created="2026-12-01T10:00:00.000000")
    data["adjusted"] = 0
    data["adjusted-metadata"] = {"class-name": "cat", "creation-date": "2026-12-02T10:00:00"}
    data["checked"] = 1
    data["checked-metadata"] = {
        "class-name": "Incorrect",
        "type": "groundtruth/label-verification",
        "creation-date": "2026-12-03T10:00:00",
    }

    assert prior_label(data).attribute == "adjusted"
    assert prior_label(line()).attribute == "category"


@pytest.mark.parametrize(
    "data",
    [
        {"source-ref": "https://example.com/a.png"},
        {"source-ref": "https://example.com/a.png", "category": 1},
        {"source-ref": "https://example.com/a.png", "category": 1, "category-metadata": []},
        {"source-ref": "x", "category": 1, "category-metadata": {"confidence": 1}},
        {"source-ref": "x", "category": 1, "category-metadata": {"class-name": ""}},
        "not a line",
    ],
)
def test_a_line_without_a_class_label_has_no_prior(data):
    assert prior_label(data) is None


# Manifest lines.


@pytest.mark.parametrize("task_type", [verification, adjustment])
def test_a_source_output_line_with_an_image_or_a_text_is_accepted(task_type):
    text = line()
    del text["source-ref"]
    text["source"] = "A dog barks."

    assert task_type.validate_manifest_line(line()) == []
    assert task_type.validate_manifest_line(text) == []


@pytest.mark.parametrize("task_type", [verification, adjustment])
def test_a_line_needs_an_object_and_a_prior_label(task_type):
    no_label = {"source-ref": "https://example.com/a.png"}
    no_object = line()
    del no_object["source-ref"]
    bad_ref = line()
    bad_ref["source-ref"] = "javascript:alert(1)"

    assert "no label to audit" in task_type.validate_manifest_line(no_label)[0]
    assert task_type.validate_manifest_line(no_object) == [
        'The line has no "source-ref" (an image) or "source" (a text).'
    ]
    assert "javascript" in task_type.validate_manifest_line(bad_ref)[0]
    assert task_type.validate_manifest_line([]) == ["The line must be a JSON object."]


# Answers.


def test_a_verification_answer_is_a_judgment_and_an_optional_comment():
    assert verification.validate_answer({"label": "Correct"}, labels=VERIFY) == {"label": "Correct"}
    assert verification.validate_answer(
        {"label": "Incorrect", "comment": "  It is a cat.  "}, labels=VERIFY
    ) == {"label": "Incorrect", "comment": "It is a cat."}
    # A blank or null comment is no comment.
    assert verification.validate_answer({"label": "Correct", "comment": "   "}, labels=VERIFY) == {
        "label": "Correct"
    }
    assert verification.validate_answer({"label": "Correct", "comment": None}, labels=VERIFY) == {
        "label": "Correct"
    }
    assert verification.validate_answer(
        {"label": "Correct", "comment": "x" * COMMENT_MAX}, labels=VERIFY
    ) == {"label": "Correct", "comment": "x" * COMMENT_MAX}


@pytest.mark.parametrize(
    ("answer", "fields"),
    [
        ({"label": "Correct", "comment": "x" * (COMMENT_MAX + 1)}, ["comment"]),
        ({"label": "Correct", "comment": 3}, ["comment"]),
        ({"label": "dog"}, ["label"]),
        ({"comment": "no label"}, ["label"]),
        ({"label": "Correct", "extra": 1}, ["extra"]),
        ({"label": "Maybe", "comment": 3}, ["comment", "label"]),
        ("Correct", ["non_field_errors"]),
    ],
)
def test_bad_verification_answers_name_their_fields(answer, fields):
    with pytest.raises(AnswerInvalid) as error:
        verification.validate_answer(answer, labels=VERIFY)

    assert sorted(error.value.fields) == fields


def test_an_adjustment_answer_is_one_of_the_source_labels():
    assert adjustment.validate_answer({"label": "bird"}, labels=ANIMALS) == {"label": "bird"}
    with pytest.raises(AnswerInvalid) as error:
        adjustment.validate_answer({"label": "bird", "comment": "no"}, labels=ANIMALS)
    assert list(error.value.fields) == ["comment"]
    with pytest.raises(AnswerInvalid):
        adjustment.validate_answer({"label": "Correct"}, labels=ANIMALS)


def test_answers_are_compared_by_label():
    assert verification.answers_match({"label": "Correct", "comment": "a"}, {"label": "Correct"})
    assert not adjustment.answers_match({"label": "cat"}, {"label": "dog"})
    assert verification.consolidated_answer(label=0, metadata={"class-name": "Correct"}) == {
        "label": "Correct"
    }


# Consolidation: both interfaces give the same Ground Truth output.


def test_verification_consolidates_the_judgments_with_the_comments_as_worker_feedback():
    answers = [
        {"label": "Incorrect", "comment": "It is a cat."},
        {"label": "Correct"},
        {"label": "Incorrect", "comment": "Cat, clearly"},
    ]
    expected = Consolidation(
        label=1,
        confidence=0.67,
        metadata={
            "class-name": "Incorrect",
            "worker-feedback": [{"comment": "It is a cat."}, {"comment": "Cat, clearly"}],
        },
    )

    assert (
        verification.consolidated(
            category=verification.answer_category(answers[0], labels=VERIFY),
            confidence=0.6667,
            answers=answers,
            labels=VERIFY,
            data=line(),
        )
        == expected
    )


def test_one_verification_without_comments_has_empty_feedback_and_confidence_zero():
    result = verification.consolidated(
        category=0, confidence=1.0, answers=[{"label": "Correct"}], labels=VERIFY, data=line()
    )

    assert result == Consolidation(
        label=0, confidence=0.0, metadata={"class-name": "Correct", "worker-feedback": []}
    )


@pytest.mark.parametrize(
    ("labels", "status", "label", "class_name"),
    [
        (["dog", "dog"], "unadjusted", 1, "dog"),
        (["dog", "cat", "dog"], "adjusted", 1, "dog"),  # one worker changed it: adjusted
        (["bird", "bird"], "adjusted", 2, "bird"),
    ],
)
def test_adjustment_reports_whether_any_worker_changed_the_prior_label(
    labels, status, label, class_name
):
    answers = [{"label": name} for name in labels]
    data = line(class_name="dog")
    category = ANIMALS.index(class_name)

    result = adjustment.consolidated(
        category=category, confidence=0.9, answers=answers, labels=ANIMALS, data=data
    )

    assert result.label == label
    assert result.metadata == {"class-name": class_name, "adjustment-status": status}


# The worker's task pages.


def audit_task(capture, kind: str, *, prior: str = "dog"):
    """A worker's client, assignment and task page URL in a launched audit job chained
    from a source whose one object got the label `prior`."""
    source, actor = labeled_source(capture, labels=[prior])
    job = job_chain(
        actor=actor,
        source_job=source,
        kind=kind,
        name=f"audit-{kind}",
        label_attribute_name="audited",
        workers_per_object=1,
    ).job
    job = job_launch(actor=actor, job=job)
    (worker,) = workers(1)
    client = APIClient()
    client.force_login(worker.user)
    assignment = assignment_claim_next(worker=worker, job=job)
    return client, assignment, reverse("work_task", args=[assignment.assignment_id])


@pytest.mark.django_db
def test_the_verification_page_shows_the_prior_label_and_takes_a_comment(
    django_capture_on_commit_callbacks,
):
    client, assignment, url = audit_task(django_capture_on_commit_callbacks, "verification")

    page = client.get(url).content.decode()
    assert "data-prior-label>dog</span>" in page
    assert 'name="comment"' in page
    assert 'value="Correct"' in page
    assert 'value="Incorrect"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"label": "Incorrect", "comment": " A bird, <b>really</b> "}, format="multipart"
        )

    assert response.status_code == 302
    assignment = fresh(assignment)
    assert assignment.answer == {"label": "Incorrect", "comment": "A bird, <b>really</b>"}
    metadata = fresh(assignment.hit.data_object).label_metadata
    assert metadata["worker-feedback"] == [{"comment": "A bird, <b>really</b>"}]


@pytest.mark.django_db
def test_a_too_long_comment_is_refused_on_the_page(django_capture_on_commit_callbacks):
    client, assignment, url = audit_task(django_capture_on_commit_callbacks, "verification")
    before = database_snapshot()

    response = client.post(
        url, {"label": "Correct", "comment": "x" * (COMMENT_MAX + 1)}, format="multipart"
    )

    assert response.status_code == 400
    assert "at most 1000 characters" in response.content.decode()
    assert database_snapshot() == before


@pytest.mark.django_db
def test_the_adjustment_page_preselects_the_prior_label(django_capture_on_commit_callbacks):
    client, assignment, url = audit_task(
        django_capture_on_commit_callbacks, "adjustment", prior="bird"
    )

    page = client.get(url).content.decode()
    assert "data-prior-label>bird</span>" in page
    selected = re.findall(r'<button type="submit" class="task-label selected"[^>]*>', page)
    assert len(selected) == 1
    assert 'value="bird"' in selected[0]
    assert "data-preselected" in selected[0]
    assert 'name="comment"' not in page
    response = client.post(url, {"label": "cat", "comment": "not here"}, format="multipart")
    assert response.status_code == 400  # an adjustment takes no comment
    assert fresh(assignment).status == "Accepted"


@pytest.mark.django_db
def test_the_worker_api_gives_an_audit_task_its_prior_label(django_capture_on_commit_callbacks):
    client, assignment, _url = audit_task(django_capture_on_commit_callbacks, "verification")

    response = client.get(f"/api/v1/work/assignments/{assignment.assignment_id}/")

    assert response.status_code == 200
    assert response.json()["data"] == {
        "source_url": "https://example.com/0.png",
        "text": None,
        "prior_label": "dog",
    }
    response = client.post(
        f"/api/v1/work/assignments/{assignment.assignment_id}/submit/",
        {"answer": {"label": "Correct", "comment": "Looks right."}},
        format="json",
    )
    assert response.status_code == 200
    assert fresh(assignment).answer == {"label": "Correct", "comment": "Looks right."}
