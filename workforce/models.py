"""Workers, workforces, blocks, and qualifications (types, grants, job requirements)."""

import secrets
import string

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from marketplace.models import BaseModel, TextListValidator, validate_language_tags

WORKER_ID_ALPHABET = string.ascii_uppercase + string.digits
WORKER_ID_LENGTH = 14  # "A" + 13 characters, the length Mechanical Turk's ids usually have
WORKER_ID_REGEX = r"^A[A-Z0-9]{12,20}$"
COUNTRY_REGEX = r"^[A-Z]{2}$"


MAX_SKILLS = 20
MAX_SKILL_LENGTH = 50


validate_skills = TextListValidator("skill", max_items=MAX_SKILLS, max_length=MAX_SKILL_LENGTH)


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
    skills = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_skills],
        help_text='What the worker says they are good at: short tags ("medical imaging").',
    )
    is_adult = models.BooleanField(
        default=False, help_text="The worker says they are 18 or older (Worker_Adult)."
    )
    suspended_at = models.DateTimeField(
        null=True, blank=True, help_text="Set by staff: the worker gets no new work anywhere."
    )
    suspension_reason = models.CharField(max_length=1024, blank=True)

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
    VENDOR = "vendor", "Vendor workforce"


class Workforce(BaseModel):
    """Who may work on a job: the public crowd (one row, every verified worker), an
    organization's private workforce (its listed members, optionally split into work
    teams), or a vendor's workforce (the vendor organization's own labelers, reached by
    other organizations only through an accepted engagement)."""

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
                | (
                    Q(kind__in=[WorkforceKind.PRIVATE, WorkforceKind.VENDOR])
                    & Q(organization__isnull=False)
                ),
                name="workforce_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(kind=WorkforceKind.VENDOR),
                name="workforce_one_vendor_workforce_per_org",
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


class WorkTeam(BaseModel):
    """A named group inside a private or vendor workforce (Ground Truth's work team); a
    job may be routed to some of its workforce's teams only."""

    workforce = models.ForeignKey(Workforce, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=1000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workforce", "name"], name="work_team_name_unique_per_workforce"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkTeamMember(BaseModel):
    """A workforce member's place in one of its teams; leaving the workforce removes it."""

    team = models.ForeignKey(WorkTeam, on_delete=models.CASCADE, related_name="members")
    worker = models.ForeignKey(
        WorkerProfile, on_delete=models.CASCADE, related_name="team_memberships"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "worker"], name="work_team_member_once"),
        ]
        # Uses index: work_team_member_worker serves eligibility's "in one of the job's teams".
        indexes = [models.Index(fields=["worker", "team"], name="work_team_member_worker")]

    def __str__(self) -> str:
        return f"{self.worker} in {self.team}"


MAX_BLOCKS_PER_ORGANIZATION = 100_000  # Mechanical Turk's limit per requester


WORKFORCE_INVITATION_DAYS = 7


class WorkforceInvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"


class WorkforceInvitation(BaseModel):
    """An email invitation to work in an organization's private workforce: single use,
    expiring; the link's token is the id signed with SECRET_KEY. It works for a person
    without an account (they sign up with the address, then accept) and makes the one
    who accepts a worker if they were not."""

    workforce = models.ForeignKey(Workforce, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    status = models.CharField(
        max_length=10,
        choices=WorkforceInvitationStatus.choices,
        default=WorkforceInvitationStatus.PENDING,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        WorkerProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=WorkforceInvitationStatus.values),
                name="workforce_invitation_status_valid",
            ),
            models.UniqueConstraint(
                fields=["workforce", "email"],
                condition=Q(status="pending"),
                name="workforce_invitation_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.workforce}"


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


# Qualifications, with Mechanical Turk's semantics (reference/mturk-api.md, section 8).

QUALIFICATION_TYPE_ID_REGEX = r"^[A-Z0-9]{20,30}$"
MAX_REQUIREMENTS_PER_JOB = 10
MAX_INTEGER_VALUES = 15
MAX_LOCALE_VALUES = 30


class QualificationTypeStatus(models.TextChoices):
    ACTIVE = "Active", "Active"
    INACTIVE = "Inactive", "Inactive"


class SystemQualification(models.TextChoices):
    """Qualifications the platform computes and keeps current, with Mechanical Turk's ids."""

    PERCENT_ASSIGNMENTS_APPROVED = "000000000000000000L0", "Worker_PercentAssignmentsApproved"
    NUMBER_HITS_APPROVED = "00000000000000000040", "Worker_NumberHITsApproved"
    LOCALE = "00000000000000000071", "Worker_Locale"
    ADULT = "00000000000000000060", "Worker_Adult"
    # Mechanical Turk's production Masters id, so scripts that require Masters keep working;
    # here it is the "top workers" qualification, granted by accuracy.
    MASTERS = "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH", "Masters"
    # Groundwork's own: cross-job skill, the lower bound of its 95% interval in percent.
    TOP_WORKERS = "GROUNDWORKTOPWORKERS", "Top workers"


def new_qualification_type_id() -> str:
    from jobs.models import new_entity_id

    return new_entity_id()


class QualificationType(BaseModel):
    """A qualification a requester organization (or, with no owner, the platform) grants
    to workers and requires on jobs."""

    type_id = models.CharField(
        max_length=30, unique=True, default=new_qualification_type_id, editable=False
    )
    owner = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="qualification_types",
        help_text="Empty for the platform's system qualifications.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(max_length=2000)
    keywords = models.CharField(max_length=1000, blank=True)
    status = models.CharField(
        max_length=10,
        choices=QualificationTypeStatus.choices,
        default=QualificationTypeStatus.ACTIVE,
    )
    retry_delay_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: one attempt only."
    )
    auto_granted = models.BooleanField(default=False)
    auto_granted_value = models.IntegerField(default=1)
    test = models.JSONField(
        null=True,
        blank=True,
        help_text='{"questions": [{"id", "text", "options": [{"id", "text"}]}]}; workers take '
        "it to request the qualification.",
    )
    answer_key = models.JSONField(
        null=True,
        blank=True,
        help_text='{"<question id>": {"<option id>": score}}; without one, requests are '
        "reviewed by hand.",
    )
    test_duration_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            # Mechanical Turk: a test needs a duration and cannot be auto-granted.
            models.CheckConstraint(
                condition=(Q(test__isnull=True) & Q(test_duration_seconds__isnull=True))
                | (
                    Q(test__isnull=False)
                    & Q(test_duration_seconds__isnull=False)
                    & Q(auto_granted=False)
                ),
                name="qualification_test_has_duration_and_is_not_auto_granted",
            ),
            models.CheckConstraint(
                condition=Q(answer_key__isnull=True) | Q(test__isnull=False),
                name="qualification_answer_key_needs_a_test",
            ),
            models.UniqueConstraint(
                fields=["owner", "name"], name="qualification_type_name_unique_per_owner"
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(owner__isnull=True),
                name="system_qualification_name_unique",
            ),
            models.CheckConstraint(
                condition=Q(type_id__regex=QUALIFICATION_TYPE_ID_REGEX),
                name="qualification_type_id_shape",
            ),
            models.CheckConstraint(
                condition=Q(status__in=QualificationTypeStatus.values),
                name="qualification_type_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_system(self) -> bool:
        return self.owner_id is None


class QualificationStatus(models.TextChoices):
    GRANTED = "Granted", "Granted"
    REVOKED = "Revoked", "Revoked"


class Qualification(BaseModel):
    """A worker's qualification of one type: an integer value, or a locale for
    Worker_Locale. Revoking keeps the row (with the reason the worker sees)."""

    qualification_type = models.ForeignKey(
        QualificationType, on_delete=models.CASCADE, related_name="grants"
    )
    worker = models.ForeignKey(
        WorkerProfile, on_delete=models.CASCADE, related_name="qualifications"
    )
    integer_value = models.IntegerField(null=True, blank=True)
    locale_country = models.CharField(max_length=2, blank=True)
    locale_subdivision = models.CharField(max_length=3, blank=True)
    status = models.CharField(
        max_length=10, choices=QualificationStatus.choices, default=QualificationStatus.GRANTED
    )
    granted_at = models.DateTimeField()
    revoke_reason = models.CharField(max_length=1024, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "qualification_type"], name="qualification_once_per_worker"
            ),
            models.CheckConstraint(
                condition=Q(status__in=QualificationStatus.values),
                name="qualification_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(locale_country="") | Q(locale_country__regex=COUNTRY_REGEX),
                name="qualification_locale_iso3166",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qualification_type} of {self.worker}"


class Comparator(models.TextChoices):
    LESS_THAN = "LessThan"
    LESS_THAN_OR_EQUAL_TO = "LessThanOrEqualTo"
    GREATER_THAN = "GreaterThan"
    GREATER_THAN_OR_EQUAL_TO = "GreaterThanOrEqualTo"
    EQUAL_TO = "EqualTo"
    NOT_EQUAL_TO = "NotEqualTo"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"
    IN = "In"
    NOT_IN = "NotIn"


class ActionsGuarded(models.TextChoices):
    """What an unmet requirement keeps the worker from; Discover < Preview < Accept."""

    ACCEPT = "Accept"
    PREVIEW_AND_ACCEPT = "PreviewAndAccept"
    DISCOVER_PREVIEW_AND_ACCEPT = "DiscoverPreviewAndAccept"


class QualificationRequirement(BaseModel):
    """One of a job's (at most ten) qualification requirements. Its values are rows of
    QualificationRequirementValue: one for the ordering comparators and EqualTo /
    NotEqualTo, up to 15 integers or 30 locales for In / NotIn, none for Exists /
    DoesNotExist."""

    job = models.ForeignKey(
        "jobs.LabelingJob", on_delete=models.CASCADE, related_name="qualification_requirements"
    )
    qualification_type = models.ForeignKey(
        QualificationType, on_delete=models.PROTECT, related_name="requirements"
    )
    comparator = models.CharField(max_length=20, choices=Comparator.choices)
    actions_guarded = models.CharField(
        max_length=30, choices=ActionsGuarded.choices, default=ActionsGuarded.ACCEPT
    )
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="requirement_position_once"),
            models.CheckConstraint(
                condition=Q(comparator__in=Comparator.values), name="requirement_comparator_valid"
            ),
            models.CheckConstraint(
                condition=Q(actions_guarded__in=ActionsGuarded.values),
                name="requirement_actions_guarded_valid",
            ),
            models.CheckConstraint(
                condition=Q(position__lt=MAX_REQUIREMENTS_PER_JOB),
                name="requirement_at_most_ten_per_job",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qualification_type} {self.comparator}"


class QualificationRequirementValue(models.Model):
    requirement = models.ForeignKey(
        QualificationRequirement, on_delete=models.CASCADE, related_name="values"
    )
    integer_value = models.IntegerField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    subdivision = models.CharField(max_length=3, blank=True)

    class Meta:
        constraints = [
            # An integer, or a locale: never both, never neither.
            models.CheckConstraint(
                condition=(Q(integer_value__isnull=False) & Q(country=""))
                | (Q(integer_value__isnull=True) & Q(country__regex=COUNTRY_REGEX)),
                name="requirement_value_integer_or_locale",
            ),
        ]

    def __str__(self) -> str:
        if self.integer_value is not None:
            return str(self.integer_value)
        return f"{self.country}-{self.subdivision}" if self.subdivision else self.country


class QualificationRequestStatus(models.TextChoices):
    IN_PROGRESS = "InProgress", "Taking the test"
    PENDING = "Pending", "Waiting for review"
    GRANTED = "Granted", "Granted"
    REJECTED = "Rejected", "Rejected"


OPEN_REQUEST_STATUSES = (QualificationRequestStatus.IN_PROGRESS, QualificationRequestStatus.PENDING)


class QualificationRequest(BaseModel):
    """A worker's request for a qualification: a test taken (scored by the answer key, or
    reviewed by hand) or an auto-granted type requested."""

    request_id = models.CharField(
        max_length=30, unique=True, default=new_qualification_type_id, editable=False
    )
    qualification_type = models.ForeignKey(
        QualificationType, on_delete=models.CASCADE, related_name="requests"
    )
    worker = models.ForeignKey(
        WorkerProfile, on_delete=models.CASCADE, related_name="qualification_requests"
    )
    status = models.CharField(max_length=12, choices=QualificationRequestStatus.choices)
    answers = models.JSONField(null=True, blank=True)
    score = models.IntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=1024, blank=True, help_text="Why it was rejected.")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=QualificationRequestStatus.values),
                name="qualification_request_status_valid",
            ),
            # One open request per worker and type at a time.
            models.UniqueConstraint(
                fields=["qualification_type", "worker"],
                condition=Q(status__in=OPEN_REQUEST_STATUSES),
                name="qualification_request_one_open",
            ),
        ]
        indexes = [
            models.Index(
                fields=["qualification_type", "status", "submitted_at"],
                name="qualification_request_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} requests {self.qualification_type}"
