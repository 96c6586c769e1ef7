"""Storefront services against PostgreSQL: each write, and each refusal changing nothing."""

import hashlib
import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.urls import resolve
from django.utils import timezone

from marketplace.exceptions import (
    Conflict,
    EmailNotVerified,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from marketplace.models import (
    ApiKey,
    ApiKeyUse,
    Invitation,
    InvitationStatus,
    Membership,
    MembershipRole,
    Organization,
    OrganizationEvent,
    User,
    VendorProfile,
)
from marketplace.selectors import invitation_from_token, invitation_token
from marketplace.services import (
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_change_role,
    membership_remove,
    organization_create,
    organization_update,
    user_update,
    vendor_profile_create,
    vendor_profile_update,
)
from marketplace.tasks import invitation_send_email
from tests.marketplace.factories import (
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    VendorProfileFactory,
)
from tests.snapshots import database_snapshot

OWNER, ADMIN, MEMBER = MembershipRole.OWNER, MembershipRole.ADMIN, MembershipRole.MEMBER
Kind = OrganizationEvent.Kind


def snapshot() -> dict:
    """Every row a storefront service may write, and the emails sent."""
    return database_snapshot()


@pytest.fixture
def refused(django_capture_on_commit_callbacks):
    """Call a service that must fail: the error, its code, and no change and nothing queued."""

    def check(call, error: type[Exception], code: str):
        before = snapshot()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(error) as raised:
                call()
        assert type(raised.value) is error
        assert raised.value.code == code
        assert callbacks == []
        assert snapshot() == before
        return raised.value

    return check


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run on-commit work (emails) as if the test's transaction had committed."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def member_of(organization: Organization, role: str, **user_fields) -> Membership:
    return MembershipFactory(organization=organization, role=role, user=UserFactory(**user_fields))


@pytest.fixture
def organization(db) -> Organization:
    organization = OrganizationFactory()
    MembershipFactory(organization=organization, user=organization.created_by, role=OWNER)
    return organization


@pytest.fixture
def owner(organization) -> User:
    return organization.created_by


@pytest.fixture
def admin(organization) -> User:
    return member_of(organization, ADMIN).user


@pytest.fixture
def member(organization) -> User:
    return member_of(organization, MEMBER).user


@pytest.fixture
def outsider(db) -> User:
    """A member of another organization."""
    return member_of(OrganizationFactory(), OWNER).user


def events(organization: Organization) -> list[tuple]:
    return list(
        OrganizationEvent.objects.filter(organization=organization)
        .order_by("pk")
        .values_list("actor", "kind", "data")
    )


# Organizations.


@pytest.mark.django_db
def test_organization_create_makes_the_creator_its_owner():
    user = UserFactory()

    organization = organization_create(actor=user, name="  Acme Labeling ")

    assert (organization.name, organization.slug) == ("Acme Labeling", "acme-labeling")
    assert organization.created_by == user
    assert list(Membership.objects.values_list("organization", "user", "role")) == [
        (organization.pk, user.pk, OWNER)
    ]
    assert events(organization) == [(user.pk, Kind.CREATED, {"name": "Acme Labeling"})]


@pytest.mark.django_db
def test_organization_create_gives_a_taken_name_another_slug():
    first = organization_create(actor=UserFactory(), name="Acme")
    second = organization_create(actor=UserFactory(), name="acme")
    nameless = organization_create(actor=UserFactory(), name="!!!")

    assert first.slug == "acme"
    assert re.fullmatch(r"acme-[0-9a-f]{6}", second.slug)
    assert nameless.slug == "organization"


@pytest.mark.django_db
def test_organization_create_needs_a_verified_email(refused):
    user = UserFactory(verified=False)

    refused(
        lambda: organization_create(actor=user, name="Acme"), EmailNotVerified, "email_not_verified"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_organization_create_refuses_a_blank_or_long_name(refused, name):
    user = UserFactory()

    error = refused(lambda: organization_create(actor=user, name=name), InvalidInput, "invalid")

    assert list(error.fields) == ["name"]


@pytest.mark.django_db
def test_organization_update_renames_and_records_it(organization, admin):
    old_name = organization.name

    updated = organization_update(actor=admin, organization=organization, name=" New name ")

    organization.refresh_from_db()
    assert updated.name == organization.name == "New name"
    assert events(organization) == [
        (admin.pk, Kind.UPDATED, {"old_name": old_name, "name": "New name"})
    ]


@pytest.mark.django_db
def test_organization_update_with_the_same_name_changes_nothing(organization, owner):
    before = snapshot()

    organization_update(actor=owner, organization=organization, name=organization.name)

    assert snapshot() == before


@pytest.mark.django_db
def test_organization_update_is_refused_to_members_and_outsiders(
    organization, member, outsider, refused
):
    refused(
        lambda: organization_update(actor=member, organization=organization, name="Mine"),
        PermissionDenied,
        "permission_denied",
    )
    refused(
        lambda: organization_update(actor=outsider, organization=organization, name="Mine"),
        NotFound,
        "not_found",
    )
    refused(
        lambda: organization_update(actor=outsider, organization=organization, name=""),
        NotFound,
        "not_found",
    )


@pytest.mark.django_db
def test_organization_update_refuses_a_blank_name(organization, owner, refused):
    refused(
        lambda: organization_update(actor=owner, organization=organization, name=" "),
        InvalidInput,
        "invalid",
    )


# Invitations.


@pytest.mark.django_db
def test_invitation_create_records_a_pending_invitation_and_emails_after_commit(
    organization, admin, committed
):
    with committed() as callbacks:
        invitation = invitation_create(
            actor=admin, organization=organization, email=" Ann@Example.com ", role=ADMIN
        )
        assert mail.outbox == []

    assert len(callbacks) == 1
    assert (invitation.email, invitation.role, invitation.status) == (
        "ann@example.com",
        ADMIN,
        InvitationStatus.PENDING,
    )
    assert invitation.invited_by == admin
    lifetime = invitation.expires_at - invitation.created_at
    assert abs(lifetime - settings.INVITATION_LIFETIME) < timedelta(seconds=5)
    assert events(organization)[-1] == (
        admin.pk,
        Kind.MEMBER_INVITED,
        {"email": "ann@example.com", "role": ADMIN, "replaced": 0},
    )
    [email] = mail.outbox
    assert email.to == ["ann@example.com"]
    assert email.subject == (
        f"[Groundwork] {admin.get_full_name()} invited you to join {organization.name}"
    )


@pytest.mark.django_db
def test_invitation_create_replaces_a_pending_invitation_to_the_same_address(
    organization, owner, committed
):
    old = InvitationFactory(organization=organization, email="ann@example.com")

    with committed():
        new = invitation_create(
            actor=owner, organization=organization, email="ANN@example.com", role=OWNER
        )

    old.refresh_from_db()
    assert old.status == InvitationStatus.REVOKED
    assert new.status == InvitationStatus.PENDING
    assert events(organization)[-1][2] == {"email": "ann@example.com", "role": OWNER, "replaced": 1}
    assert [email.to for email in mail.outbox] == [["ann@example.com"]]


@pytest.mark.django_db
def test_invitation_create_refuses_an_admin_granting_ownership(organization, admin, refused):
    refused(
        lambda: invitation_create(
            actor=admin, organization=organization, email="ann@example.com", role=OWNER
        ),
        PermissionDenied,
        "permission_denied",
    )


@pytest.mark.django_db
def test_invitation_create_is_refused_to_members_outsiders_and_the_unverified(
    organization, member, outsider, refused
):
    def invite(actor):
        return lambda: invitation_create(
            actor=actor, organization=organization, email="ann@example.com", role=MEMBER
        )

    refused(invite(member), PermissionDenied, "permission_denied")
    refused(invite(outsider), NotFound, "not_found")
    unverified = member_of(organization, OWNER, verified=False).user
    refused(invite(unverified), EmailNotVerified, "email_not_verified")


@pytest.mark.django_db
def test_invitation_create_refuses_someone_already_a_member(organization, owner, refused):
    member_of(organization, MEMBER, email="bob@example.com")

    error = refused(
        lambda: invitation_create(
            actor=owner, organization=organization, email="Bob@Example.com", role=ADMIN
        ),
        Conflict,
        "already_member",
    )

    assert error.fields == {"email": ["This person is already a member of the organization."]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "role", "field"),
    [
        ("not-an-email", MEMBER, "email"),
        ("", MEMBER, "email"),
        ("ann@example.com", "superuser", "role"),
    ],
)
def test_invitation_create_refuses_a_bad_email_or_role(
    organization, owner, refused, email, role, field
):
    error = refused(
        lambda: invitation_create(actor=owner, organization=organization, email=email, role=role),
        InvalidInput,
        "invalid",
    )

    assert list(error.fields) == [field]


@pytest.mark.django_db
def test_invitation_revoke_withdraws_a_pending_invitation_once(organization, admin):
    invitation = InvitationFactory(organization=organization)

    invitation_revoke(actor=admin, invitation=invitation)
    again = invitation_revoke(actor=admin, invitation=invitation)

    invitation.refresh_from_db()
    assert invitation.status == again.status == InvitationStatus.REVOKED
    assert events(organization) == [
        (admin.pk, Kind.INVITATION_REVOKED, {"email": invitation.email})
    ]


@pytest.mark.django_db
def test_staff_may_revoke_an_invitation_in_any_organization(organization):
    staff = UserFactory(is_staff=True)
    invitation = InvitationFactory(organization=organization)

    invitation_revoke(actor=staff, invitation=invitation)

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED


@pytest.mark.django_db
def test_invitation_revoke_refuses_an_accepted_invitation(organization, owner, refused):
    invitation = InvitationFactory(organization=organization, status=InvitationStatus.ACCEPTED)

    refused(
        lambda: invitation_revoke(actor=owner, invitation=invitation),
        Conflict,
        "invitation_not_pending",
    )


@pytest.mark.django_db
def test_invitation_revoke_is_refused_to_members_and_outsiders(
    organization, member, outsider, refused
):
    invitation = InvitationFactory(organization=organization)

    refused(
        lambda: invitation_revoke(actor=member, invitation=invitation),
        PermissionDenied,
        "permission_denied",
    )
    refused(lambda: invitation_revoke(actor=outsider, invitation=invitation), NotFound, "not_found")


@pytest.mark.django_db
def test_invitation_accept_joins_with_the_invited_role(organization):
    invitation = InvitationFactory(organization=organization, email="ann@example.com", role=ADMIN)
    ann = UserFactory(email="ann@example.com")

    membership = invitation_accept(actor=ann, token=invitation_token(invitation))

    assert (membership.organization, membership.user, membership.role) == (
        organization,
        ann,
        ADMIN,
    )
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by) == (InvitationStatus.ACCEPTED, ann)
    assert timezone.now() - invitation.accepted_at < timedelta(seconds=5)
    assert events(organization) == [
        (
            ann.pk,
            Kind.MEMBER_JOINED,
            {"email": "ann@example.com", "role": ADMIN, "invitation_id": invitation.pk},
        )
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "invitation_expired"),
        ({"status": InvitationStatus.ACCEPTED}, "invitation_used"),
        ({"status": InvitationStatus.REVOKED}, "invitation_revoked"),
    ],
)
def test_invitation_accept_refuses_a_closed_invitation(organization, refused, changes, code):
    invitation = InvitationFactory(organization=organization, email="ann@example.com", **changes)
    ann = UserFactory(email="ann@example.com")

    refused(
        lambda: invitation_accept(actor=ann, token=invitation_token(invitation)), Conflict, code
    )


@pytest.mark.django_db
def test_an_invitation_link_works_once(organization, refused):
    invitation = InvitationFactory(organization=organization, email="ann@example.com")
    ann = UserFactory(email="ann@example.com")
    token = invitation_token(invitation)
    invitation_accept(actor=ann, token=token)

    refused(lambda: invitation_accept(actor=ann, token=token), Conflict, "invitation_used")


@pytest.mark.django_db
def test_invitation_accept_refuses_a_forged_or_unknown_token(organization, refused):
    invitation = InvitationFactory(organization=organization, email="ann@example.com")
    ann = UserFactory(email="ann@example.com")
    token = invitation_token(invitation)
    other_id, _, signature = token.partition(":")
    deleted = InvitationFactory(organization=organization)
    deleted_token = invitation_token(deleted)
    deleted.delete()

    for forged in [
        "",
        "garbage",
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        f"{other_id}x:{signature}",
        deleted_token,
    ]:
        refused(
            lambda forged=forged: invitation_accept(actor=ann, token=forged), NotFound, "not_found"
        )


@pytest.mark.django_db
def test_invitation_accept_refuses_another_address(organization, refused):
    invitation = InvitationFactory(organization=organization, email="ann@example.com")
    bob = UserFactory(email="bob@example.com")

    refused(
        lambda: invitation_accept(actor=bob, token=invitation_token(invitation)),
        PermissionDenied,
        "invitation_email_mismatch",
    )


@pytest.mark.django_db
def test_invitation_accept_needs_the_invited_address_verified(organization, refused):
    invitation = InvitationFactory(organization=organization, email="ann@example.com")
    ann = UserFactory(email="ann@example.com", verified=False)

    refused(
        lambda: invitation_accept(actor=ann, token=invitation_token(invitation)),
        EmailNotVerified,
        "email_not_verified",
    )


@pytest.mark.django_db
def test_invitation_accept_refuses_someone_already_a_member(organization, refused):
    ann = member_of(organization, MEMBER, email="ann@example.com").user
    invitation = InvitationFactory(organization=organization, email="ann@example.com", role=ADMIN)

    refused(
        lambda: invitation_accept(actor=ann, token=invitation_token(invitation)),
        Conflict,
        "already_member",
    )


# The invitation email, with real commits.


def _invite_then_fail(*, actor: User, organization: Organization) -> None:
    with transaction.atomic():
        invitation_create(
            actor=actor, organization=organization, email="ann@example.com", role=MEMBER
        )
        raise RuntimeError


@pytest.mark.django_db(transaction=True)
def test_no_invitation_email_leaves_when_the_transaction_rolls_back(organization, owner):
    with pytest.raises(RuntimeError):
        _invite_then_fail(actor=owner, organization=organization)

    assert mail.outbox == []
    assert not Invitation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_invitation_email_links_to_an_accept_page_whose_token_names_the_invitation(
    organization, owner
):
    with transaction.atomic():
        invitation = invitation_create(
            actor=owner, organization=organization, email="ann@example.com", role=ADMIN
        )
        assert mail.outbox == []

    [email] = mail.outbox
    [url] = re.findall(r"https?://\S+", email.body)
    assert url.startswith(settings.SITE_URL.rstrip("/") + "/")
    match = resolve(urlparse(url).path)
    assert match.url_name == "invitation_detail"
    token = match.kwargs["token"]
    assert invitation_from_token(token=token) == invitation
    ann = UserFactory(email="ann@example.com")
    assert invitation_accept(actor=ann, token=token).role == ADMIN


@pytest.mark.django_db(transaction=True)
def test_the_invitation_token_is_stored_nowhere_in_the_database(organization, owner):
    from django.apps import apps

    invitation = invitation_create(
        actor=owner, organization=organization, email="ann@example.com", role=MEMBER
    )
    token = invitation_token(invitation)
    signature = token.rpartition(":")[2]

    assert token in mail.outbox[0].body
    for model in apps.get_models():
        for row in model.objects.values_list():
            assert signature not in repr(row), model


@pytest.mark.django_db
def test_the_email_task_sends_the_link_of_a_pending_invitation(organization):
    invitation = InvitationFactory(organization=organization, email="ann@example.com")

    invitation_send_email(invitation.pk)

    [email] = mail.outbox
    assert email.to == ["ann@example.com"]
    assert invitation_token(invitation) in email.body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {"status": InvitationStatus.REVOKED},
        {"status": InvitationStatus.ACCEPTED},
        {"expires_at": timezone.now() - timedelta(seconds=1)},
    ],
)
def test_the_email_task_skips_an_invitation_closed_since_it_was_queued(organization, changes):
    invitation = InvitationFactory(organization=organization, **changes)

    invitation_send_email(invitation.pk)
    invitation_send_email(invitation.pk + 1000)

    assert mail.outbox == []


# Memberships.


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "new_role"), [(MEMBER, ADMIN), (ADMIN, MEMBER), (MEMBER, OWNER)])
def test_an_owner_changes_any_role(organization, owner, role, new_role):
    membership = member_of(organization, role)

    changed = membership_change_role(actor=owner, membership=membership, role=new_role)

    membership.refresh_from_db()
    assert changed.role == membership.role == new_role
    assert events(organization) == [
        (
            owner.pk,
            Kind.ROLE_CHANGED,
            {"email": membership.user.email, "old_role": role, "role": new_role},
        )
    ]


@pytest.mark.django_db
def test_an_owner_may_step_down_while_another_owner_remains(organization, owner):
    member_of(organization, OWNER)
    mine = Membership.objects.get(organization=organization, user=owner)

    membership_change_role(actor=owner, membership=mine, role=ADMIN)

    assert Membership.objects.filter(organization=organization, role=OWNER).count() == 1


@pytest.mark.django_db
def test_an_admin_manages_admins_and_members(organization, admin):
    membership = member_of(organization, MEMBER)

    membership_change_role(actor=admin, membership=membership, role=ADMIN)
    membership_change_role(actor=admin, membership=membership, role=MEMBER)

    membership.refresh_from_db()
    assert membership.role == MEMBER
    assert [kind for _, kind, _ in events(organization)] == [Kind.ROLE_CHANGED] * 2


@pytest.mark.django_db
def test_changing_to_the_same_role_changes_nothing(organization, owner):
    membership = member_of(organization, ADMIN)
    before = snapshot()

    membership_change_role(actor=owner, membership=membership, role=ADMIN)

    assert snapshot() == before


@pytest.mark.django_db
def test_an_admin_can_neither_grant_nor_take_away_ownership(organization, admin, refused):
    membership = member_of(organization, MEMBER)
    owner_membership = Membership.objects.get(organization=organization, role=OWNER)

    refused(
        lambda: membership_change_role(actor=admin, membership=membership, role=OWNER),
        PermissionDenied,
        "permission_denied",
    )
    refused(
        lambda: membership_change_role(actor=admin, membership=owner_membership, role=MEMBER),
        PermissionDenied,
        "permission_denied",
    )


@pytest.mark.django_db
def test_role_changes_are_refused_to_members_and_outsiders(organization, member, outsider, refused):
    membership = member_of(organization, MEMBER)

    refused(
        lambda: membership_change_role(actor=member, membership=membership, role=ADMIN),
        PermissionDenied,
        "permission_denied",
    )
    refused(
        lambda: membership_change_role(actor=outsider, membership=membership, role=ADMIN),
        NotFound,
        "not_found",
    )


@pytest.mark.django_db
def test_the_last_owner_cannot_be_demoted(organization, owner, refused):
    mine = Membership.objects.get(organization=organization, user=owner)

    error = refused(
        lambda: membership_change_role(actor=owner, membership=mine, role=ADMIN),
        Conflict,
        "last_owner",
    )

    assert error.fields == {"role": ["The last owner cannot be demoted or removed."]}


@pytest.mark.django_db
def test_membership_change_role_refuses_an_unknown_role(organization, owner, refused):
    membership = member_of(organization, MEMBER)

    error = refused(
        lambda: membership_change_role(actor=owner, membership=membership, role="boss"),
        InvalidInput,
        "invalid",
    )

    assert error.fields == {"role": ["Choose one of: owner, admin, member."]}


@pytest.mark.django_db
def test_membership_remove_removes_the_member_and_revokes_their_keys(organization, owner):
    leaving = member_of(organization, ADMIN)
    leaving_key, leaving_raw = api_key_create(
        actor=leaving.user, organization=organization, name="CI"
    )
    owner_key, owner_raw = api_key_create(actor=owner, organization=organization, name="Ops")
    elsewhere = member_of(OrganizationFactory(), OWNER, email="x@example.com")
    MembershipFactory(organization=elsewhere.organization, user=leaving.user, role=OWNER)
    elsewhere_key, _ = api_key_create(
        actor=leaving.user, organization=elsewhere.organization, name="Kept"
    )

    membership_remove(actor=owner, membership=leaving)

    assert not Membership.objects.filter(pk=leaving.pk).exists()
    leaving_key.refresh_from_db()
    assert leaving_key.revoked_by == owner
    assert leaving_key.revoke_reason == "Creator left the organization."
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 2
    assert authenticate(leaving_raw) is None
    assert events(organization)[-1] == (
        owner.pk,
        Kind.MEMBER_REMOVED,
        {"email": leaving.user.email, "revoked_api_keys": [leaving_key.prefix]},
    )
    assert owner_key.is_active
    assert elsewhere_key.is_active


@pytest.mark.django_db
def test_a_member_may_leave(organization, member):
    mine = Membership.objects.get(organization=organization, user=member)

    membership_remove(actor=member, membership=mine)

    assert not Membership.objects.filter(pk=mine.pk).exists()
    assert events(organization) == [
        (member.pk, Kind.MEMBER_REMOVED, {"email": member.email, "revoked_api_keys": []})
    ]


@pytest.mark.django_db
def test_the_last_owner_can_neither_leave_nor_be_removed(organization, owner, refused):
    mine = Membership.objects.get(organization=organization, user=owner)

    error = refused(lambda: membership_remove(actor=owner, membership=mine), Conflict, "last_owner")

    assert error.fields == {}


@pytest.mark.django_db
def test_an_admin_cannot_remove_an_owner(organization, admin, refused):
    member_of(organization, OWNER)
    owner_membership = Membership.objects.filter(organization=organization, role=OWNER).first()

    refused(
        lambda: membership_remove(actor=admin, membership=owner_membership),
        PermissionDenied,
        "permission_denied",
    )


@pytest.mark.django_db
def test_removing_is_refused_to_members_and_outsiders(organization, member, outsider, refused):
    other = member_of(organization, MEMBER)

    refused(
        lambda: membership_remove(actor=member, membership=other),
        PermissionDenied,
        "permission_denied",
    )
    refused(lambda: membership_remove(actor=outsider, membership=other), NotFound, "not_found")


@pytest.mark.django_db
def test_removing_a_removed_member_is_not_found(organization, owner, refused):
    other = member_of(organization, MEMBER)
    membership_remove(actor=owner, membership=other)

    refused(lambda: membership_remove(actor=owner, membership=other), NotFound, "not_found")


# API keys.


def authenticate(raw_key: str) -> ApiKey | None:
    return api_key_authenticate(
        raw_key=raw_key, method="GET", path="/", ip_address=None, user_agent=""
    )


@pytest.mark.django_db
def test_api_key_create_returns_the_secret_once_and_stores_only_its_hash(organization, admin):
    api_key, raw_key = api_key_create(actor=admin, organization=organization, name=" CI ")

    assert re.fullmatch(r"gwk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", raw_key)
    row = ApiKey.objects.filter(pk=api_key.pk).values().get()
    assert row["prefix"] == raw_key.split("_")[1] == api_key.prefix
    assert row["key_hash"] == hashlib.sha256(raw_key.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", row["key_hash"])
    assert (row["name"], row["created_by_id"], row["revoked_at"]) == ("CI", admin.pk, None)
    secret = raw_key.split("_", 2)[2]
    for value in row.values():
        assert raw_key not in str(value)
        assert secret not in str(value)
    assert events(organization) == [
        (admin.pk, Kind.API_KEY_CREATED, {"prefix": api_key.prefix, "name": "CI"})
    ]


@pytest.mark.django_db
def test_api_key_create_is_refused_to_members_outsiders_and_the_unverified(
    organization, member, outsider, refused
):
    def create(actor):
        return lambda: api_key_create(actor=actor, organization=organization, name="CI")

    refused(create(member), PermissionDenied, "permission_denied")
    refused(create(outsider), NotFound, "not_found")
    refused(
        create(member_of(organization, OWNER, verified=False).user),
        EmailNotVerified,
        "email_not_verified",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["", "  ", "k" * 101])
def test_api_key_create_refuses_a_blank_or_long_name(organization, owner, refused, name):
    error = refused(
        lambda: api_key_create(actor=owner, organization=organization, name=name),
        InvalidInput,
        "invalid",
    )

    assert list(error.fields) == ["name"]


@pytest.mark.django_db
def test_api_key_authenticate_records_every_use(organization, owner):
    api_key, raw_key = api_key_create(actor=owner, organization=organization, name="CI")

    for path in ["/api/v1/me/", "/api/v1/organizations/"]:
        found = api_key_authenticate(
            raw_key=raw_key,
            method="GET",
            path=path,
            ip_address="203.0.113.9",
            user_agent="boto3/1.40",
        )
        assert found == api_key

    api_key.refresh_from_db()
    uses = list(
        ApiKeyUse.objects.filter(api_key=api_key)
        .order_by("pk")
        .values_list("method", "path", "ip_address", "user_agent", "used_at")
    )
    assert [use[:4] for use in uses] == [
        ("GET", "/api/v1/me/", "203.0.113.9", "boto3/1.40"),
        ("GET", "/api/v1/organizations/", "203.0.113.9", "boto3/1.40"),
    ]
    assert api_key.last_used_at == uses[-1][4]


@pytest.mark.django_db
def test_api_key_authenticate_refuses_a_wrong_secret_with_the_right_prefix(organization, owner):
    api_key, raw_key = api_key_create(actor=owner, organization=organization, name="CI")
    wrong = raw_key[:-4] + ("AAAA" if not raw_key.endswith("AAAA") else "BBBB")
    before = snapshot()

    for candidate in [wrong, f"gwk_{api_key.prefix}_", raw_key + "x", raw_key.upper()]:
        assert authenticate(candidate) is None

    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("raw_key", ["", "gwk", "gwk_", "abc_def_ghi", "Bearer x", "gwk__"])
def test_api_key_authenticate_refuses_malformed_keys(organization, owner, raw_key):
    api_key_create(actor=owner, organization=organization, name="CI")
    before = snapshot()

    assert authenticate(raw_key) is None
    assert snapshot() == before


@pytest.mark.django_db
def test_a_key_of_a_deactivated_user_does_not_authenticate(organization, owner):
    _, raw_key = api_key_create(actor=owner, organization=organization, name="CI")
    User.objects.filter(pk=owner.pk).update(is_active=False)
    before = snapshot()

    assert authenticate(raw_key) is None
    assert snapshot() == before


@pytest.mark.django_db
def test_api_key_revoke_stops_the_key_once_and_for_all(organization, owner, admin):
    api_key, raw_key = api_key_create(actor=owner, organization=organization, name="CI")

    api_key_revoke(actor=admin, api_key=api_key, reason=" leaked ")
    again = api_key_revoke(actor=owner, api_key=api_key, reason="again")

    api_key.refresh_from_db()
    assert (api_key.revoked_by, api_key.revoke_reason) == (admin, "leaked")
    assert again.revoked_at == api_key.revoked_at
    assert events(organization)[1:] == [
        (admin.pk, Kind.API_KEY_REVOKED, {"prefix": api_key.prefix})
    ]
    before = snapshot()
    assert authenticate(raw_key) is None
    assert snapshot() == before


@pytest.mark.django_db
def test_staff_may_revoke_a_key_in_any_organization(organization, owner):
    api_key, _ = api_key_create(actor=owner, organization=organization, name="CI")

    api_key_revoke(actor=UserFactory(is_staff=True), api_key=api_key)

    api_key.refresh_from_db()
    assert not api_key.is_active


@pytest.mark.django_db
def test_api_key_revoke_is_refused_to_members_and_outsiders(
    organization, owner, member, outsider, refused
):
    api_key, _ = api_key_create(actor=owner, organization=organization, name="CI")

    refused(
        lambda: api_key_revoke(actor=member, api_key=api_key),
        PermissionDenied,
        "permission_denied",
    )
    refused(lambda: api_key_revoke(actor=outsider, api_key=api_key), NotFound, "not_found")


@pytest.mark.django_db
def test_api_key_revoke_refuses_an_overlong_reason(organization, owner, refused):
    api_key, _ = api_key_create(actor=owner, organization=organization, name="CI")

    error = refused(
        lambda: api_key_revoke(actor=owner, api_key=api_key, reason="x" * 201),
        InvalidInput,
        "invalid",
    )

    assert error.fields == {"reason": ["At most 200 characters."]}


# Vendor profiles.

VENDOR_FIELDS = {
    "display_name": "Acme Labeling",
    "description": "Boxes and masks, fast.",
    "website": "https://acme.example.com",
    "contact_email": "sales@acme.example.com",
    "languages": ["en", "de"],
}


@pytest.mark.django_db
def test_vendor_profile_create_makes_the_organization_a_vendor(organization, admin):
    profile = vendor_profile_create(actor=admin, organization=organization, **VENDOR_FIELDS)

    assert VendorProfile.objects.filter(pk=profile.pk).values(*VENDOR_FIELDS).get() == (
        VENDOR_FIELDS
    )
    assert profile.organization == organization
    assert events(organization) == [
        (
            admin.pk,
            Kind.VENDOR_PROFILE_CHANGED,
            {"created": True, "fields": sorted(VENDOR_FIELDS)},
        )
    ]


@pytest.mark.django_db
def test_vendor_profile_create_refuses_a_second_profile(organization, owner, refused):
    VendorProfileFactory(organization=organization)

    refused(
        lambda: vendor_profile_create(actor=owner, organization=organization, **VENDOR_FIELDS),
        Conflict,
        "vendor_profile_exists",
    )


@pytest.mark.django_db
def test_vendor_profile_create_is_refused_to_members_outsiders_and_the_unverified(
    organization, member, outsider, refused
):
    def create(actor):
        return lambda: vendor_profile_create(
            actor=actor, organization=organization, **VENDOR_FIELDS
        )

    refused(create(member), PermissionDenied, "permission_denied")
    refused(create(outsider), NotFound, "not_found")
    refused(
        create(member_of(organization, OWNER, verified=False).user),
        EmailNotVerified,
        "email_not_verified",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"display_name": ""}, ["display_name"]),
        ({"contact_email": "nope", "website": "ftp:/x"}, ["contact_email", "website"]),
        ({"languages": ["english"]}, ["languages"]),
        ({"description": "x" * 5001}, ["description"]),
        ({"owner": "me"}, ["owner"]),
    ],
)
def test_vendor_profile_create_refuses_bad_fields(organization, owner, refused, changes, fields):
    error = refused(
        lambda: vendor_profile_create(
            actor=owner, organization=organization, **{**VENDOR_FIELDS, **changes}
        ),
        InvalidInput,
        "invalid",
    )

    assert sorted(error.fields) == fields


@pytest.mark.django_db
def test_vendor_profile_update_changes_and_records_only_what_differs(organization, admin):
    profile = VendorProfileFactory(organization=organization, display_name="Old", languages=["en"])

    vendor_profile_update(actor=admin, profile=profile, display_name="New", languages=["en"])
    before = snapshot()
    vendor_profile_update(actor=admin, profile=profile, display_name="New")

    assert snapshot() == before
    profile.refresh_from_db()
    assert (profile.display_name, profile.languages) == ("New", ["en"])
    assert events(organization) == [
        (admin.pk, Kind.VENDOR_PROFILE_CHANGED, {"fields": ["display_name"]})
    ]


@pytest.mark.django_db
def test_vendor_profile_update_is_refused_to_members_and_for_bad_fields(
    organization, owner, member, outsider, refused
):
    profile = VendorProfileFactory(organization=organization)

    refused(
        lambda: vendor_profile_update(actor=member, profile=profile, display_name="Mine"),
        PermissionDenied,
        "permission_denied",
    )
    refused(
        lambda: vendor_profile_update(actor=outsider, profile=profile, display_name="Mine"),
        NotFound,
        "not_found",
    )
    refused(
        lambda: vendor_profile_update(actor=owner, profile=profile, contact_email="nope"),
        InvalidInput,
        "invalid",
    )
    refused(
        lambda: vendor_profile_update(actor=owner, profile=profile, organization_id=1),
        InvalidInput,
        "invalid",
    )


# Users.


@pytest.mark.django_db
def test_user_update_sets_the_full_name():
    user = UserFactory(full_name="Ann")

    user_update(actor=user, full_name=" Ann Lee ")

    user.refresh_from_db()
    assert user.full_name == "Ann Lee"


@pytest.mark.django_db
def test_user_update_refuses_an_overlong_name(refused):
    user = UserFactory(full_name="Ann")

    error = refused(lambda: user_update(actor=user, full_name="x" * 151), InvalidInput, "invalid")

    assert list(error.fields) == ["full_name"]
    assert user.full_name == "Ann"
