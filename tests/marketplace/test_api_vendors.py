"""An organization's vendor profile through the API."""

import pytest

from marketplace.models import OrganizationEvent, VendorProfile
from tests.marketplace.api_support import (
    NOT_MANAGER,
    error,
    iso,
    make_world,
    organization_with_owner,
    session_client,
    snapshot,
)
from workforce.models import Workforce, WorkforceKind

pytestmark = pytest.mark.django_db


def profile_body(profile: VendorProfile) -> dict:
    return {
        "display_name": profile.display_name,
        "description": profile.description,
        "website": profile.website,
        "contact_email": profile.contact_email,
        "languages": profile.languages,
        "certifications": profile.certifications,
        "created_at": iso(profile.created_at),
    }


def url(organization) -> str:
    return f"/api/v1/organizations/{organization.pk}/vendor-profile/"


def test_any_member_reads_the_profile():
    world = make_world()

    response = session_client(world.member).get(url(world.organization))

    assert response.status_code == 200
    assert response.json() == profile_body(world.vendor_profile)


def test_an_organization_without_a_profile_has_none():
    organization, owner = organization_with_owner()

    response = session_client(owner).get(url(organization))

    assert response.status_code == 404
    assert response.json() == error("not_found", "This organization has no vendor profile.")


def test_an_owner_makes_the_organization_a_vendor():
    organization, owner = organization_with_owner()
    body = {
        "display_name": "Acme Annotation",
        "description": "Medical imaging specialists.",
        "website": "https://acme.example.com",
        "contact_email": "sales@acme.example.com",
        "languages": ["en", "pt-BR", "zh-Hant"],
    }

    response = session_client(owner).post(url(organization), body, format="json")

    assert response.status_code == 201
    profile = VendorProfile.objects.get(organization=organization)
    assert response.json() == {**body, "certifications": [], "created_at": iso(profile.created_at)}
    assert profile_body(profile) == response.json()


def test_a_second_profile_is_a_conflict():
    world = make_world()
    client = session_client(world.owner)
    before = snapshot()

    response = client.post(
        url(world.organization),
        {"display_name": "Again", "contact_email": "a@example.com"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == error(
        "vendor_profile_exists", "This organization already has a vendor profile."
    )
    assert snapshot() == before


def test_an_admin_edits_some_fields():
    world = make_world()

    response = session_client(world.admin).patch(
        url(world.organization), {"languages": ["de", "fr"], "website": ""}, format="json"
    )

    assert response.status_code == 200
    world.vendor_profile.refresh_from_db()
    assert world.vendor_profile.languages == ["de", "fr"]
    assert response.json() == profile_body(world.vendor_profile)
    assert OrganizationEvent.objects.get(
        organization=world.organization, kind=OrganizationEvent.Kind.VENDOR_PROFILE_CHANGED
    ).data == {"fields": ["languages"]}


def test_a_plain_member_cannot_create_a_profile():
    world = make_world()
    world.vendor_profile.delete()
    client = session_client(world.member)
    before = snapshot()

    response = client.post(
        url(world.organization),
        {"display_name": "Mine", "contact_email": "a@example.com"},
        format="json",
    )

    assert response.status_code == 403
    assert response.json() == NOT_MANAGER
    assert snapshot() == before


@pytest.mark.parametrize(
    ("languages", "message"),
    [
        (["en", "EN"], "A language is listed twice."),
        (["english!"], "'english!' is not a BCP 47 language tag."),
        (["e"], "'e' is not a BCP 47 language tag."),
    ],
)
def test_language_tags_must_be_bcp47(languages, message):
    world = make_world()
    client = session_client(world.owner)
    before = snapshot()

    response = client.patch(url(world.organization), {"languages": languages}, format="json")

    assert response.status_code == 400
    assert response.json() == error(
        "invalid", "The request has invalid fields.", {"languages": [message]}
    )
    assert snapshot() == before


def test_a_new_vendor_gets_its_vendor_workforce_and_lists_certifications():
    organization, owner = organization_with_owner()
    body = {
        "display_name": "Acme Annotation",
        "contact_email": "sales@acme.example.com",
        "certifications": [" ISO 27001 ", "SOC 2"],
    }

    response = session_client(owner).post(url(organization), body, format="json")

    assert response.status_code == 201
    profile = VendorProfile.objects.get(organization=organization)
    assert profile.certifications == ["ISO 27001", "SOC 2"]
    assert response.json() == profile_body(profile)
    workforce = Workforce.objects.get(organization=organization)
    assert (workforce.kind, workforce.name) == (WorkforceKind.VENDOR, "Acme Annotation (vendor)")


@pytest.mark.parametrize(
    ("certifications", "fields"),
    [
        (["ISO 27001", "iso 27001"], {"certifications": ["A certification is listed twice."]}),
        (["x" * 101], {"certifications.0": ["Ensure this field has no more than 100 characters."]}),
        (["  "], {"certifications.0": ["This field may not be blank."]}),
        (
            [f"C{n}" for n in range(21)],
            {"certifications": ["Ensure this field has no more than 20 elements."]},
        ),
    ],
)
def test_certifications_are_checked_field_by_field(certifications, fields):
    world = make_world()
    client = session_client(world.owner)
    before = snapshot()

    response = client.patch(
        url(world.organization), {"certifications": certifications}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == error("invalid", "The request has invalid fields.", fields)
    assert snapshot() == before
