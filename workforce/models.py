"""Worker profiles; the workforces issue adds teams, qualifications and blocks."""

import secrets
import string

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from marketplace.models import BaseModel, validate_language_tags

WORKER_ID_ALPHABET = string.ascii_uppercase + string.digits
WORKER_ID_LENGTH = 14  # "A" + 13 characters, the length Mechanical Turk's ids usually have
WORKER_ID_REGEX = r"^A[A-Z0-9]{12,20}$"
COUNTRY_REGEX = r"^[A-Z]{2}$"


def new_worker_id() -> str:
    """A random public worker id shaped like Mechanical Turk's: A followed by 13 A-Z/0-9.

    36^13 (about 2^67) possible ids: a clash is practically impossible, and the unique
    index turns one into an IntegrityError that worker_profile_create retries.
    """
    return "A" + "".join(secrets.choice(WORKER_ID_ALPHABET) for _ in range(WORKER_ID_LENGTH - 1))


class WorkerProfile(BaseModel):
    """Makes a user a crowd worker. `worker_id` is the only id other parties ever see."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="worker_profile"
    )
    worker_id = models.CharField(max_length=21, unique=True, default=new_worker_id, editable=False)
    display_name = models.CharField(max_length=100, blank=True)
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[RegexValidator(COUNTRY_REGEX, "Enter a two-letter upper-case country code.")],
        help_text="ISO 3166-1 alpha-2 country code.",
    )
    languages = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_language_tags],
        help_text="BCP 47 language tags.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(worker_id__regex=WORKER_ID_REGEX), name="worker_id_shape"
            ),
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=COUNTRY_REGEX),
                name="worker_country_iso3166",
            ),
        ]

    def __str__(self) -> str:
        return self.worker_id


class WorkforceKind(models.TextChoices):
    PUBLIC = "public", "Public crowd"
    PRIVATE = "private", "Private workforce"


class Workforce(BaseModel):
    """Who may work on a job: the public crowd (one row, every verified worker) or an
    organization's private workforce (its listed members). The workforces issue adds
    teams and vendor workforces."""

    kind = models.CharField(max_length=10, choices=WorkforceKind.choices)
    organization = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="workforces",
    )
    name = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=WorkforceKind.values), name="workforce_kind_valid"
            ),
            # The public crowd belongs to nobody; a private workforce to one organization.
            models.CheckConstraint(
                condition=(Q(kind=WorkforceKind.PUBLIC) & Q(organization__isnull=True))
                | (Q(kind=WorkforceKind.PRIVATE) & Q(organization__isnull=False)),
                name="workforce_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind=WorkforceKind.PUBLIC),
                name="workforce_one_public_crowd",
            ),
            models.UniqueConstraint(
                fields=["organization", "name"], name="workforce_name_unique_per_org"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkforceMember(BaseModel):
    workforce = models.ForeignKey(Workforce, on_delete=models.CASCADE, related_name="members")
    worker = models.ForeignKey(
        WorkerProfile, on_delete=models.CASCADE, related_name="workforce_memberships"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workforce", "worker"], name="workforce_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} in {self.workforce}"


class WorkerBlock(BaseModel):
    """A requester organization's block on a worker: none of its work reaches them."""

    organization = models.ForeignKey(
        "marketplace.Organization", on_delete=models.CASCADE, related_name="worker_blocks"
    )
    worker = models.ForeignKey(WorkerProfile, on_delete=models.CASCADE, related_name="blocks")
    reason = models.CharField(max_length=1024)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "worker"], name="worker_block_once_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} blocked by {self.organization}"
