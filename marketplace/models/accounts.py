"""Users, organizations and their members, invitations, API keys, the audit trail."""

import re

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.deconstruct import deconstructible

LANGUAGE_TAG_REGEX = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
MAX_LANGUAGES = 30


def validate_language_tags(value) -> None:
    """A JSON list of distinct BCP 47 language tags such as "en" or "pt-BR"."""
    if not isinstance(value, list):
        raise ValidationError("Enter a list of language tags.", code="invalid_language_tag")
    if len(value) > MAX_LANGUAGES:
        raise ValidationError(f"At most {MAX_LANGUAGES} languages.", code="max_length")
    for tag in value:
        if not isinstance(tag, str) or len(tag) > 35 or not LANGUAGE_TAG_REGEX.match(tag):
            raise ValidationError(
                f"{tag!r} is not a BCP 47 language tag.", code="invalid_language_tag"
            )
    if len({tag.lower() for tag in value}) != len(value):
        raise ValidationError("A language is listed twice.", code="duplicate")


@deconstructible
class TextListValidator:
    """A JSON list of at most `max_items` distinct (ignoring case) strings of 1 to
    `max_length` characters; `name` is one item in the messages ("skill"). Its codes are
    never "invalid", which a JSONField would replace with "Value must be valid JSON."."""

    def __init__(self, name: str, *, max_items: int, max_length: int):
        self.name, self.max_items, self.max_length = name, max_items, max_length

    def __call__(self, value) -> None:
        if not isinstance(value, list):
            raise ValidationError(f"Enter a list of {self.name}s.", code="not_a_list")
        if len(value) > self.max_items:
            raise ValidationError(f"At most {self.max_items} {self.name}s.", code="max_length")
        for item in value:
            if not isinstance(item, str) or not 1 <= len(item.strip()) <= self.max_length:
                raise ValidationError(
                    f"A {self.name} is 1 to {self.max_length} characters.", code="invalid_item"
                )
        if len({item.strip().lower() for item in value}) != len(value):
            raise ValidationError(f"A {self.name} is listed twice.", code="duplicate")

    def __eq__(self, other) -> bool:
        return isinstance(other, TextListValidator) and (
            self.name,
            self.max_items,
            self.max_length,
        ) == (other.name, other.max_items, other.max_length)


class BaseModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The email is the login; roles come from what the user is linked to."""

    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can log into the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            # Emails are stored lower-cased; this keeps "A@x" and "a@x" from coexisting.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def has_verified_email(self) -> bool:
        from allauth.account.models import EmailAddress

        return EmailAddress.objects.filter(
            user=self, email__iexact=self.email, verified=True
        ).exists()


class Organization(BaseModel):
    """A requester company or team. With a VendorProfile it also sells labeling."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MembershipRole(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


# Roles that may manage members, invitations and API keys.
MANAGER_ROLES = frozenset({MembershipRole.OWNER, MembershipRole.ADMIN})


class Membership(BaseModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=MembershipRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], name="membership_one_per_user_per_org"
            ),
            models.CheckConstraint(
                condition=Q(role__in=MembershipRole.values), name="membership_role_valid"
            ),
        ]
        # Uses index: membership_user_org serves "the organizations of this user".
        indexes = [models.Index(fields=["user", "organization"], name="membership_user_org")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"


# The moves a service may make; accepted and revoked invitations are final.
INVITATION_TRANSITIONS = {
    InvitationStatus.PENDING: frozenset({InvitationStatus.ACCEPTED, InvitationStatus.REVOKED}),
    InvitationStatus.ACCEPTED: frozenset(),
    InvitationStatus.REVOKED: frozenset(),
}


class Invitation(BaseModel):
    """An email invitation to join an organization: single use, expiring.

    The link's token is the id signed with SECRET_KEY (see `invitation_token`), so no
    secret is stored and a task can rebuild the link from the id alone.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=MembershipRole.choices)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=MembershipRole.values), name="invitation_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=InvitationStatus.values), name="invitation_status_valid"
            ),
            # One open invitation per address per organization.
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=Q(status="pending"),
                name="invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class ApiKey(BaseModel):
    """A requester API key of an organization. The secret is stored only as a SHA-256 hash.

    Keys carry 256 bits of randomness, so a fast hash is enough: there is nothing to
    brute-force the way there is with a password.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        # Uses index: apikey_org_created serves the organization's key list.
        indexes = [models.Index(fields=["organization", "-created_at"], name="apikey_org_created")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiKeyUse(models.Model):
    """One authenticated request made with an API key (the audit trail of every use)."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="uses")
    used_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        # Uses index: apikeyuse_key_time serves a key's recent uses in admin.
        indexes = [models.Index(fields=["api_key", "-used_at"], name="apikeyuse_key_time")]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class OrganizationEventKind(models.TextChoices):
    CREATED = "created", "Organization created"
    UPDATED = "updated", "Organization updated"
    MEMBER_INVITED = "member_invited", "Member invited"
    INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
    MEMBER_JOINED = "member_joined", "Member joined"
    ROLE_CHANGED = "role_changed", "Role changed"
    MEMBER_REMOVED = "member_removed", "Member removed"
    API_KEY_CREATED = "api_key_created", "API key created"
    API_KEY_REVOKED = "api_key_revoked", "API key revoked"
    VENDOR_PROFILE_CHANGED = "vendor_profile_changed", "Vendor profile changed"


class OrganizationEvent(models.Model):
    """An audit row for every change to an organization's members, invitations and keys."""

    Kind = OrganizationEventKind

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=OrganizationEventKind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OrganizationEventKind.values), name="orgevent_kind_valid"
            ),
        ]
        # Uses index: orgevent_org_time serves an organization's history, newest first.
        indexes = [models.Index(fields=["organization", "-created_at"], name="orgevent_org_time")]

    def __str__(self) -> str:
        return f"{self.kind} in {self.organization_id}"
