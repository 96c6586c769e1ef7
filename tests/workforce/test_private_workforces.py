"""Private workforces over the API and the invitation page: create and rename, invite by
email (existing workers and people without an account or a worker profile), accept once
with the invited address, withdraw, remove a member; the work follows membership."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from jobs.selectors import work_job_list
from tests.jobs.lifecycle import launched_job
from tests.marketplace.api_support import NOT_FOUND, iso, make_world, session_client, snapshot
from tests.marketplace.factories import UserFactory
from tests.workforce.factories import WorkerProfileFactory, vendor_workforce_of
from workforce.models import WorkerProfile, Workforce, WorkforceInvitation, WorkforceMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def workforces_url(organization) -> str:
    return f"/api/v1/organizations/{organization.pk}/workforces/"


def make_workforce(world, name="Annotators") -> dict:
    response = session_client(world.member).post(
        workforces_url(world.organization), {"name": name}, format="json"
    )
    assert response.status_code == 201
    return response.json()


def invite(world, workforce_id, email, django_capture_on_commit_callbacks) -> str:
    """Invite `email` and return the token from the emailed link."""
    with django_capture_on_commit_callbacks(execute=True):
        response = session_client(world.member).post(
            f"{workforces_url(world.organization)}{workforce_id}/invitations/",
            {"email": email},
            format="json",
        )
    assert response.status_code == 201
    body = mail.outbox[-1].body
    assert mail.outbox[-1].to == [email.lower()]
    return re.search(r"/workforce-invitations/([^/\s]+)/", body).group(1)


def test_create_list_rename_and_strangers_get_404(world):
    # The world's organization is a vendor, so its (older) vendor workforce is listed too.
    vendor = vendor_workforce_of(world.organization)
    created = make_workforce(world)
    client = session_client(world.member)

    workforce = Workforce.objects.get(pk=created["id"])
    assert created == {
        "id": workforce.pk,
        "name": "Annotators",
        "kind": "private",
        "member_count": 0,
        "team_count": 0,
        "created_at": iso(workforce.created_at),
    }
    listed = client.get(workforces_url(world.organization)).json()["results"]
    assert [body["kind"] for body in listed] == ["private", "vendor"]
    assert listed[0] == created
    assert listed[1]["id"] == vendor.pk
    duplicate = client.post(workforces_url(world.organization), {"name": "Annotators"})
    assert list(duplicate.json()["fields"]) == ["name"]
    url = f"{workforces_url(world.organization)}{created['id']}/"
    assert client.patch(url, {"name": "Reviewers"}, format="json").json()["name"] == "Reviewers"
    outsider = session_client(world.outsider)
    before = snapshot()
    responses = [
        outsider.get(workforces_url(world.organization)),
        outsider.get(url),
        outsider.patch(url, {"name": "Mine"}, format="json"),
        outsider.get(f"{url}members/"),
        outsider.post(f"{url}invitations/", {"email": "x@example.com"}, format="json"),
    ]
    assert [response.json() for response in responses] == [NOT_FOUND] * len(responses)
    assert snapshot() == before


def test_an_invited_worker_joins_sees_the_teams_work_and_loses_it_when_removed(
    world, django_capture_on_commit_callbacks
):
    created = make_workforce(world)
    team = Workforce.objects.get(pk=created["id"])
    job, _ = launched_job(objects=2, organization=world.organization, workforce=team)
    worker = WorkerProfileFactory(user__email="ada@example.com")
    assert job not in work_job_list(worker=worker)

    token = invite(world, team.pk, "Ada@Example.com", django_capture_on_commit_callbacks)
    accepted = session_client(worker.user).post(f"/api/v1/workforce-invitations/{token}/accept/")

    assert accepted.status_code == 201
    assert WorkforceMember.objects.filter(workforce=team, worker=worker).exists()
    assert job in work_job_list(worker=worker)
    again = session_client(worker.user).post(f"/api/v1/workforce-invitations/{token}/accept/")
    assert again.json()["code"] == "invitation_used"
    members = session_client(world.member).get(
        f"{workforces_url(world.organization)}{team.pk}/members/"
    )
    assert [body["WorkerId"] for body in members.json()["results"]] == [worker.worker_id]
    removed = session_client(world.member).delete(
        f"{workforces_url(world.organization)}{team.pk}/members/{worker.worker_id}/"
    )
    assert removed.status_code == 204
    assert job not in work_job_list(worker=worker)


def test_a_person_without_a_worker_profile_becomes_a_worker_by_accepting(
    world, django_capture_on_commit_callbacks
):
    team = make_workforce(world)
    token = invite(world, team["id"], "new@example.com", django_capture_on_commit_callbacks)
    person = UserFactory(email="new@example.com")

    response = session_client(person).post(f"/api/v1/workforce-invitations/{token}/accept/")

    assert response.status_code == 201
    worker = WorkerProfile.objects.get(user=person)
    assert WorkforceMember.objects.filter(workforce_id=team["id"], worker=worker).exists()


def test_only_the_invited_address_accepts_and_withdrawn_or_expired_links_do_nothing(
    world, django_capture_on_commit_callbacks
):
    team = make_workforce(world)
    token = invite(world, team["id"], "ada@example.com", django_capture_on_commit_callbacks)
    someone_else = WorkerProfileFactory(user__email="eve@example.com")

    wrong = session_client(someone_else.user).post(f"/api/v1/workforce-invitations/{token}/accept/")
    forged = session_client(someone_else.user).post(
        "/api/v1/workforce-invitations/not-a-token/accept/"
    )

    assert wrong.json()["code"] == "invitation_email_mismatch"
    assert forged.json() == NOT_FOUND
    invitation = WorkforceInvitation.objects.get()
    WorkforceInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    ada = WorkerProfileFactory(user__email="ada@example.com")
    expired = session_client(ada.user).post(f"/api/v1/workforce-invitations/{token}/accept/")
    assert expired.json()["code"] == "invitation_expired"
    assert session_client(ada.user).get(f"/workforce-invitations/{token}/").status_code == 410

    token = invite(world, team["id"], "ada@example.com", django_capture_on_commit_callbacks)
    newest = WorkforceInvitation.objects.filter(status="pending").get()
    withdrawn = session_client(world.member).delete(
        f"{workforces_url(world.organization)}{team['id']}/invitations/{newest.pk}/"
    )
    assert withdrawn.json()["status"] == "revoked"
    late = session_client(ada.user).post(f"/api/v1/workforce-invitations/{token}/accept/")
    assert late.json()["code"] == "invitation_revoked"
    assert not WorkforceMember.objects.exists()


def test_bad_invitations_are_refused(world, django_capture_on_commit_callbacks):
    team = make_workforce(world)
    client = session_client(world.member)
    url = f"{workforces_url(world.organization)}{team['id']}/invitations/"
    before = snapshot()

    bad = client.post(url, {"email": "not an address"}, format="json")
    unknown = client.post(url, {"email": "a@example.com", "role": "boss"}, format="json")

    assert list(bad.json()["fields"]) == ["email"]
    assert list(unknown.json()["fields"]) == ["role"]
    assert snapshot() == before
    assert mail.outbox == []


def test_the_invitation_page_lets_the_invited_person_accept(
    world, django_capture_on_commit_callbacks
):
    team = make_workforce(world, name="Night shift")
    token = invite(world, team["id"], "ada@example.com", django_capture_on_commit_callbacks)
    from django.test import Client

    anonymous = Client().get(f"/workforce-invitations/{token}/")
    assert anonymous.status_code == 200
    page = anonymous.content.decode()
    assert "Night shift" in page
    assert "/accounts/signup/" in page
    ada = WorkerProfileFactory(user__email="ada@example.com")
    browser = Client()
    browser.force_login(ada.user)

    response = browser.post(f"/workforce-invitations/{token}/")

    assert response.status_code == 302
    assert WorkforceMember.objects.filter(workforce_id=team["id"], worker=ada).exists()
