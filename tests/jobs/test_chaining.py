"""Chaining: verification, adjustment and same-type jobs made from a source job's output
(Ground Truth's chaining rules), run end to end through dispatch and consolidation, and
the bad input that creates nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from jobs.models import DataObject, JobStatus, LabelingJob
from jobs.services.chaining import job_chain
from jobs.services.jobs import job_launch, job_stop
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from tests.jobs.api_support import job_body, requester_world
from tests.jobs.audit_support import answer_objects, labeled_source, output_of
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.lifecycle import fresh, requester_of
from tests.marketplace.api_support import NOT_FOUND, error, key_client, session_client, snapshot
from tests.marketplace.factories import OrganizationFactory, UserFactory
from tests.snapshots import database_snapshot

pytestmark = pytest.mark.django_db

INVALID = "The request has invalid fields."


def chain(source, actor, kind="verification", **fields):
    fields.setdefault("name", f"{source.name}-{kind}")
    fields.setdefault("label_attribute_name", f"category-{kind}")
    return job_chain(actor=actor, source_job=source, kind=kind, **fields)


# Verification.


def test_a_verification_job_takes_the_source_output_and_its_settings(
    django_capture_on_commit_callbacks,
):
    source, actor = labeled_source(
        django_capture_on_commit_callbacks,
        labels=["cat", "dog"],
        title="Which animal?",
        reward="0.0700",
        task_time_limit_seconds=600,
    )
    source_lines = output_of(source)

    result = chain(source, actor, workers_per_object=2)

    job = fresh(result.job)
    assert (result.objects, result.skipped) == (2, 0)
    assert job.status == JobStatus.DRAFT
    assert job.organization_id == source.organization_id
    assert (job.task_type, job.labels) == ("label-verification", ["Correct", "Incorrect"])
    assert (job.source_job_id, job.source_label_attribute_name) == (source.pk, "category")
    assert job.label_attribute_name == "category-verification"
    assert (job.title, str(job.reward), job.task_time_limit_seconds) == (
        "Which animal?",
        "0.0700",
        600,
    )
    assert (job.workers_per_object, job.workforce_id) == (2, source.workforce_id)
    assert job.total_objects == 2
    assert list(job.data_objects.order_by("line_number").values_list("data", flat=True)) == (
        source_lines
    )
    assert job.events.filter(kind="chained").get().data == {
        "source_job": source.pk,
        "kind": "verification",
        "objects": 2,
        "skipped": 0,
    }


def test_a_chained_verification_job_runs_end_to_end_with_worker_feedback(
    django_capture_on_commit_callbacks,
):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat", "dog"])
    job = chain(source, actor, workers_per_object=2).job

    with django_capture_on_commit_callbacks(execute=True):
        job = job_launch(actor=actor, job=job)
        answer_objects(
            job,
            [
                [{"label": "Correct", "comment": "A cat indeed."}, {"label": "Correct"}],
                [
                    {"label": "Incorrect", "comment": "It is a fox."},
                    {"label": "Incorrect", "comment": "   "},
                ],
            ],
        )

    job = fresh(job)
    assert (job.status, job.human_labeled) == (JobStatus.COMPLETED, 2)
    first, second = output_of(job)
    assert (first["category"], first["category-metadata"]["class-name"]) == (0, "cat")
    assert first["category-verification"] == 0
    metadata = first["category-verification-metadata"]
    assert {key: metadata[key] for key in metadata if key != "creation-date"} == {
        "class-name": "Correct",
        "confidence": 1.0,
        "worker-feedback": [{"comment": "A cat indeed."}],
        "type": "groundtruth/label-verification",
        "job-name": job.name,
        "human-annotated": "yes",
    }
    assert second["category-verification"] == 1
    assert second["category-verification-metadata"]["class-name"] == "Incorrect"
    assert second["category-verification-metadata"]["worker-feedback"] == [
        {"comment": "It is a fox."}
    ]


def test_the_requester_may_name_the_verification_labels(django_capture_on_commit_callbacks):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat"])
    config = {
        "document-version": "2018-11-28",
        "labels": [{"label": "good"}, {"label": "bad"}, {"label": "unsure"}],
    }

    job = chain(source, actor, label_category_config=config).job

    assert fresh(job).labels == ["good", "bad", "unsure"]


# Adjustment.


def test_a_chained_adjustment_job_runs_end_to_end_with_adjustment_status(
    django_capture_on_commit_callbacks,
):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat", "dog"])

    job = chain(source, actor, "adjustment", workers_per_object=2).job
    assert (job.task_type, job.labels) == ("label-adjustment", ["cat", "dog", "bird"])
    assert job.label_category_config == source.label_category_config
    with django_capture_on_commit_callbacks(execute=True):
        job = job_launch(actor=actor, job=job)
        answer_objects(
            job,
            [
                [{"label": "cat"}, {"label": "cat"}],  # kept
                [{"label": "bird"}, {"label": "bird"}],  # changed by both
            ],
        )

    first, second = output_of(job)
    assert first["category-adjustment"] == 0
    assert first["category-adjustment-metadata"]["class-name"] == "cat"
    assert first["category-adjustment-metadata"]["adjustment-status"] == "unadjusted"
    assert first["category-adjustment-metadata"]["type"] == "groundtruth/image-classification"
    assert second["category-adjustment"] == 2
    assert second["category-adjustment-metadata"]["class-name"] == "bird"
    assert second["category-adjustment-metadata"]["adjustment-status"] == "adjusted"
    assert second["category-adjustment-metadata"]["confidence"] == 1.0
    assert second["category"] == 1  # the prior label stays on the line


def test_one_worker_changing_the_label_makes_it_adjusted(django_capture_on_commit_callbacks):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["dog"])
    job = chain(source, actor, "adjustment", workers_per_object=3).job

    with django_capture_on_commit_callbacks(execute=True):
        job = job_launch(actor=actor, job=job)
        answer_objects(job, [[{"label": "dog"}, {"label": "cat"}, {"label": "dog"}]])

    (line,) = output_of(job)
    metadata = line["category-adjustment-metadata"]
    assert (line["category-adjustment"], metadata["class-name"]) == (1, "dog")
    assert (metadata["adjustment-status"], metadata["confidence"]) == ("adjusted", 0.67)


def test_an_adjustment_of_a_text_job_keeps_the_text_type(django_capture_on_commit_callbacks):
    source, actor = labeled_source(
        django_capture_on_commit_callbacks,
        labels=["dog"],
        task_type="text-classification",
        data={0: {"source": "A dog barks."}},
    )
    job = chain(source, actor, "adjustment").job

    with django_capture_on_commit_callbacks(execute=True):
        job = job_launch(actor=actor, job=job)
        answer_objects(job, [[{"label": "dog"}] * job.workers_per_object])

    (line,) = output_of(job)
    assert line["source"] == "A dog barks."
    assert line["category-adjustment-metadata"]["type"] == "groundtruth/text-classification"
    assert line["category-adjustment-metadata"]["adjustment-status"] == "unadjusted"


def test_an_adjustment_can_be_verified_and_the_verification_relabeled(
    django_capture_on_commit_callbacks,
):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["dog"])
    adjusting = chain(source, actor, "adjustment", workers_per_object=1).job
    with django_capture_on_commit_callbacks(execute=True):
        adjusting = job_launch(actor=actor, job=adjusting)
        answer_objects(adjusting, [[{"label": "bird"}]])

    checking = chain(adjusting, actor, "verification", label_attribute_name="checked").job
    again = chain(fresh(adjusting), actor, "same", label_attribute_name="adjusted-again").job

    assert fresh(checking).source_label_attribute_name == "category-adjustment"
    assert fresh(again).task_type == "label-adjustment"
    assert fresh(again).source_label_attribute_name == "category-adjustment"
    with django_capture_on_commit_callbacks(execute=True):
        checking = job_launch(actor=actor, job=checking)
        answer_objects(checking, [[{"label": "Correct"}] * checking.workers_per_object])
    reverify = chain(fresh(checking), actor, "same", label_attribute_name="checked-again").job
    assert (fresh(reverify).task_type, fresh(reverify).source_label_attribute_name) == (
        "label-verification",
        "category-adjustment",
    )


# The same task type.


def test_a_same_kind_job_relabels_under_a_new_attribute(django_capture_on_commit_callbacks):
    source, actor = labeled_source(
        django_capture_on_commit_callbacks, labels=["cat", "bird"], gold_rate="0.100"
    )

    job = chain(source, actor, "same", label_attribute_name="animal-second-pass").job

    job = fresh(job)
    assert (job.task_type, job.labels) == ("image-classification", source.labels)
    assert (job.source_label_attribute_name, str(job.gold_rate)) == ("category", "0.100")
    with django_capture_on_commit_callbacks(execute=True):
        job = job_launch(actor=actor, job=job)
        answer_objects(job, [[{"label": "dog"}], [{"label": "bird"}]])
    first, _second = output_of(job)
    assert (first["category"], first["animal-second-pass"]) == (0, 1)


# Ground Truth's chaining rules.


def test_objects_that_already_carry_the_new_attribute_are_skipped(
    django_capture_on_commit_callbacks,
):
    carrying = {
        "source-ref": "https://example.com/1.png",
        "reviewed": 1,
        "reviewed-metadata": {"class-name": "dog"},
    }
    source, actor = labeled_source(
        django_capture_on_commit_callbacks, labels=["cat", "dog", "cat"], data={1: carrying}
    )

    result = chain(source, actor, "same", label_attribute_name="reviewed")
    other = chain(source, actor, "same", name="fresh-name", label_attribute_name="brand-new")

    assert (result.objects, result.skipped) == (2, 1)
    assert [
        line["source-ref"]
        for line in fresh(result.job)
        .data_objects.values_list("data", flat=True)
        .order_by("line_number")
    ] == ["https://example.com/0.png", "https://example.com/2.png"]
    assert (other.objects, other.skipped) == (3, 0)


def test_a_running_source_gives_its_objects_labeled_so_far(django_capture_on_commit_callbacks):
    source = LabelingJobFactory(workers_per_object=1)
    DataObjectFactory.create_batch(3, job=source)
    actor = requester_of(source.organization)
    with django_capture_on_commit_callbacks(execute=True):
        source = job_launch(actor=actor, job=source)
        answer_objects(source, [[{"label": "cat"}]])
    assert fresh(source).status == JobStatus.RUNNING

    result = chain(fresh(source), actor)

    assert (result.objects, result.skipped) == (1, 0)


def test_a_stopped_source_can_be_chained(django_capture_on_commit_callbacks):
    source = LabelingJobFactory(workers_per_object=1)
    DataObjectFactory.create_batch(2, job=source)
    actor = requester_of(source.organization)
    with django_capture_on_commit_callbacks(execute=True):
        source = job_launch(actor=actor, job=source)
        answer_objects(source, [[{"label": "bird"}]])
        job_stop(actor=actor, job=source)

    result = chain(fresh(source), actor, "adjustment")

    assert result.objects == 1
    assert result.job.task_type == "label-adjustment"


# Bad input: a clear 4xx and nothing changes.


def refused(error_class, source, actor, kind="verification", **fields):
    before = database_snapshot()
    with pytest.raises(error_class) as error:
        chain(source, actor, kind, **fields)
    assert database_snapshot() == before
    return error.value


def test_reusing_the_source_attribute_is_refused(django_capture_on_commit_callbacks):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat"])

    for kind in ("verification", "adjustment", "same"):
        error = refused(InvalidInput, source, actor, kind, label_attribute_name="category")
        assert error.fields == {
            "label_attribute_name": [
                '"category" is the source job\'s label attribute; a chained job needs a new one.'
            ]
        }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"label_attribute_name": "source-ref"}, "label_attribute_name"),
        ({"label_attribute_name": "x-metadata"}, "label_attribute_name"),
        ({"label_attribute_name": None}, "label_attribute_name"),
        ({"name": "bad name!"}, "name"),
        ({"reward": "-1"}, "reward"),
        ({"task_type": "image-classification"}, "task_type"),
        ({"workers_per_object": 12}, "workers_per_object"),
    ],
)
def test_bad_job_fields_are_refused(django_capture_on_commit_callbacks, fields, field):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat"])

    error = refused(InvalidInput, source, actor, **fields)

    assert field in error.fields


def test_an_unknown_kind_is_refused(django_capture_on_commit_callbacks):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat"])

    error = refused(InvalidInput, source, actor, "relabel")

    assert error.fields == {"kind": ['Choose one of: "verification", "adjustment", "same".']}


def test_an_adjustment_keeps_the_source_labels(django_capture_on_commit_callbacks):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat"])
    config = {"document-version": "2018-11-28", "labels": [{"label": "a"}, {"label": "b"}]}

    error = refused(InvalidInput, source, actor, "adjustment", label_category_config=config)

    assert list(error.fields) == ["label_category_config"]


def test_a_source_without_labeled_objects_is_refused():
    source = LabelingJobFactory()
    DataObjectFactory(job=source)
    actor = requester_of(source.organization)

    error = refused(Conflict, source, actor)

    assert error.code == "source_has_no_labels"


def test_a_source_whose_objects_all_carry_the_attribute_is_refused(
    django_capture_on_commit_callbacks,
):
    carrying = {"source-ref": "https://example.com/0.png", "done": 0}
    source, actor = labeled_source(
        django_capture_on_commit_callbacks, labels=["cat"], data={0: carrying}
    )

    error = refused(Conflict, source, actor, "same", label_attribute_name="done")

    assert error.code == "chain_nothing_to_label"


def test_a_verification_cannot_be_verified_or_adjusted(django_capture_on_commit_callbacks):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat"])
    checking = chain(source, actor, workers_per_object=1).job
    with django_capture_on_commit_callbacks(execute=True):
        checking = job_launch(actor=actor, job=checking)
        answer_objects(checking, [[{"label": "Correct"}]])

    for kind in ("verification", "adjustment"):
        error = refused(InvalidInput, fresh(checking), actor, kind, label_attribute_name="x")
        assert error.fields == {
            "kind": [
                "A Label verification job's labels are not a single class label: they cannot "
                f"be sent to label {kind}."
            ]
        }


def test_only_a_member_of_the_source_organization_may_chain(django_capture_on_commit_callbacks):
    source, _actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat"])
    outsider = requester_of(OrganizationFactory())

    refused(NotFound, source, outsider)
    refused(NotFound, source, UserFactory())


def test_the_new_job_name_must_be_free(django_capture_on_commit_callbacks):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat"])

    error = refused(Conflict, source, actor, name=source.name)

    assert error.code == "job_name_taken"
    assert LabelingJob.objects.count() == 1
    assert DataObject.objects.count() == 1


# The API: POST /api/v1/jobs/<id>/chain/.


def test_the_chain_api_creates_the_job_and_answers_with_it(django_capture_on_commit_callbacks):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat", "dog"])
    client = session_client(actor)

    response = client.post(
        f"/api/v1/jobs/{source.pk}/chain/",
        {
            "kind": "verification",
            "name": "animals-checked",
            "label_attribute_name": "checked",
            "reward": "0.0200",
        },
        format="json",
    )

    assert response.status_code == 201
    job = LabelingJob.objects.get(name="animals-checked")
    assert response.json() == {"job": job_body(job), "objects": 2, "skipped": 0}
    assert (job.task_type, str(job.reward), job.source_job_id) == (
        "label-verification",
        "0.0200",
        source.pk,
    )


def test_the_chain_api_refuses_bad_input_and_changes_nothing(django_capture_on_commit_callbacks):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat"])
    client = session_client(actor)
    before = snapshot()
    url = f"/api/v1/jobs/{source.pk}/chain/"

    reused = client.post(
        url,
        {"kind": "adjustment", "name": "again", "label_attribute_name": "category"},
        format="json",
    )
    unknown = client.post(
        url, {"kind": "relabel", "name": "again", "label_attribute_name": "x"}, format="json"
    )
    typed = client.post(
        url,
        {
            "kind": "same",
            "name": "again",
            "label_attribute_name": "x",
            "task_type": "text-classification",
        },
        format="json",
    )

    assert reused.status_code == 400
    assert reused.json() == error(
        "invalid",
        INVALID,
        {
            "label_attribute_name": [
                '"category" is the source job\'s label attribute; a chained job needs a new one.'
            ]
        },
    )
    assert unknown.status_code == 400
    assert list(unknown.json()["fields"]) == ["kind"]
    assert typed.status_code == 400
    assert list(typed.json()["fields"]) == ["task_type"]
    assert snapshot() == before


def test_the_chain_api_is_404_for_another_organizations_job(
    django_capture_on_commit_callbacks,
):
    source, _actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat"])
    client = session_client(requester_of(OrganizationFactory()))
    before = snapshot()

    response = client.post(
        f"/api/v1/jobs/{source.pk}/chain/",
        {"kind": "verification", "name": "mine-now", "label_attribute_name": "x"},
        format="json",
    )

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert snapshot() == before


def test_the_chain_api_is_409_for_a_source_without_labels():
    source = LabelingJobFactory()
    actor = requester_of(source.organization)

    response = session_client(actor).post(
        f"/api/v1/jobs/{source.pk}/chain/",
        {"kind": "verification", "name": "nothing", "label_attribute_name": "x"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "source_has_no_labels"
    assert LabelingJob.objects.count() == 1


def test_an_api_key_chains_only_its_own_organizations_jobs(django_capture_on_commit_callbacks):
    world = requester_world()
    source, _actor = labeled_source(
        django_capture_on_commit_callbacks, labels=["cat"], organization=world.organization
    )
    other, _other_actor = labeled_source(
        django_capture_on_commit_callbacks,
        labels=["cat"],
        organization=world.other_organization,
    )
    client = key_client(world.raw_key)
    body = {"kind": "same", "name": "by-key", "label_attribute_name": "x"}

    assert client.post(f"/api/v1/jobs/{source.pk}/chain/", body, format="json").status_code == 201
    assert client.post(f"/api/v1/jobs/{other.pk}/chain/", body, format="json").status_code == 404


# The page: /jobs/<id>/chain/.


def test_the_chain_page_offers_the_kinds_and_creates_the_job(django_capture_on_commit_callbacks):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat", "dog"])
    client = Client()
    client.force_login(actor)
    detail = client.get(reverse("job_detail", kwargs={"job_id": source.pk}))
    assert reverse("job_chain", kwargs={"job_id": source.pk}) in detail.content.decode()

    page = client.get(reverse("job_chain", kwargs={"job_id": source.pk}))
    assert page.status_code == 200
    assert 'value="adjustment"' in page.content.decode()
    response = client.post(
        reverse("job_chain", kwargs={"job_id": source.pk}),
        {
            "kind": "adjustment",
            "name": "animals-fixed",
            "label_attribute_name": "fixed",
            "workers_per_object": "2",
        },
    )

    job = LabelingJob.objects.get(name="animals-fixed")
    assert response.status_code == 302
    assert response.url == reverse("job_detail", kwargs={"job_id": job.pk})
    assert (job.task_type, job.workers_per_object, job.total_objects) == (
        "label-adjustment",
        2,
        2,
    )
    shown = client.get(response.url).content.decode()
    assert f"from {source.name}" in shown
    assert "2 data objects" in shown
    assert "Chained from" in shown


def test_the_chain_page_shows_field_errors_and_creates_nothing(
    django_capture_on_commit_callbacks,
):
    source, actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat"])
    client = Client()
    client.force_login(actor)
    before = database_snapshot()

    response = client.post(
        reverse("job_chain", kwargs={"job_id": source.pk}),
        {"kind": "verification", "name": "checked", "label_attribute_name": "category"},
    )

    assert response.status_code == 400
    assert "a chained job needs a new one" in response.content.decode()
    assert database_snapshot() == before


def test_the_chain_page_is_404_for_another_organizations_job(
    django_capture_on_commit_callbacks,
):
    source, _actor = labeled_source(django_capture_on_commit_callbacks, labels=["cat"])
    client = Client()
    client.force_login(requester_of(OrganizationFactory()))

    assert client.get(reverse("job_chain", kwargs={"job_id": source.pk})).status_code == 404
    response = client.post(
        reverse("job_chain", kwargs={"job_id": source.pk}),
        {"kind": "verification", "name": "x", "label_attribute_name": "y"},
    )
    assert response.status_code == 404
    assert LabelingJob.objects.count() == 1
