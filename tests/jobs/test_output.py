"""The output manifest (Ground Truth's augmented manifest) and the raw worker responses."""

import json
from datetime import UTC, datetime, timedelta, timezone
from types import GeneratorType

import pytest

from jobs.models import AssignmentStatus, DataObject, DataObjectStatus
from jobs.output import output_line, output_manifest_lines, raw_responses_lines
from tests.jobs.factories import (
    AssignmentFactory,
    DataObjectFactory,
    HITFactory,
    LabelingJobFactory,
    RunningJobFactory,
)
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db

LABELED_AT = datetime(2018, 10, 18, 22, 18, 13, 527256, tzinfo=UTC)


def labeled(job, line_number, *, label=1, name="dog", confidence=0.67, **fields):
    return DataObjectFactory(
        job=job,
        line_number=line_number,
        data=fields.pop("data", {"source-ref": f"s3://bucket/{line_number}.png"}),
        status=fields.pop("status", DataObjectStatus.HUMAN_LABELED),
        label=label,
        label_metadata={"class-name": name},
        confidence=confidence,
        labeled_at=fields.pop("labeled_at", LABELED_AT),
        **fields,
    )


def test_output_line_has_ground_truths_exact_keys_and_types():
    job = LabelingJobFactory(name="identify-dogs-and-cats", label_attribute_name="species")
    data_object = labeled(
        job, 1, data={"source-ref": "s3://bucket/1.png", "camera": {"id": 4}, "note": "x"}
    )

    assert output_line(job=job, data_object=data_object) == {
        "source-ref": "s3://bucket/1.png",
        "camera": {"id": 4},
        "note": "x",
        "species": 1,
        "species-metadata": {
            "class-name": "dog",
            "confidence": 0.67,
            "type": "groundtruth/image-classification",
            "job-name": "identify-dogs-and-cats",
            "human-annotated": "yes",
            "creation-date": "2018-10-18T22:18:13.527256",
        },
    }


def test_output_line_overwrites_an_input_key_of_the_same_name():
    job = LabelingJobFactory(label_attribute_name="category")
    data_object = labeled(
        job,
        1,
        label=0,
        name="cat",
        confidence=0.0,
        data={"source-ref": "a.png", "category": "old", "category-metadata": {"stale": True}},
    )

    line = output_line(job=job, data_object=data_object)

    assert line["category"] == 0
    assert line["category-metadata"] == {
        "class-name": "cat",
        "confidence": 0.0,
        "type": "groundtruth/image-classification",
        "job-name": job.name,
        "human-annotated": "yes",
        "creation-date": "2018-10-18T22:18:13.527256",
    }
    assert data_object.data["category"] == "old"  # the stored input line is untouched


def test_output_line_machine_labeled_text_object():
    job = LabelingJobFactory(task_type="text-classification", label_attribute_name="sentiment")
    eastern = timezone(timedelta(hours=-5))
    data_object = labeled(
        job,
        1,
        label=0,
        name="positive",
        confidence=0.97,
        status=DataObjectStatus.MACHINE_LABELED,
        data={"source": "Great food"},
        labeled_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=eastern),
    )

    assert output_line(job=job, data_object=data_object) == {
        "source": "Great food",
        "sentiment": 0,
        "sentiment-metadata": {
            "class-name": "positive",
            "confidence": 0.97,
            "type": "groundtruth/text-classification",
            "job-name": job.name,
            "human-annotated": "no",
            "creation-date": "2024-01-02T08:04:05.000000",
        },
    }


@pytest.mark.parametrize("status", [DataObjectStatus.UNLABELED, DataObjectStatus.FAILED])
def test_output_line_of_an_object_without_a_label_is_its_input(status):
    job = LabelingJobFactory()
    data_object = DataObjectFactory(job=job, data={"source-ref": "a.png", "k": 1}, status=status)

    assert output_line(job=job, data_object=data_object) == {"source-ref": "a.png", "k": 1}


def test_output_manifest_streams_labeled_objects_in_line_order():
    job = LabelingJobFactory(label_attribute_name="animal")
    labeled(job, 3, label=2, name="bird", confidence=1.0)
    labeled(job, 1, label=0, name="cat", status=DataObjectStatus.MACHINE_LABELED)
    DataObjectFactory(job=job, line_number=2, status=DataObjectStatus.UNLABELED)
    DataObjectFactory(job=job, line_number=4, status=DataObjectStatus.FAILED)
    labeled(LabelingJobFactory(), 1)  # another job's object

    lines = output_manifest_lines(job=job)
    assert isinstance(lines, GeneratorType)
    lines = list(lines)

    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    parsed = [json.loads(line) for line in lines]
    assert [line["source-ref"] for line in parsed] == ["s3://bucket/1.png", "s3://bucket/3.png"]
    assert [(line["animal"], line["animal-metadata"]["human-annotated"]) for line in parsed] == [
        (0, "no"),
        (2, "yes"),
    ]
    assert parsed[1] == {
        "source-ref": "s3://bucket/3.png",
        "animal": 2,
        "animal-metadata": {
            "class-name": "bird",
            "confidence": 1.0,
            "type": "groundtruth/image-classification",
            "job-name": job.name,
            "human-annotated": "yes",
            "creation-date": "2018-10-18T22:18:13.527256",
        },
    }


def test_output_manifest_keeps_unicode_as_utf8():
    job = LabelingJobFactory(task_type="text-classification")
    labeled(job, 1, data={"source": "Très bien — 良い"})

    (line,) = output_manifest_lines(job=job)

    assert '"source":"Très bien — 良い"' in line


def test_output_manifest_of_a_job_without_labels_is_empty():
    job = LabelingJobFactory()
    DataObjectFactory(job=job)

    assert list(output_manifest_lines(job=job)) == []


def test_output_manifest_streams_many_objects_in_few_queries(django_assert_max_num_queries):
    job = LabelingJobFactory()
    DataObject.objects.bulk_create(
        DataObject(
            job=job,
            line_number=number,
            data={"source-ref": f"images/{number}.png"},
            status=DataObjectStatus.HUMAN_LABELED,
            label=number % 3,
            label_metadata={"class-name": job.labels[number % 3]},
            confidence=1.0,
            labeled_at=LABELED_AT,
        )
        for number in range(1, 5_001)
    )

    with django_assert_max_num_queries(2):
        count = 0
        for count, line in enumerate(output_manifest_lines(job=job), start=1):  # noqa: B007
            pass

    assert count == 5_000
    assert json.loads(line)["source-ref"] == "images/5000.png"


def submitted(hit, worker, *, status=AssignmentStatus.SUBMITTED, answer=None, minutes=0):
    accepted_at = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC) + timedelta(minutes=minutes)
    return AssignmentFactory(
        hit=hit,
        worker=worker,
        status=status,
        accepted_at=accepted_at,
        deadline=accepted_at + timedelta(minutes=5),
        submitted_at=accepted_at + timedelta(seconds=42),
        active_seconds=40,
        answer=answer or {"label": "dog"},
    )


def test_raw_responses_list_every_submitted_answer_and_nothing_else():
    job = RunningJobFactory()
    first_hit = HITFactory(job=job, data_object=DataObjectFactory(job=job, line_number=1))
    second_hit = HITFactory(job=job, data_object=DataObjectFactory(job=job, line_number=2))
    alice, bob = WorkerProfileFactory(), WorkerProfileFactory()
    late = submitted(second_hit, alice, status=AssignmentStatus.APPROVED, minutes=10)
    early = submitted(second_hit, bob, status=AssignmentStatus.REJECTED, answer={"label": "cat"})
    first = submitted(first_hit, bob, minutes=20)
    AssignmentFactory(hit=first_hit, worker=alice)  # still accepted: no answer yet
    AssignmentFactory(hit=first_hit, status=AssignmentStatus.RETURNED)
    submitted(HITFactory(), alice)  # another job

    lines = list(raw_responses_lines(job=job))

    assert [json.loads(line) for line in lines] == [
        {
            "LineNumber": 1,
            "HITId": first_hit.hit_id,
            "AssignmentId": first.assignment_id,
            "WorkerId": bob.worker_id,
            "AssignmentStatus": "Submitted",
            "AcceptTime": "2024-05-06T07:28:09.123Z",
            "SubmitTime": "2024-05-06T07:28:51.123Z",
            "ActiveSeconds": 40,
            "Answer": {"label": "dog"},
        },
        {
            "LineNumber": 2,
            "HITId": second_hit.hit_id,
            "AssignmentId": early.assignment_id,
            "WorkerId": bob.worker_id,
            "AssignmentStatus": "Rejected",
            "AcceptTime": "2024-05-06T07:08:09.123Z",
            "SubmitTime": "2024-05-06T07:08:51.123Z",
            "ActiveSeconds": 40,
            "Answer": {"label": "cat"},
        },
        {
            "LineNumber": 2,
            "HITId": second_hit.hit_id,
            "AssignmentId": late.assignment_id,
            "WorkerId": alice.worker_id,
            "AssignmentStatus": "Approved",
            "AcceptTime": "2024-05-06T07:18:09.123Z",
            "SubmitTime": "2024-05-06T07:18:51.123Z",
            "ActiveSeconds": 40,
            "Answer": {"label": "dog"},
        },
    ]
    text = "".join(lines)
    assert alice.user.email not in text
    assert bob.user.email not in text


def test_raw_responses_stream_in_few_queries(django_assert_max_num_queries):
    job = RunningJobFactory()
    worker = WorkerProfileFactory()
    for number in range(1, 31):
        hit = HITFactory(job=job, data_object=DataObjectFactory(job=job, line_number=number))
        submitted(hit, worker)

    with django_assert_max_num_queries(2):
        lines = list(raw_responses_lines(job=job))

    assert [json.loads(line)["LineNumber"] for line in lines] == list(range(1, 31))
