"""Quality rules' pages: the requester's rules page of a job (add, turn off, the log, bad
input, ended jobs, other organizations), the worker home's notices, and the admin."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobs.models import AssignmentStatus, JobStatus, LabelingJob, QualityActionRecord, QualityRule
from jobs.services.quality_rules import quality_rule_create, rules_check_worker
from tests.jobs.factories import AssignmentFactory, HITFactory, RunningJobFactory
from tests.jobs.lifecycle import fresh, requester_of
from tests.marketplace.factories import UserFactory
from tests.snapshots import database_snapshot
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def job():
    return RunningJobFactory()


@pytest.fixture
def requester(job):
    return requester_of(job.organization)


def page(job) -> str:
    return reverse("job_quality_rules", kwargs={"job_id": job.pk})


def form(**overrides) -> dict:
    return {
        "collector": "fast_responses",
        "threshold_seconds": "4",
        "operator": "gte",
        "value": "10",
        "min_answers": "10",
        "action": "reject_pending",
        "reason": "Answers faster than the picture loads.",
        **overrides,
    }


def acted_on(job, requester, worker, **fields):
    """A rule that acted on `worker` (one quick submit is enough)."""
    quality_rule_create(
        actor=requester,
        job=job,
        **{
            "collector": "fast_responses",
            "params": {"threshold_seconds": 7},
            "operator": "gte",
            "value": 1,
            "action": "remove_from_job",
            "reason": "Answers faster than the picture loads.",
            **fields,
        },
    )
    now = timezone.now()
    AssignmentFactory(
        hit=HITFactory(job=job),
        worker=worker,
        status=AssignmentStatus.SUBMITTED,
        accepted_at=now - timedelta(seconds=1),
        submitted_at=now,
        answer={"label": "cat"},
    )
    (record,) = rules_check_worker(job_id=job.pk, worker_id=worker.pk)
    return record


def test_the_job_page_links_to_its_rules(job, requester):
    response = client_for(requester).get(reverse("job_detail", kwargs={"job_id": job.pk}))

    assert page(job) in response.content.decode()


def test_add_a_rule_from_the_page(job, requester):
    client = client_for(requester)

    response = client.post(page(job), form())

    assert response.status_code == 302
    rule = QualityRule.objects.get()
    assert (rule.collector, rule.params, rule.operator, rule.value, rule.min_answers) == (
        "fast_responses",
        {"threshold_seconds": 4.0},
        "gte",
        10.0,
        10,
    )
    assert (rule.action, rule.action_params, rule.created_by) == ("reject_pending", {}, requester)
    assert fresh(job).has_quality_rules
    shown = client.get(page(job)).content.decode()
    assert "Answers faster than the picture loads." in shown
    assert "Fast responses (threshold_seconds 4.0) ≥ 10, with ≥ 10" in shown


def test_a_bad_rule_shows_the_field_message_and_changes_nothing(job, requester):
    client = client_for(requester)
    before = database_snapshot()

    response = client.post(page(job), form(threshold_seconds=""))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["threshold_seconds"]
    assert database_snapshot() == before


def test_an_impossible_condition_is_refused_on_the_value(job, requester):
    response = client_for(requester).post(
        page(job), form(collector="gold_accuracy", threshold_seconds="", value="1.5")
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "value": ["This collector gives a share: give a value from 0 to 1."]
    }
    assert not QualityRule.objects.exists()


def test_turn_a_rule_off_and_on(job, requester):
    client = client_for(requester)
    client.post(page(job), form())
    rule = QualityRule.objects.get()
    toggle = reverse("job_quality_rule_active", kwargs={"job_id": job.pk, "rule_id": rule.pk})

    assert client.post(toggle, {"active": "off"}).status_code == 302
    assert not fresh(rule).active
    assert not fresh(job).has_quality_rules
    client.post(toggle, {"active": "on"})
    assert fresh(rule).active


def test_an_ended_jobs_rules_are_read_only(job, requester):
    client = client_for(requester)
    client.post(page(job), form())
    rule = QualityRule.objects.get()
    LabelingJob.objects.filter(pk=job.pk).update(status=JobStatus.STOPPED)
    toggle = reverse("job_quality_rule_active", kwargs={"job_id": job.pk, "rule_id": rule.pk})

    shown = client.get(page(job))
    added = client.post(page(job), form())
    toggled = client.post(toggle, {"active": "off"})

    assert shown.status_code == 200
    assert 'id="add-rule"' not in shown.content.decode()
    assert (added.status_code, toggled.status_code) == (409, 409)
    assert QualityRule.objects.count() == 1
    assert fresh(rule).active


def test_the_log_shows_what_rules_did(job, requester):
    worker = WorkerProfileFactory()
    record = acted_on(job, requester, worker)

    shown = client_for(requester).get(page(job)).content.decode()

    assert f'data-record="{record.pk}"' in shown
    assert worker.worker_id in shown
    assert record.evidence["assignment_ids"][0] in shown


def test_another_organization_gets_404(job, requester):
    client_for(requester).post(page(job), form())
    rule = QualityRule.objects.get()
    outsider = client_for(UserFactory())
    toggle = reverse("job_quality_rule_active", kwargs={"job_id": job.pk, "rule_id": rule.pk})

    assert outsider.get(page(job)).status_code == 404
    assert outsider.post(page(job), form()).status_code == 404
    assert outsider.post(toggle, {"active": "off"}).status_code == 404
    assert QualityRule.objects.count() == 1
    assert fresh(rule).active


# The worker's side.


def test_the_worker_home_shows_the_reason_and_not_the_rules_internals(job, requester):
    worker = WorkerProfileFactory()
    record = acted_on(job, requester, worker)

    shown = client_for(worker.user).get(reverse("worker_profile")).content.decode()

    assert f'data-notice="{record.pk}"' in shown
    assert job.title in shown
    assert "You were removed from this job: you get no more of its tasks." in shown
    assert "Answers faster than the picture loads." in shown
    assert "threshold" not in shown
    assert "fast_responses" not in shown


def test_the_worker_home_shows_no_one_elses_notices(job, requester):
    acted_on(job, requester, WorkerProfileFactory())
    someone = WorkerProfileFactory()

    shown = client_for(someone.user).get(reverse("worker_profile")).content.decode()

    assert 'id="quality-notices"' not in shown


def test_a_removed_worker_sees_no_work_in_that_job(job, requester):
    worker = WorkerProfileFactory()
    HITFactory(job=job)
    acted_on(job, requester, worker)

    shown = client_for(worker.user).get(reverse("work_list"))

    assert job.pk not in [listed.pk for listed in shown.context["jobs"]]


# The admin.


@pytest.mark.parametrize("model", [QualityRule, QualityActionRecord], ids=lambda m: m.__name__)
def test_the_admin_lists_rules_and_the_log_read_only(staff_client, job, requester, model):
    acted_on(job, requester, WorkerProfileFactory())
    name = f"admin:jobs_{model._meta.model_name}"
    obj = model.objects.get()

    assert staff_client.get(reverse(f"{name}_changelist")).status_code == 200
    assert staff_client.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200
    assert staff_client.get(reverse(f"{name}_add")).status_code == 403
