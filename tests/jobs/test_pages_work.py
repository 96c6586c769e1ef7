"""The worker's pages: find work, claim the next task, the task page (submit, return, the
next task after submit), and my assignments; another worker's assignment is 404, a refused
answer changes nothing, and a worker never sees another worker's answer."""

from datetime import timedelta

import pytest
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from jobs.models import Assignment, AssignmentStatus, JobStatus
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.jobs import job_create, job_launch, job_pause
from jobs.services.review import assignment_reject
from tests.jobs.factories import (
    DataObjectFactory,
    LabelingJobFactory,
    PrivateWorkforceFactory,
)
from tests.jobs.lifecycle import fresh, job_fields, launched_job, requester_of, workers
from tests.marketplace.factories import OrganizationFactory, UserFactory
from tests.snapshots import database_snapshot
from tests.workforce.factories import WorkerProfileFactory
from workforce.models import WorkerBlock, WorkforceMember

pytestmark = pytest.mark.django_db

XSS = "</script><script>alert(1)</script>"
ESCAPED_XSS = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def worker_client():
    (worker,) = workers(1)
    return worker, client_for(worker.user)


def task_url(assignment) -> str:
    return reverse("work_task", args=[assignment.assignment_id])


def text_job(*, objects: int = 3, **job_kwargs):
    job = LabelingJobFactory(task_type="text-classification", **job_kwargs)
    for number in range(objects):
        DataObjectFactory(job=job, data={"source": f"Review number {number}: great product"})
    return job_launch(actor=requester_of(job.organization), job=job)


def submit(client, assignment, label, **extra):
    """POST an answer as the page does, running what the submit enqueues on commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(task_url(assignment), {"label": label, **extra})


def test_work_pages_need_a_login():
    for url in (reverse("work_list"), reverse("work_assignments")):
        response = Client().get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


# Find work.


def test_find_work_lists_open_jobs_with_the_tasks_available_to_me():
    job, _requester = launched_job(objects=3, workers_per_object=1)
    worker, client = worker_client()
    assignment_claim_next(worker=worker, job=job)  # one HIT is mine now: 2 left for me
    private, _ = launched_job(objects=2, title="Private team job")
    private.workforce = PrivateWorkforceFactory(organization=private.organization)
    private.save(update_fields=["workforce"])
    blocked, _ = launched_job(objects=2, title="Blocked requester job")
    WorkerBlock.objects.create(organization=blocked.organization, worker=worker, reason="Spam")
    paused, requester = launched_job(objects=2, title="Paused job")
    job_pause(actor=requester, job=paused)

    response = client.get(reverse("work_list"))

    content = response.content.decode()
    assert response.status_code == 200
    assert job.title in content
    assert "<dd data-hits-available>2</dd>" in content
    assert job.organization.name in content
    assert "0.05 USD" in content
    assert reverse("work_next", args=[job.pk]) in content
    assert "Private team job" not in content
    assert "Blocked requester job" not in content
    assert "Paused job" not in content
    assert "In progress" in content  # the task already in hand


def test_find_work_shows_a_private_job_to_its_members():
    job, _requester = launched_job(objects=1, title="Team only")
    team = PrivateWorkforceFactory(organization=job.organization)
    job.workforce = team
    job.save(update_fields=["workforce"])
    worker, client = worker_client()
    WorkforceMember.objects.create(workforce=team, worker=worker)
    assert "Team only" in client.get(reverse("work_list")).content.decode()


def test_find_work_queries_do_not_grow_with_jobs(django_assert_max_num_queries):
    for _ in range(8):
        launched_job(objects=2)
    _worker, client = worker_client()
    with django_assert_max_num_queries(9):
        response = client.get(reverse("work_list"))
    assert response.content.decode().count("data-hits-available") == 8


def test_find_work_asks_a_non_worker_to_become_one(user):
    response = client_for(user).get(reverse("work_list"))
    assert response.status_code == 200
    assert reverse("worker_profile") in response.content.decode()


# Claiming the next task.


def test_start_claims_a_task_and_opens_it():
    job, _requester = launched_job(objects=2)
    worker, client = worker_client()

    response = client.post(reverse("work_next", args=[job.pk]))

    assignment = Assignment.objects.get(worker=worker)
    assert response.status_code == 302
    assert response.url == task_url(assignment)
    assert assignment.hit.job == job
    # Starting again goes back to the task in hand instead of taking a second one.
    again = client.post(reverse("work_next", args=[job.pk]))
    assert again.url == task_url(assignment)
    assert Assignment.objects.filter(worker=worker).count() == 1


def test_start_without_work_goes_back_with_a_message_and_changes_nothing():
    job, _requester = launched_job(objects=1, workers_per_object=1)
    assignment_claim_next(worker=workers(1)[0], job=job)  # the only slot is taken
    hidden, _ = launched_job(objects=1)
    hidden.workforce = PrivateWorkforceFactory(organization=hidden.organization)
    hidden.save(update_fields=["workforce"])
    _worker, client = worker_client()
    before = database_snapshot()

    for job_id in (job.pk, hidden.pk, 987654):
        response = client.post(reverse("work_next", args=[job_id]))
        assert response.status_code == 302
        assert response.url == reverse("work_list")

    assert database_snapshot() == before
    assert "No tasks left for you in this job" in client.get(reverse("work_list")).content.decode()


def test_start_needs_post_a_worker_and_a_verified_email(user):
    job, _requester = launched_job(objects=1)
    _worker, client = worker_client()
    assert client.get(reverse("work_next", args=[job.pk])).status_code == 405
    not_worker = client_for(user).post(reverse("work_next", args=[job.pk]))
    assert not_worker.url == reverse("worker_profile")
    unverified = WorkerProfileFactory(user=UserFactory(verified=False))
    client = client_for(unverified.user)
    before = database_snapshot()
    response = client.post(reverse("work_next", args=[job.pk]))
    assert response.url == reverse("work_list")
    assert "Verify your email" in client.get(response.url).content.decode()
    assert database_snapshot() == before


# The task page.


def test_image_task_page_shows_the_image_labels_with_keys_and_progress():
    job, _requester = launched_job(objects=2)
    worker, client = worker_client()
    assignment = assignment_claim_next(worker=worker, job=job)

    response = client.get(task_url(assignment))

    content = response.content.decode()
    assert response.status_code == 200
    assert (
        f'<img class="task-image" src="{assignment.hit.data_object.data["source-ref"]}"' in content
    )
    for key, label in enumerate(job.labels, start=1):
        assert (
            f'name="label" value="{label}" data-key="{key}" aria-keyshortcuts="{key}">'
            f"<kbd>{key}</kbd> <span>{label}</span></button>"
        ) in content
    assert "0 done in this job" in content
    assert 'data-deadline-ms="' in content
    assert reverse("work_task_return", args=[assignment.assignment_id]) in content
    assert '<script type="module" src="/static/js/task.js"></script>' in content
    assert " on" + "click" not in content  # no inline handlers
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy


def test_text_task_page_shows_the_text():
    job = text_job(objects=1)
    worker, client = worker_client()
    assignment = assignment_claim_next(worker=worker, job=job)

    content = client.get(task_url(assignment)).content.decode()

    assert '<div class="task-text">Review number 0: great product</div>' in content
    assert "task-image" not in content


def test_a_storage_image_is_served_through_a_signed_link(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGE_BACKEND = "local"
    job = LabelingJobFactory()
    DataObjectFactory(job=job, data={"source-ref": f"jobs/{job.pk}/a.png"})
    job = job_launch(actor=requester_of(job.organization), job=job)
    worker, client = worker_client()
    assignment = assignment_claim_next(worker=worker, job=job)

    content = client.get(task_url(assignment)).content.decode()

    assert 'src="http://testserver/task-files/' in content
    assert f"jobs/{job.pk}/a.png" not in content


def test_another_workers_task_is_not_found():
    job, _requester = launched_job(objects=1)
    owner, _ = worker_client()
    assignment = assignment_claim_next(worker=owner, job=job)
    _intruder, client = worker_client()
    before = database_snapshot()

    assert client.get(task_url(assignment)).status_code == 404
    assert client.post(task_url(assignment), {"label": "cat"}).status_code == 404
    response = client.post(reverse("work_task_return", args=[assignment.assignment_id]))
    assert response.status_code == 404
    assert client.get(reverse("work_task", args=["NOSUCHASSIGNMENT"])).status_code == 404
    assert database_snapshot() == before


def test_a_requester_is_not_a_worker_on_the_task_page():
    job, requester = launched_job(objects=1)
    worker, _ = worker_client()
    assignment = assignment_claim_next(worker=worker, job=job)
    assert client_for(requester).get(task_url(assignment)).status_code == 404


def test_submit_stores_the_answer_and_opens_the_next_task_in_the_job():
    job, _requester = launched_job(objects=3)
    worker, client = worker_client()
    first = assignment_claim_next(worker=worker, job=job)

    response = submit(client, first, "dog", active_seconds="12")

    first = fresh(first)
    assert first.status == AssignmentStatus.SUBMITTED
    assert first.answer == {"label": "dog"}
    assert first.active_seconds == 12
    following = Assignment.objects.get(worker=worker, status=AssignmentStatus.ACCEPTED)
    assert following.hit.job == job
    assert following.hit != first.hit
    assert response.status_code == 302
    assert response.url == task_url(following)
    assert "1 done in this job" in client.get(response.url).content.decode()


def test_the_last_submit_goes_back_to_find_work():
    job, _requester = launched_job(objects=1)
    worker, client = worker_client()
    assignment = assignment_claim_next(worker=worker, job=job)

    response = submit(client, assignment, "cat", active_seconds="not a number")

    assert response.url == reverse("work_list")
    assert fresh(assignment).active_seconds is None
    assert "No more tasks in this job" in client.get(response.url).content.decode()


def test_submit_twice_keeps_the_first_answer():
    job, _requester = launched_job(objects=2)
    worker, client = worker_client()
    assignment = assignment_claim_next(worker=worker, job=job)
    submit(client, assignment, "dog")
    stored = fresh(assignment)

    response = submit(client, assignment, "cat")

    assert response.status_code == 302
    again = fresh(assignment)
    assert (again.answer, again.submitted_at) == ({"label": "dog"}, stored.submitted_at)
    # The submitted task's page shows the worker's own answer and no form.
    content = client.get(task_url(assignment)).content.decode()
    assert 'You answered <span class="badge accent">dog</span>' in content
    assert 'class="task-form"' not in content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"label": "giraffe"}, "is not one of the job&#x27;s labels"),
        ({}, "Pick a label."),
        ({"label": ""}, "Pick a label."),
    ],
)
def test_a_refused_answer_shows_why_and_changes_nothing(data, message):
    job, _requester = launched_job(objects=1)
    worker, client = worker_client()
    assignment = assignment_claim_next(worker=worker, job=job)
    before = database_snapshot()

    response = client.post(task_url(assignment), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'class="task-form"' in response.content.decode()  # still workable
    assert database_snapshot() == before


def test_a_submit_after_the_deadline_is_refused_clearly():
    job, _requester = launched_job(objects=1)
    worker, client = worker_client()
    assignment = assignment_claim_next(worker=worker, job=job)
    Assignment.objects.filter(pk=assignment.pk).update(
        deadline=timezone.now() - timedelta(seconds=1)
    )

    response = submit(client, assignment, "cat")

    assert response.status_code == 409
    content = response.content.decode()
    assert "deadline passed" in content
    assert 'class="task-form"' not in content
    assert fresh(assignment).status == AssignmentStatus.ABANDONED
    assert fresh(assignment).answer is None


def test_return_gives_the_task_back():
    job, _requester = launched_job(objects=1, workers_per_object=1)
    worker, client = worker_client()
    assignment = assignment_claim_next(worker=worker, job=job)

    response = client.post(reverse("work_task_return", args=[assignment.assignment_id]))

    assert response.status_code == 302
    assert response.url == reverse("work_list")
    assert fresh(assignment).status == AssignmentStatus.RETURNED
    assert fresh(assignment.hit).status == "Assignable"
    assert (
        client.get(reverse("work_task_return", args=[assignment.assignment_id])).status_code == 405
    )
    # A returned task can't be submitted any more.
    before = database_snapshot()
    refused = client.post(task_url(assignment), {"label": "cat"})
    assert refused.status_code == 409
    assert database_snapshot() == before


def test_the_task_page_never_shows_another_workers_answer():
    job, _requester = launched_job(objects=1, workers_per_object=2)
    first, first_client = worker_client()
    mine = assignment_claim_next(worker=first, job=job)
    submit(first_client, mine, "bird")
    second, client = worker_client()
    theirs = assignment_claim_next(worker=second, job=job)
    assert theirs.hit == mine.hit

    response = client.get(task_url(theirs))

    content = response.content.decode()
    assert response.context["answer_label"] is None
    assert "You answered" not in content
    assert "selected" not in content
    assert 'aria-pressed="true"' not in content
    assert mine.assignment_id not in content
    assert first.worker_id not in content
    assert "0 done in this job" in content


def test_a_paused_jobs_task_in_hand_can_still_be_submitted():
    job, requester = launched_job(objects=2)
    worker, client = worker_client()
    assignment = assignment_claim_next(worker=worker, job=job)
    job_pause(actor=requester, job=job)

    response = submit(client, assignment, "cat")

    assert fresh(assignment).status == AssignmentStatus.SUBMITTED
    assert response.url == reverse("work_list")  # no new work from a paused job
    assert fresh(job).status == JobStatus.PAUSED


# My assignments.


def test_my_assignments_show_status_reward_and_feedback():
    job, requester = launched_job(objects=3)
    worker, client = worker_client()
    rejected = assignment_claim_next(worker=worker, job=job)
    assignment_submit(worker=worker, assignment=rejected, answer={"label": "cat"})
    assignment_reject(actor=requester, assignment=rejected, feedback="That is a dog.")
    live = assignment_claim_next(worker=worker, job=job)
    someone_elses = assignment_claim_next(worker=workers(1)[0], job=job)

    response = client.get(reverse("work_assignments"))

    content = response.content.decode()
    assert response.status_code == 200
    assert rejected.assignment_id in content
    assert "That is a dog." in content
    assert "Rejected" in content
    assert "0.05 USD" in content
    assert task_url(live) in content  # still workable: linked
    assert task_url(rejected) not in content
    assert someone_elses.assignment_id not in content


def test_my_assignments_queries_do_not_grow(django_assert_max_num_queries):
    worker, client = worker_client()
    for _ in range(6):
        job, _requester = launched_job(objects=1)
        assignment_claim_next(worker=worker, job=job)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("work_assignments"))
    assert response.content.decode().count("<tr>") == 7


def test_my_assignments_send_a_non_worker_to_the_worker_profile(user):
    response = client_for(user).get(reverse("work_assignments"))
    assert response.url == reverse("worker_profile")


# Script injection.


def test_requester_text_is_escaped_on_every_work_page():
    organization = OrganizationFactory()
    requester = requester_of(organization)
    job = job_create(
        actor=requester,
        organization=organization,
        **job_fields(
            task_type="text-classification",
            title=f"Title {XSS}",
            description=f"Description {XSS}",
            short_instructions=f"<p>Short</p>{XSS}",
            full_instructions=f"<p>Full</p>{XSS}",
            label_category_config={
                "document-version": "2018-11-28",
                "labels": [{"label": f"cat{XSS}"}, {"label": "dog"}],
            },
        ),
    )
    DataObjectFactory.create_batch(2, job=job, data={"source": f"Text {XSS}"})
    job = job_launch(actor=requester, job=job)
    worker, client = worker_client()
    done = assignment_claim_next(worker=worker, job=job)
    assignment_submit(worker=worker, assignment=done, answer={"label": f"cat{XSS}"})
    assignment_reject(actor=requester, assignment=done, feedback=f"Feedback {XSS}")
    live = assignment_claim_next(worker=worker, job=job)

    for url in (
        reverse("work_list"),
        task_url(live),
        task_url(done),
        reverse("work_assignments"),
    ):
        response = client.get(url)
        content = response.content.decode()
        assert response.status_code == 200, url
        assert "<script>alert(1)" not in content, url
        assert ESCAPED_XSS in content, url
