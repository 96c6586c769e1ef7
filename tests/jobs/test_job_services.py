"""Job services: create and update with Ground Truth's rules, launch, pause, resume, stop,
complete, HIT release in batches, and stopping conditions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from jobs.models import (
    DataObjectStatus,
    HITStatus,
    JobEvent,
    JobStatus,
    LabelingJob,
)
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.jobs import (
    hits_release,
    job_complete,
    job_create,
    job_launch,
    job_pause,
    job_resume,
    job_stop,
    job_update,
)
from marketplace.exceptions import Conflict, EmailNotVerified, InvalidInput, NotFound
from tests.jobs.factories import (
    DataObjectFactory,
    LabelingJobFactory,
    PrivateWorkforceFactory,
    public_crowd,
)
from tests.jobs.lifecycle import fresh, job_fields, launched_job, requester_of, workers
from tests.marketplace.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.snapshots import database_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization():
    return OrganizationFactory()


@pytest.fixture
def member(organization):
    return requester_of(organization)


# Create.


def test_job_create_makes_a_draft_with_parsed_labels_clean_html_and_defaults(organization, member):
    job = job_create(
        actor=member,
        organization=organization,
        **job_fields(short_instructions='<p onclick="x()">Pick<script>alert(1)</script></p>'),
    )

    job = fresh(job)
    assert job.status == JobStatus.DRAFT
    assert job.organization == organization
    assert job.created_by == member
    assert job.labels == ["cat", "dog"]
    assert job.short_instructions == "<p>Pick</p>"
    assert job.reward == Decimal("0.0500")
    assert job.auto_approval_delay_seconds == 3 * 24 * 3600
    assert job.workforce == public_crowd()
    assert list(JobEvent.objects.filter(job=job).values_list("kind", "new_status")) == [
        ("created", "draft")
    ]


def test_job_create_accepts_the_config_as_json_text_and_a_private_workforce(organization, member):
    team = PrivateWorkforceFactory(organization=organization)
    job = job_create(
        actor=member,
        organization=organization,
        **job_fields(
            label_category_config='{"document-version": "2018-11-28", '
            '"labels": [{"label": "a"}, {"label": "b"}, {"label": "c"}]}',
            workforce=team.pk,
            reward="0.0125",
        ),
    )

    assert job.labels == ["a", "b", "c"]
    assert job.label_category_config["labels"][2] == {"label": "c"}
    assert job.workforce == team
    assert job.reward == Decimal("0.0125")


BAD_FIELDS = [
    ({"name": ""}, "name"),
    ({"name": "x" * 64}, "name"),
    ({"name": "-starts-with-hyphen"}, "name"),
    ({"name": "has space"}, "name"),
    ({"label_attribute_name": "category-metadata"}, "label_attribute_name"),
    ({"label_attribute_name": "source"}, "label_attribute_name"),
    ({"label_attribute_name": "source-ref"}, "label_attribute_name"),
    ({"label_attribute_name": "a" * 128}, "label_attribute_name"),
    ({"label_attribute_name": "under_score"}, "label_attribute_name"),
    ({"task_type": "bounding-box-3000"}, "task_type"),
    (
        {"label_category_config": {"document-version": "2018-11-28", "labels": [{"label": "a"}]}},
        "label_category_config",
    ),
    ({"label_category_config": "{not json"}, "label_category_config"),
    ({"title": ""}, "title"),
    ({"title": "t" * 129}, "title"),
    ({"description": "d" * 256}, "description"),
    ({"reward": 0.05}, "reward"),
    ({"reward": Decimal("0.009")}, "reward"),
    ({"reward": "0.00001"}, "reward"),
    ({"reward": "abc"}, "reward"),
    ({"reward": "NaN"}, "reward"),
    ({"workers_per_object": 0}, "workers_per_object"),
    ({"workers_per_object": 10}, "workers_per_object"),
    ({"workers_per_object": 2.5}, "workers_per_object"),
    ({"task_time_limit_seconds": 29}, "task_time_limit_seconds"),
    ({"task_time_limit_seconds": 8 * 3600 + 1}, "task_time_limit_seconds"),
    ({"task_availability_lifetime_seconds": 59}, "task_availability_lifetime_seconds"),
    ({"auto_approval_delay_seconds": 30 * 24 * 3600 + 1}, "auto_approval_delay_seconds"),
    ({"max_concurrent_tasks": 0}, "max_concurrent_tasks"),
    ({"max_concurrent_tasks": 5001}, "max_concurrent_tasks"),
    ({"max_human_labeled_objects": 0}, "max_human_labeled_objects"),
    ({"max_percentage_labeled": 101}, "max_percentage_labeled"),
    ({"short_instructions": "x" * 2001}, "short_instructions"),
    ({"full_instructions": ["not", "html"]}, "full_instructions"),
    ({"workforce": 10**9}, "workforce"),
    ({"colour": "blue"}, "colour"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_FIELDS)
def test_job_create_refuses_bad_input_naming_the_field_and_creates_nothing(
    organization, member, overrides, field
):
    before = database_snapshot()

    with pytest.raises(InvalidInput) as error:
        job_create(actor=member, organization=organization, **job_fields(**overrides))

    assert field in error.value.fields
    assert database_snapshot() == before


def test_job_create_reports_every_bad_field_at_once(organization, member):
    with pytest.raises(InvalidInput) as error:
        job_create(
            actor=member,
            organization=organization,
            **job_fields(name="", reward=0.1, workers_per_object=12),
        )

    assert set(error.value.fields) == {"name", "reward", "workers_per_object"}


def test_job_create_requires_the_core_fields(organization, member):
    with pytest.raises(InvalidInput) as error:
        job_create(actor=member, organization=organization, name="only-a-name")

    assert set(error.value.fields) == {
        "label_attribute_name",
        "task_type",
        "label_category_config",
        "title",
        "reward",
    }


def test_job_names_are_unique_per_organization_ignoring_case(organization, member):
    job_create(actor=member, organization=organization, **job_fields(name="Cats"))
    before = database_snapshot()

    with pytest.raises(Conflict) as error:
        job_create(actor=member, organization=organization, **job_fields(name="cATS"))

    assert "name" in error.value.fields
    assert database_snapshot() == before
    other = OrganizationFactory()
    assert job_create(
        actor=requester_of(other), organization=other, **job_fields(name="cats")
    ).name == ("cats")


def test_job_create_refuses_another_organizations_workforce(organization, member):
    foreign_team = PrivateWorkforceFactory()
    before = database_snapshot()

    with pytest.raises(InvalidInput) as error:
        job_create(actor=member, organization=organization, **job_fields(workforce=foreign_team))

    assert error.value.fields == {"workforce": ["No such workforce in this organization."]}
    assert database_snapshot() == before


def test_a_non_member_cannot_create_a_job_and_learns_nothing(organization):
    outsider = UserFactory()
    before = database_snapshot()

    with pytest.raises(NotFound):
        job_create(actor=outsider, organization=organization, **job_fields())

    assert database_snapshot() == before


def test_a_member_with_an_unverified_email_cannot_create_a_job(organization):
    unverified = MembershipFactory(organization=organization, user=UserFactory(verified=False))
    with pytest.raises(EmailNotVerified):
        job_create(actor=unverified.user, organization=organization, **job_fields())
    assert not LabelingJob.objects.exists()


# Update.


def test_job_update_changes_a_draft_and_records_what_changed(organization, member):
    job = job_create(actor=member, organization=organization, **job_fields())

    job_update(actor=member, job=job, title="New title", workers_per_object=5)

    job = fresh(job)
    assert (job.title, job.workers_per_object) == ("New title", 5)
    event = JobEvent.objects.filter(job=job, kind="updated").get()
    assert event.data == {"fields": ["title", "workers_per_object"]}


def test_job_update_with_same_values_records_nothing(organization, member):
    job = job_create(actor=member, organization=organization, **job_fields())
    before = database_snapshot()

    job_update(actor=member, job=job, title=job.title)

    assert database_snapshot() == before


def test_job_update_refuses_bad_input_and_changes_nothing(organization, member):
    job = job_create(actor=member, organization=organization, **job_fields())
    before = database_snapshot()

    with pytest.raises(InvalidInput):
        job_update(actor=member, job=job, title="fine", workers_per_object=0)

    assert database_snapshot() == before


def test_job_update_rechecks_the_labels_when_the_task_type_changes(organization, member):
    job = job_create(actor=member, organization=organization, **job_fields())

    job_update(actor=member, job=job, task_type="text-classification")

    assert fresh(job).task_type == "text-classification"
    assert fresh(job).labels == ["cat", "dog"]


def test_job_update_refuses_a_name_taken_by_another_job(organization, member):
    job_create(actor=member, organization=organization, **job_fields(name="first"))
    second = job_create(actor=member, organization=organization, **job_fields(name="second"))

    with pytest.raises(Conflict):
        job_update(actor=member, job=second, name="FIRST")

    assert fresh(second).name == "second"


def test_a_launched_job_cannot_be_updated():
    job, actor = launched_job()
    before = database_snapshot()

    with pytest.raises(Conflict, match='"running"'):
        job_update(actor=actor, job=job, title="Too late")

    assert database_snapshot() == before


# Launch.


def test_job_launch_runs_the_job_and_releases_a_batch_of_hits_in_line_order():
    job = LabelingJobFactory(max_concurrent_tasks=2, workers_per_object=2)
    objects = DataObjectFactory.create_batch(3, job=job)
    actor = requester_of(job.organization)
    before = timezone.now()

    job_launch(actor=actor, job=job)

    job = fresh(job)
    assert job.status == JobStatus.RUNNING
    assert job.launched_at >= before
    assert job.expires_at == job.launched_at + timedelta(
        seconds=job.task_availability_lifetime_seconds
    )
    assert (job.total_objects, job.open_hits) == (3, 2)
    hits = list(job.hits.order_by("id"))
    assert [hit.data_object for hit in hits] == objects[:2]
    assert {(hit.status, hit.max_assignments, hit.expires_at) for hit in hits} == {
        (HITStatus.ASSIGNABLE, 2, job.expires_at)
    }
    event = JobEvent.objects.filter(job=job, kind="launched").get()
    assert (event.old_status, event.new_status, event.actor) == ("draft", "running", actor)


def test_launching_a_running_job_again_changes_nothing():
    job, actor = launched_job()
    before = database_snapshot()

    assert job_launch(actor=actor, job=job).status == JobStatus.RUNNING
    assert database_snapshot() == before


def test_a_job_without_data_cannot_be_launched():
    job = LabelingJobFactory()
    actor = requester_of(job.organization)
    before = database_snapshot()

    with pytest.raises(Conflict) as error:
        job_launch(actor=actor, job=job)

    assert error.value.code == "job_has_no_data"
    assert database_snapshot() == before


def test_a_non_member_cannot_launch_or_stop_a_job():
    job = LabelingJobFactory()
    DataObjectFactory(job=job)
    outsider = requester_of(OrganizationFactory())
    before = database_snapshot()

    for service in (job_launch, job_pause, job_resume, job_stop):
        with pytest.raises(NotFound):
            service(actor=outsider, job=job)

    assert database_snapshot() == before


# Pause, resume, stop.


def test_pause_and_resume_move_the_job_and_record_events():
    job, actor = launched_job()

    job_pause(actor=actor, job=job)
    assert fresh(job).status == JobStatus.PAUSED
    assert job_pause(actor=actor, job=job).status == JobStatus.PAUSED  # idempotent

    job_resume(actor=actor, job=job)
    assert fresh(job).status == JobStatus.RUNNING
    kinds = list(JobEvent.objects.filter(job=job).order_by("id").values_list("kind", flat=True))
    assert kinds == ["launched", "paused", "resumed"]


def test_a_paused_job_gives_no_work():
    job, actor = launched_job()
    job_pause(actor=actor, job=job)

    assert assignment_claim_next(worker=workers(1)[0], job=job) is None


@pytest.mark.parametrize(
    ("status", "service"),
    [
        (JobStatus.DRAFT, job_pause),
        (JobStatus.DRAFT, job_resume),
        (JobStatus.DRAFT, job_stop),
        (JobStatus.COMPLETED, job_pause),
        (JobStatus.COMPLETED, job_resume),
        (JobStatus.COMPLETED, job_stop),
        (JobStatus.COMPLETED, job_launch),
        (JobStatus.STOPPED, job_pause),
        (JobStatus.STOPPED, job_resume),
        (JobStatus.STOPPED, job_launch),
        (JobStatus.FAILED, job_resume),
        (JobStatus.FAILED, job_stop),
        (JobStatus.PAUSED, job_launch),
    ],
)
def test_illegal_job_transitions_are_refused_naming_the_state(status, service):
    job = LabelingJobFactory(status=status)
    DataObjectFactory(job=job)
    actor = requester_of(job.organization)
    before = database_snapshot()

    with pytest.raises(Conflict, match=f'"{status}"'):
        service(actor=actor, job=job)

    assert database_snapshot() == before


def test_stop_expires_open_hits_but_lets_live_work_be_submitted(
    django_capture_on_commit_callbacks,
):
    job, actor = launched_job(objects=2, workers_per_object=2)
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)

    with django_capture_on_commit_callbacks(execute=True):
        job_stop(actor=actor, job=job)

    job = fresh(job)
    assert job.status == JobStatus.STOPPED
    assert job.ended_at is not None
    assert job.open_hits == 0
    assert set(job.hits.values_list("status", flat=True)) == {HITStatus.REVIEWABLE}
    assert assignment_claim_next(worker=workers(1)[0], job=job) is None

    with django_capture_on_commit_callbacks(execute=True):
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "dog"})

    job = fresh(job)
    statuses = dict(job.data_objects.values_list("pk", "status"))
    assert statuses[assignment.hit.data_object_id] == DataObjectStatus.HUMAN_LABELED
    # Objects nobody labeled stay unlabeled in a stopped job (Ground Truth's StopLabelingJob).
    assert sorted(statuses.values()) == [DataObjectStatus.HUMAN_LABELED, DataObjectStatus.UNLABELED]
    assert (job.human_labeled, job.failed_objects, job.status) == (1, 0, JobStatus.STOPPED)
    assert job_stop(actor=actor, job=job).status == JobStatus.STOPPED  # idempotent


# Release and stopping conditions.


def test_hits_go_out_in_batches_of_max_concurrent_tasks(django_capture_on_commit_callbacks):
    job, _actor = launched_job(objects=5, max_concurrent_tasks=2, workers_per_object=1)
    assert (fresh(job).open_hits, job.hits.count()) == (2, 2)
    assert hits_release(job=job) == 0  # no free slot

    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    with django_capture_on_commit_callbacks(execute=True):
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})

    job = fresh(job)
    assert (job.open_hits, job.hits.count(), job.human_labeled) == (2, 3, 1)
    lines = list(job.hits.order_by("id").values_list("data_object__line_number", flat=True))
    assert lines == sorted(lines)


def test_resume_releases_into_slots_that_opened_while_paused(django_capture_on_commit_callbacks):
    job, actor = launched_job(objects=3, max_concurrent_tasks=1, workers_per_object=1)
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)
    job_pause(actor=actor, job=job)
    with django_capture_on_commit_callbacks(execute=True):
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
    assert (fresh(job).open_hits, job.hits.count()) == (0, 1)

    job_resume(actor=actor, job=job)

    assert (fresh(job).open_hits, job.hits.count()) == (1, 2)


def test_max_human_labeled_objects_completes_the_job_and_stops_release(
    django_capture_on_commit_callbacks,
):
    job, _actor = launched_job(objects=4, workers_per_object=1, max_human_labeled_objects=1)
    worker = workers(1)[0]
    assignment = assignment_claim_next(worker=worker, job=job)

    with django_capture_on_commit_callbacks(execute=True):
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})

    job = fresh(job)
    assert job.status == JobStatus.COMPLETED
    assert job.open_hits == 0
    assert set(job.hits.values_list("status", flat=True)) == {HITStatus.REVIEWABLE}
    event = JobEvent.objects.get(job=job, kind="completed")
    assert event.data == {"reason": "max_human_labeled_objects reached"}


def test_max_percentage_labeled_completes_the_job(django_capture_on_commit_callbacks):
    job, _actor = launched_job(objects=4, workers_per_object=1, max_percentage_labeled=50)
    worker = workers(1)[0]
    for _ in range(2):
        assignment = assignment_claim_next(worker=worker, job=job)
        with django_capture_on_commit_callbacks(execute=True):
            assignment_submit(worker=worker, assignment=assignment, answer={"label": "dog"})

    job = fresh(job)
    assert (job.status, job.human_labeled) == (JobStatus.COMPLETED, 2)


def test_job_complete_leaves_a_paused_or_ended_job_as_it_is():
    paused = LabelingJobFactory(status=JobStatus.PAUSED)
    stopped = LabelingJobFactory(status=JobStatus.STOPPED)
    before = database_snapshot()

    assert job_complete(job=paused, reason="test").status == JobStatus.PAUSED
    assert job_complete(job=stopped, reason="test").status == JobStatus.STOPPED
    assert database_snapshot() == before
