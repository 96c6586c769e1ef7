"""The requester's job pages: list, create, progress and lifecycle buttons, manifest upload,
the review queue and the downloads; other organizations' jobs are 404 and refused input
changes nothing."""

import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import reverse

from jobs.models import Assignment, AssignmentStatus, DataObject, JobEvent, JobStatus, LabelingJob
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.jobs import job_create
from jobs.services.review import assignment_reject
from marketplace.models import MembershipRole
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

XSS = "</script><script>alert(1)</script>"
ESCAPED_XSS = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create_form(**overrides) -> dict:
    data = {
        "name": "street-signs",
        "label_attribute_name": "sign",
        "task_type": "image-classification",
        "labels": "stop\nyield\n\n  speed limit  \n",
        "title": "Which sign is this?",
        "description": "Pick the traffic sign.",
        "short_instructions": "<p>Pick <b>one</b>.</p><script>alert(1)</script>",
        "full_instructions": "",
        "reward": "0.04",
        "workers_per_object": "3",
        "task_time_limit_seconds": "300",
        "auto_approval_delay_seconds": "259200",
        "max_concurrent_tasks": "100",
        "workforce": "",
    }
    data.update(overrides)
    return data


def submitted_work(job, *, count: int = 2, label: str = "cat") -> list[Assignment]:
    """`count` workers each claim and submit one task of the running `job`, running what
    the submit enqueues on commit (consolidation) as a real commit would."""
    done = []
    for worker in workers(count):
        assignment = assignment_claim_next(worker=worker, job=job)
        with TestCase.captureOnCommitCallbacks(execute=True):
            done.append(
                assignment_submit(worker=worker, assignment=assignment, answer={"label": label})
            )
    return done


def manifest_file(lines: list, name: str = "input.manifest") -> SimpleUploadedFile:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    return SimpleUploadedFile(name, text.encode(), content_type="application/x-ndjson")


def test_pages_need_a_login():
    job = LabelingJobFactory()
    for url in (
        reverse("job_list"),
        reverse("job_create"),
        reverse("job_detail", args=[job.pk]),
        reverse("job_review", args=[job.pk]),
        reverse("job_output", args=[job.pk]),
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


# The job list.


def test_job_list_shows_the_organizations_jobs_with_progress(django_assert_max_num_queries):
    job, requester = launched_job(objects=4)
    LabelingJob.objects.filter(pk=job.pk).update(human_labeled=1)
    other = LabelingJobFactory(name="someone-elses-job")
    client = client_for(requester)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("job_list"))

    assert response.status_code == 200
    content = response.content.decode()
    assert job.name in content
    assert reverse("job_detail", args=[job.pk]) in content
    assert "Running" in content
    assert '<progress class="job-progress" max="4" value="1">' in content
    assert other.name not in content


def test_job_list_queries_do_not_grow_with_jobs(django_assert_max_num_queries):
    job, requester = launched_job(objects=1)
    for _ in range(20):
        LabelingJobFactory(organization=job.organization)
    client = client_for(requester)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("job_list"))
    assert response.content.decode().count('href="/jobs/') >= 21


def test_job_list_without_an_organization_points_to_creating_one(user):
    response = client_for(user).get(reverse("job_list"))
    assert response.status_code == 200
    assert reverse("organization_create") in response.content.decode()
    assert reverse("job_create") not in response.content.decode()


# Creating a job.


def test_create_page_offers_the_task_types_and_workforces():
    organization = OrganizationFactory()
    requester = requester_of(organization)
    team = PrivateWorkforceFactory(organization=organization, name="Night shift")
    foreign = PrivateWorkforceFactory(name="Their team")

    response = client_for(requester).get(reverse("job_create"))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'value="image-classification"' in content
    assert 'value="text-classification"' in content
    assert f'<option value="workforce:{team.pk}">' in content
    assert "Night shift" in content
    assert "Their team" not in content
    assert f'<option value="workforce:{foreign.pk}">' not in content
    # One organization: chosen for the user, not asked.
    assert f'type="hidden" name="organization" value="{organization.pk}"' in content


def test_create_makes_a_draft_job_from_the_form():
    organization = OrganizationFactory()
    requester = requester_of(organization)

    response = client_for(requester).post(reverse("job_create"), create_form())

    job = LabelingJob.objects.get(name="street-signs")
    assert response.status_code == 302
    assert response.url == reverse("job_detail", args=[job.pk])
    assert job.organization == organization
    assert job.status == JobStatus.DRAFT
    assert job.labels == ["stop", "yield", "speed limit"]
    assert job.label_category_config == {
        "document-version": "2018-11-28",
        "labels": [{"label": "stop"}, {"label": "yield"}, {"label": "speed limit"}],
    }
    assert job.reward == Decimal("0.0400")
    assert job.workforce == public_crowd()
    assert job.max_concurrent_tasks == 100
    assert "<script>" not in job.short_instructions
    assert JobEvent.objects.filter(job=job, kind="created").count() == 1


def test_personal_data_is_refused_for_the_public_crowd_on_the_page_too():
    organization = OrganizationFactory()
    requester = requester_of(organization)
    team = PrivateWorkforceFactory(organization=organization)
    client = client_for(requester)

    refused = client.post(reverse("job_create"), create_form(contains_personal_information="on"))
    created = client.post(
        reverse("job_create"),
        create_form(contains_personal_information="on", workforce=f"workforce:{team.pk}"),
    )

    assert refused.status_code == 400  # the form again, with the reason
    assert "cannot go to the public crowd" in refused.content.decode()
    assert created.status_code == 302
    job = LabelingJob.objects.get(name="street-signs")
    assert (job.contains_personal_information, job.workforce) == (True, team)


def test_create_for_a_private_workforce_in_one_of_several_organizations():
    first, second = OrganizationFactory(name="First"), OrganizationFactory(name="Second")
    requester = requester_of(first)
    MembershipFactory(organization=second, user=requester)
    team = PrivateWorkforceFactory(organization=second)
    client = client_for(requester)
    assert '<select name="organization"' in client.get(reverse("job_create")).content.decode()

    response = client.post(
        reverse("job_create"), create_form(organization=second.pk, workforce=f"workforce:{team.pk}")
    )

    assert response.status_code == 302
    job = LabelingJob.objects.get(name="street-signs")
    assert (job.organization, job.workforce) == (second, team)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "no spaces allowed"}, "name", "letters, digits and hyphens"),
        ({"labels": "only-one"}, "labels", "needs at least 2 labels"),
        ({"labels": "same\nsame"}, "labels", "listed more than once"),
        ({"reward": "0.001"}, "reward", "at least 0.01"),
        ({"workers_per_object": "10"}, "workers_per_object", "9"),
        ({"task_time_limit_seconds": "5"}, "task_time_limit_seconds", "30"),
        ({"task_type": "video-tracking"}, "task_type", "valid choice"),
        ({"label_attribute_name": "x-metadata"}, "label_attribute_name", "-metadata"),
    ],
)
def test_create_refuses_bad_input_with_field_messages_and_no_row(overrides, field, message):
    requester = requester_of(OrganizationFactory())
    client = client_for(requester)
    before = database_snapshot()

    response = client.post(reverse("job_create"), create_form(**overrides))

    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert message.replace('"', "&quot;") in response.content.decode()
    assert database_snapshot() == before


def test_create_refuses_a_taken_name():
    organization = OrganizationFactory()
    requester = requester_of(organization)
    LabelingJobFactory(organization=organization, name="Street-Signs")
    client = client_for(requester)
    before = database_snapshot()

    response = client.post(reverse("job_create"), create_form())

    assert response.status_code == 409
    assert "already exists" in " ".join(response.context["form"].errors["name"])
    assert database_snapshot() == before


def test_create_refuses_another_organizations_workforce_and_organization():
    requester = requester_of(OrganizationFactory())
    stranger = OrganizationFactory()
    foreign_team = PrivateWorkforceFactory(organization=stranger)
    client = client_for(requester)
    before = database_snapshot()

    for overrides in (
        {"workforce": f"workforce:{foreign_team.pk}"},
        {"workforce": str(foreign_team.pk)},
        {"organization": stranger.pk},
    ):
        response = client.post(reverse("job_create"), create_form(**overrides))
        assert response.status_code == 400

    assert database_snapshot() == before


def test_create_needs_a_verified_email():
    organization = OrganizationFactory()
    requester = UserFactory(verified=False)
    MembershipFactory(organization=organization, user=requester)
    client = client_for(requester)
    before = database_snapshot()

    response = client.post(reverse("job_create"), create_form())

    assert response.status_code == 403
    assert "Verify your email" in response.content.decode()
    assert database_snapshot() == before


def test_create_without_an_organization_sends_you_to_make_one(user):
    response = client_for(user).get(reverse("job_create"))
    assert response.status_code == 302
    assert response.url == reverse("organization_create")


# The progress page and the lifecycle buttons.


def test_progress_page_shows_counters_bar_and_the_buttons_of_the_state():
    job, requester = launched_job(objects=4)
    LabelingJob.objects.filter(pk=job.pk).update(human_labeled=2, failed_objects=1)

    response = client_for(requester).get(reverse("job_detail", args=[job.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert '<progress class="job-progress large" max="4" value="2"' in content
    assert "50% labeled" in content
    for counter, value in (
        ("total", 4),
        ("total_labeled", 2),
        ("human_labeled", 2),
        ("machine_labeled", 0),
        ("failed", 1),
        ("unlabeled", 1),
    ):
        assert f'data-counter="{counter}">{value}</dd>' in content
    assert reverse("job_pause", args=[job.pk]) in content
    assert reverse("job_stop", args=[job.pk]) in content
    assert reverse("job_launch", args=[job.pk]) not in content
    assert reverse("job_manifest", args=[job.pk]) not in content  # only while draft
    assert reverse("job_output", args=[job.pk]) in content
    assert reverse("job_responses", args=[job.pk]) in content
    assert "Launched" in content  # the recent events


def test_draft_progress_page_offers_launch_and_the_manifest_upload():
    job = LabelingJobFactory()
    response = client_for(requester_of(job.organization)).get(reverse("job_detail", args=[job.pk]))
    content = response.content.decode()
    assert reverse("job_launch", args=[job.pk]) in content
    assert reverse("job_manifest", args=[job.pk]) in content
    assert 'enctype="multipart/form-data"' in content


def test_another_organizations_job_is_not_found_on_every_page():
    job, _requester = launched_job(objects=1)
    outsider = requester_of(OrganizationFactory())
    client = client_for(outsider)
    before = database_snapshot()

    for name in ("job_detail", "job_review", "job_output", "job_responses"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    for name in ("job_launch", "job_pause", "job_resume", "job_stop", "job_review"):
        assert client.post(reverse(name, args=[job.pk])).status_code == 404
    upload = client.post(
        reverse("job_manifest", args=[job.pk]), {"manifest": manifest_file([{"source-ref": "a"}])}
    )
    assert upload.status_code == 404
    assert client.get(reverse("job_detail", args=[987654])).status_code == 404
    assert database_snapshot() == before


def test_launch_pause_resume_and_stop_from_the_page():
    job = LabelingJobFactory()
    DataObjectFactory.create_batch(2, job=job)
    client = client_for(requester_of(job.organization))

    for action, status in (
        ("launch", JobStatus.RUNNING),
        ("pause", JobStatus.PAUSED),
        ("resume", JobStatus.RUNNING),
        ("stop", JobStatus.STOPPED),
    ):
        response = client.post(reverse(f"job_{action}", args=[job.pk]))
        assert response.status_code == 302
        assert response.url == reverse("job_detail", args=[job.pk])
        assert fresh(job).status == status
    assert fresh(job).total_objects == 2
    page = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert "The job is stopped" in page  # the message after the redirect


def test_launch_without_data_is_refused_and_changes_nothing():
    job = LabelingJobFactory()
    client = client_for(requester_of(job.organization))
    before = database_snapshot()

    response = client.post(reverse("job_launch", args=[job.pk]))

    assert response.status_code == 409
    assert "upload a manifest" in response.content.decode()
    assert database_snapshot() == before


def test_an_illegal_transition_is_refused_and_changes_nothing():
    job = LabelingJobFactory()
    client = client_for(requester_of(job.organization))
    before = database_snapshot()

    for action in ("stop", "resume", "pause"):
        response = client.post(reverse(f"job_{action}", args=[job.pk]))
        assert response.status_code == 409
        assert "draft" in response.content.decode()

    assert database_snapshot() == before


def test_lifecycle_buttons_take_post_only():
    job = LabelingJobFactory()
    client = client_for(requester_of(job.organization))
    assert client.get(reverse("job_launch", args=[job.pk])).status_code == 405
    assert client.post(reverse("job_output", args=[job.pk])).status_code == 405
    assert fresh(job).status == JobStatus.DRAFT


# The manifest upload.


def test_manifest_upload_imports_the_lines():
    job = LabelingJobFactory()
    client = client_for(requester_of(job.organization))
    lines = [{"source-ref": f"https://example.com/{n}.png", "id": n} for n in range(3)]

    response = client.post(
        reverse("job_manifest", args=[job.pk]), {"manifest": manifest_file(lines)}
    )

    assert response.status_code == 302
    assert (
        list(
            DataObject.objects.filter(job=job)
            .order_by("line_number")
            .values_list("data", flat=True)
        )
        == lines
    )
    assert fresh(job).total_objects == 3
    page = client.get(response.url).content.decode()
    assert "Imported 3 data objects (lines 1–3)." in page
    assert "Manifest imported: 3 objects, lines 1–3" in page


def test_a_bad_manifest_lists_every_bad_line_and_imports_nothing():
    job = LabelingJobFactory()
    client = client_for(requester_of(job.organization))
    lines = [
        {"source-ref": "https://example.com/1.png"},
        "{not json",
        {"source": "text, but this is an image job"},
        {"source-ref": "https://example.com/4.png"},
        {"source-ref": "javascript:alert(1)"},
    ]
    before = database_snapshot()

    response = client.post(
        reverse("job_manifest", args=[job.pk]), {"manifest": manifest_file(lines)}
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "The manifest was not imported" in content
    errors = response.context["manifest_form"].errors["manifest"]
    assert [error.split(":")[0] for error in errors] == ["line 2", "line 3", "line 5"]
    for error in errors:
        assert f"<li>{error.split(':')[0]}:" in content
    assert database_snapshot() == before


def test_manifest_upload_needs_a_file_and_a_draft_job():
    job, requester = launched_job(objects=1)
    draft = LabelingJobFactory(organization=job.organization)
    client = client_for(requester)
    before = database_snapshot()

    missing = client.post(reverse("job_manifest", args=[draft.pk]), {})
    assert missing.status_code == 400
    assert "This field is required" in missing.content.decode()
    running = client.post(
        reverse("job_manifest", args=[job.pk]),
        {"manifest": manifest_file([{"source-ref": "https://example.com/x.png"}])},
    )
    assert running.status_code == 409
    assert "Only a draft job takes a manifest" in running.content.decode()
    assert database_snapshot() == before


# The review queue.


def test_review_queue_lists_submitted_work_with_worker_answer_and_time():
    job, requester = launched_job(objects=2)
    first, second = submitted_work(job, count=2, label="dog")
    in_progress = assignment_claim_next(worker=workers(1)[0], job=job)

    response = client_for(requester).get(reverse("job_review", args=[job.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    for assignment in (first, second):
        assert assignment.assignment_id in content
        assert assignment.worker.worker_id in content
    assert content.count('<span class="badge accent answer-label">dog</span>') == 2
    assert in_progress.assignment_id not in content  # not submitted yet
    assert "https://example.com/images/" in content  # which object it was


def test_review_queue_filters_by_worker_and_status():
    job, requester = launched_job(objects=2)
    first, second = submitted_work(job, count=2)
    assignment_reject(actor=requester, assignment=first, feedback="Blurry guess")
    client = client_for(requester)

    waiting = client.get(reverse("job_review", args=[job.pk])).content.decode()
    assert second.assignment_id in waiting
    assert first.assignment_id not in waiting
    rejected = client.get(
        reverse("job_review", args=[job.pk]), {"status": "Rejected"}
    ).content.decode()
    assert first.assignment_id in rejected
    assert second.assignment_id not in rejected
    assert "Blurry guess" in rejected
    by_worker = client.get(
        reverse("job_review", args=[job.pk]), {"status": "all", "worker": second.worker.worker_id}
    ).content.decode()
    assert second.assignment_id in by_worker
    assert first.assignment_id not in by_worker
    assert client.get(reverse("job_review", args=[job.pk]), {"status": "Nope"}).status_code == 400


def test_approve_one_and_reject_one_with_feedback():
    job, requester = launched_job(objects=2)
    first, second = submitted_work(job, count=2)
    client = client_for(requester)
    url = reverse("job_review", args=[job.pk])

    approved = client.post(url, {"approve_one": first.assignment_id, "feedback": ""})
    rejected = client.post(
        url, {"reject_one": second.assignment_id, "feedback": "You skipped the instructions."}
    )

    assert approved.status_code == rejected.status_code == 302
    assert approved.url == url + "?status=Submitted"
    assert fresh(first).status == AssignmentStatus.APPROVED
    second = fresh(second)
    assert second.status == AssignmentStatus.REJECTED
    assert second.requester_feedback == "You skipped the instructions."
    assert "Rejected 1 assignment." in client.get(rejected.url).content.decode()


def test_reject_without_feedback_is_refused_and_changes_nothing():
    job, requester = launched_job(objects=1)
    (assignment,) = submitted_work(job, count=1)
    client = client_for(requester)
    before = database_snapshot()

    response = client.post(
        reverse("job_review", args=[job.pk]), {"reject_one": assignment.assignment_id}
    )

    assert response.status_code == 400
    assert "Say why the work is rejected" in response.content.decode()
    assert database_snapshot() == before


def test_bulk_approve_and_reject_the_checked_assignments():
    job, requester = launched_job(objects=3)
    done = submitted_work(job, count=3)
    client = client_for(requester)
    url = reverse("job_review", args=[job.pk])

    response = client.post(
        url,
        {"assignment_ids": [a.assignment_id for a in done[:2]], "action": "approve"},
    )
    assert response.status_code == 302
    assert [fresh(a).status for a in done] == ["Approved", "Approved", "Submitted"]

    response = client.post(
        url, {"assignment_ids": [done[2].assignment_id], "action": "reject", "feedback": "No."}
    )
    assert response.status_code == 302
    assert fresh(done[2]).status == AssignmentStatus.REJECTED

    response = client.post(url, {"override_one": done[2].assignment_id})
    assert response.status_code == 302
    assert fresh(done[2]).status == AssignmentStatus.APPROVED


def test_bulk_review_is_all_or_nothing():
    job, requester = launched_job(objects=2)
    first, second = submitted_work(job, count=2)
    assignment_reject(actor=requester, assignment=second, feedback="Wrong.")
    client = client_for(requester)
    before = database_snapshot()

    # The rejected one needs an explicit override: the whole request is refused.
    response = client.post(
        reverse("job_review", args=[job.pk]),
        {"assignment_ids": [first.assignment_id, second.assignment_id], "action": "approve"},
    )

    assert response.status_code == 409
    assert "override" in response.content.decode()
    assert database_snapshot() == before


def test_review_refuses_foreign_and_unknown_assignments_and_empty_requests():
    job, requester = launched_job(objects=1)
    (mine,) = submitted_work(job, count=1)
    other_job, _other = launched_job(objects=1)
    (theirs,) = submitted_work(other_job, count=1)
    same_org_job, _ = launched_job(objects=1, organization=job.organization)
    (sibling,) = submitted_work(same_org_job, count=1)
    client = client_for(requester)
    url = reverse("job_review", args=[job.pk])
    before = database_snapshot()

    for foreign in (theirs, sibling):
        response = client.post(
            url,
            {"assignment_ids": [mine.assignment_id, foreign.assignment_id], "action": "approve"},
        )
        assert response.status_code == 404
    assert client.post(url, {"action": "approve"}).status_code == 400
    assert client.post(url, {"assignment_ids": [mine.assignment_id]}).status_code == 400
    bad_id = client.post(url, {"assignment_ids": ["not-an-id"], "action": "approve"})
    assert bad_id.status_code == 400
    assert database_snapshot() == before


def test_a_member_role_may_review(django_assert_max_num_queries):
    job, _requester = launched_job(objects=3)
    submitted_work(job, count=3)
    viewer = requester_of(job.organization, role=MembershipRole.MEMBER)
    client = client_for(viewer)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("job_review", args=[job.pk]))
    assert response.status_code == 200


# Downloads.


def test_output_manifest_downloads_as_streamed_json_lines():
    job, requester = launched_job(objects=2, workers_per_object=1)
    submitted_work(job, count=1, label="dog")

    response = client_for(requester).get(reverse("job_output", args=[job.pk]))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"] == f'attachment; filename="{job.name}.output.manifest"'
    lines = [json.loads(line) for line in io.BytesIO(b"".join(response.streaming_content))]
    assert len(lines) == 1
    assert lines[0]["category"] == 1
    assert lines[0]["category-metadata"]["class-name"] == "dog"
    assert lines[0]["category-metadata"]["job-name"] == job.name


def test_raw_responses_download_lists_every_answer():
    job, requester = launched_job(objects=2)
    done = submitted_work(job, count=2, label="bird")

    response = client_for(requester).get(reverse("job_responses", args=[job.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{job.name}.responses.jsonl"'
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert {line["AssignmentId"] for line in lines} == {a.assignment_id for a in done}
    assert all(line["Answer"] == {"label": "bird"} for line in lines)


# Script injection.


def test_requester_text_is_escaped_on_every_job_page():
    organization = OrganizationFactory()
    requester = requester_of(organization)
    job = job_create(
        actor=requester,
        organization=organization,
        **job_fields(
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
    DataObjectFactory(job=job, data={"source-ref": "https://example.com/a.png", "note": XSS})
    client = client_for(requester)
    client.post(reverse("job_launch", args=[job.pk]))
    (assignment,) = submitted_work(fresh(job), count=1, label=f"cat{XSS}")
    assignment_reject(actor=requester, assignment=assignment, feedback=f"Feedback {XSS}")

    for url, query in (
        (reverse("job_list"), {}),
        (reverse("job_detail", args=[job.pk]), {}),
        (reverse("job_review", args=[job.pk]), {"status": "all", "worker": XSS}),
    ):
        response = client.get(url, query)
        content = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert(1)" not in content, url
        assert ESCAPED_XSS in content, url
        assert "Content-Security-Policy" in response.headers
