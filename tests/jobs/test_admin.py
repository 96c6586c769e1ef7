"""The jobs admin: every page renders for staff, and statuses and counters are read-only."""

import pytest
from django.urls import reverse

from jobs.models import HIT, Assignment, DataObject, JobEvent, LabelingJob
from tests.jobs.factories import AssignmentFactory

pytestmark = pytest.mark.django_db

MODELS = [LabelingJob, JobEvent, DataObject, HIT, Assignment]


@pytest.fixture
def assignment():
    assignment = AssignmentFactory()
    JobEvent.objects.create(job=assignment.hit.job, kind="launched", new_status="running")
    return assignment


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_and_change_pages_render(staff_client, assignment, model):
    name = f"admin:jobs_{model._meta.model_name}"
    obj = model.objects.get()

    changelist = staff_client.get(reverse(f"{name}_changelist"))
    change = staff_client.get(reverse(f"{name}_change", args=[obj.pk]))

    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [obj]
    assert change.status_code == 200


@pytest.mark.parametrize("model", [JobEvent, DataObject, HIT, Assignment], ids=lambda m: m.__name__)
def test_state_rows_cannot_be_added_in_the_admin(staff_client, model):
    response = staff_client.get(reverse(f"admin:jobs_{model._meta.model_name}_add"))

    assert response.status_code == 403


def test_a_jobs_status_and_counters_cannot_be_edited(staff_client, assignment):
    job = assignment.hit.job
    url = reverse("admin:jobs_labelingjob_change", args=[job.pk])

    form = staff_client.get(url).context["adminform"].form

    assert "status" not in form.fields
    assert "human_labeled" not in form.fields
    assert "open_hits" not in form.fields
    assert "name" in form.fields


def test_search_finds_an_assignment_by_worker_id(staff_client, assignment):
    AssignmentFactory()  # another worker's
    url = reverse("admin:jobs_assignment_changelist")

    response = staff_client.get(url, {"q": assignment.worker.worker_id})

    assert list(response.context["cl"].result_list) == [assignment]
