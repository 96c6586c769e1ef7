"""The worker profile admin: pages render, search, and the worker id stays read-only."""

import re

import pytest
from django.urls import reverse

from tests.jobs.factories import LabelingJobFactory, PrivateWorkforceFactory
from tests.jobs.lifecycle import requester_of
from tests.marketplace.factories import UserFactory
from tests.workforce.factories import WorkerProfileFactory
from workforce.models import WORKER_ID_REGEX, WorkerBlock, WorkerProfile

pytestmark = pytest.mark.django_db


def test_changelist_and_change_page_render(staff_client):
    profile = WorkerProfileFactory()

    changelist = staff_client.get(reverse("admin:workforce_workerprofile_changelist"))
    change = staff_client.get(reverse("admin:workforce_workerprofile_change", args=[profile.pk]))

    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [profile]
    assert change.status_code == 200
    assert profile.worker_id in change.content.decode()


@pytest.mark.parametrize("field", ["worker_id", "email"])
def test_search_by_worker_id_or_email(staff_client, field):
    wanted, _other = WorkerProfileFactory(), WorkerProfileFactory()
    query = wanted.worker_id if field == "worker_id" else wanted.user.email

    response = staff_client.get(reverse("admin:workforce_workerprofile_changelist"), {"q": query})

    assert list(response.context["cl"].result_list) == [wanted]


def test_worker_id_cannot_be_changed(staff_client):
    profile = WorkerProfileFactory(country="US")
    worker_id = profile.worker_id

    response = staff_client.post(
        reverse("admin:workforce_workerprofile_change", args=[profile.pk]),
        {
            "user": profile.user.pk,
            "worker_id": "AHACKEDHACKEDX",
            "display_name": "Renamed",
            "country": "DE",
            "languages": '["de"]',
        },
    )

    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.worker_id, profile.display_name, profile.country) == (
        worker_id,
        "Renamed",
        "DE",
    )


def test_staff_adds_a_worker_who_gets_a_fresh_worker_id(staff_client):
    user = UserFactory()

    response = staff_client.post(
        reverse("admin:workforce_workerprofile_add"),
        {"user": user.pk, "display_name": "Sam", "country": "FR", "languages": '["fr"]'},
    )

    profile = WorkerProfile.objects.get(user=user)
    assert response.status_code == 302
    assert re.match(WORKER_ID_REGEX, profile.worker_id)
    assert (profile.country, profile.languages) == ("FR", ["fr"])


def test_invalid_country_is_refused_and_nothing_is_saved(staff_client):
    user = UserFactory()

    response = staff_client.post(
        reverse("admin:workforce_workerprofile_add"),
        {"user": user.pk, "display_name": "Sam", "country": "france", "languages": "[]"},
    )

    assert response.status_code == 200
    assert "country" in response.context["adminform"].form.errors
    assert not WorkerProfile.objects.exists()


def test_workforce_and_block_pages_render(staff_client):
    workforce = PrivateWorkforceFactory()
    block = WorkerBlock.objects.create(
        organization=workforce.organization, worker=WorkerProfileFactory(), reason="Spam"
    )

    pages = [
        reverse("admin:workforce_workforce_changelist"),
        reverse("admin:workforce_workforce_change", args=[workforce.pk]),
        reverse("admin:workforce_workerblock_changelist"),
        reverse("admin:workforce_workerblock_change", args=[block.pk]),
    ]

    assert [staff_client.get(page).status_code for page in pages] == [200, 200, 200, 200]


def test_qualification_pages_render_and_grants_are_read_only(staff_client):
    from tests.workforce.factories import QualificationFactory
    from workforce.models import QualificationRequirement
    from workforce.qualifications import job_requirements_set

    grant = QualificationFactory(integer_value=42)
    job = LabelingJobFactory(organization=grant.qualification_type.owner)
    job_requirements_set(
        actor=requester_of(job.organization),
        job=job,
        requirements=[
            {
                "QualificationTypeId": grant.qualification_type.type_id,
                "Comparator": "In",
                "IntegerValues": [41, 42],
            }
        ],
    )
    requirement = QualificationRequirement.objects.get(job=job)

    for name, pk in [
        ("qualificationtype", grant.qualification_type.pk),
        ("qualification", grant.pk),
        ("qualificationrequirement", requirement.pk),
    ]:
        changelist = staff_client.get(reverse(f"admin:workforce_{name}_changelist"))
        change = staff_client.get(reverse(f"admin:workforce_{name}_change", args=[pk]))
        assert (changelist.status_code, change.status_code) == (200, 200), name
    assert (
        grant.qualification_type.type_id
        in staff_client.get(
            reverse("admin:workforce_qualificationtype_changelist")
        ).content.decode()
    )

    response = staff_client.post(
        reverse("admin:workforce_qualification_change", args=[grant.pk]),
        {"integer_value": 99},
    )
    assert response.status_code == 403
    grant.refresh_from_db()
    assert grant.integer_value == 42


def test_staff_suspend_and_reinstate_a_worker_from_the_profile_page(staff_client):
    profile = WorkerProfileFactory(country="US")
    url = reverse("admin:workforce_workerprofile_change", args=[profile.pk])
    fields = {
        "user": profile.user.pk,
        "display_name": profile.display_name,
        "country": "US",
        "languages": '["en"]',
    }

    refused = staff_client.post(url, {**fields, "suspend": "on", "reason": ""})
    suspended = staff_client.post(url, {**fields, "suspend": "on", "reason": "Fraud review."})
    profile.refresh_from_db()
    state = (profile.suspended_at is not None, profile.suspension_reason)
    reinstated = staff_client.post(url, fields)

    assert refused.status_code == 200  # the form again, with the reason's error
    assert "Give the reason the worker will see." in refused.content.decode()
    assert suspended.status_code == reinstated.status_code == 302
    assert state == (True, "Fraud review.")
    profile.refresh_from_db()
    assert (profile.suspended_at, profile.suspension_reason) == (None, "")
