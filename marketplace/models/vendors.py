"""Vendors: their profiles, listings with prices and moderation, engagements, ratings."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    URLValidator,
)
from django.db import models
from django.db.models import Q
from django.utils import timezone

from marketplace.models.accounts import (
    BaseModel,
    Organization,
    TextListValidator,
    validate_language_tags,
)
from payments.money import DEFAULT_CURRENCY

MAX_CERTIFICATIONS = 20
MAX_CERTIFICATION_LENGTH = 100
MAX_SAMPLE_OUTPUTS = 10
SAMPLE_OUTPUT_KEYS = {"title", "description", "url"}
SAMPLE_TITLE_LENGTH = 200
SAMPLE_DESCRIPTION_LENGTH = 1000
SAMPLE_URL_LENGTH = 500


validate_certifications = TextListValidator(
    "certification", max_items=MAX_CERTIFICATIONS, max_length=MAX_CERTIFICATION_LENGTH
)


def sample_output_errors(sample) -> dict[str, list[str]]:
    """What is wrong with one sample output {"title", "description", "url"}, by key."""
    if not isinstance(sample, dict):
        return {"": ['A sample is an object with "title", "description" and "url".']}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(sample) - SAMPLE_OUTPUT_KEYS):
        errors[key] = ["Unknown field."]
    title = sample.get("title")
    if not isinstance(title, str) or not 1 <= len(title.strip()) <= SAMPLE_TITLE_LENGTH:
        errors["title"] = [f"Give a title of 1 to {SAMPLE_TITLE_LENGTH} characters."]
    description = sample.get("description", "")
    if not isinstance(description, str) or len(description) > SAMPLE_DESCRIPTION_LENGTH:
        errors["description"] = [f"At most {SAMPLE_DESCRIPTION_LENGTH} characters."]
    url = sample.get("url", "")
    if not isinstance(url, str) or len(url) > SAMPLE_URL_LENGTH:
        errors["url"] = [f"Give an http or https URL of at most {SAMPLE_URL_LENGTH} characters."]
    elif url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            errors["url"] = ["Enter a valid http or https URL."]
        else:
            if urlsplit(url).scheme not in {"http", "https"}:
                errors["url"] = ["Enter a valid http or https URL."]
    return errors


def validate_sample_outputs(value) -> None:
    """At most 10 samples, each {"title", "description" (optional), "url" (optional)}."""
    if not isinstance(value, list):
        raise ValidationError("Enter a list of samples.", code="not_a_list")
    if len(value) > MAX_SAMPLE_OUTPUTS:
        raise ValidationError(f"At most {MAX_SAMPLE_OUTPUTS} samples.", code="max_length")
    for index, sample in enumerate(value):
        errors = sample_output_errors(sample)
        if errors:
            key, messages = next(iter(errors.items()))
            where = f"Sample {index + 1}" + (f", {key}" if key else "")
            raise ValidationError(f"{where}: {messages[0]}", code="invalid_sample")


class VendorProfile(BaseModel):
    """Makes an organization a vendor: a labeling company selling managed labeling.

    The vendor's members are the organization's members; its owners and admins manage it,
    its listings and its vendor workforce (the workers who label for it).
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="vendor_profile"
    )
    display_name = models.CharField(max_length=100)
    # TextField's max_length only reaches forms; the validator makes services enforce it.
    description = models.TextField(
        max_length=5000, blank=True, validators=[MaxLengthValidator(5000)]
    )
    website = models.URLField(max_length=200, blank=True)
    contact_email = models.EmailField(max_length=254)
    languages = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_language_tags],
        help_text="BCP 47 language tags.",
    )
    certifications = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_certifications],
        help_text='Certifications the vendor holds, as short names ("ISO 27001", "SOC 2").',
    )

    def __str__(self) -> str:
        return self.display_name


class ListingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_REVIEW = "pending_review", "Pending review"
    PUBLISHED = "published", "Published"
    SUSPENDED = "suspended", "Suspended"


# Who may move a listing where: the vendor submits a draft and withdraws it (from review,
# or off the marketplace once published); staff publish or reject (back to draft, with a
# reason) what is pending, suspend (with a reason) what is published, and reinstate what
# they suspended. A vendor's change to a published listing's content sends it back to
# review. A suspended listing stays suspended until staff reinstate it.
LISTING_TRANSITIONS = {
    ListingStatus.DRAFT: {ListingStatus.PENDING_REVIEW},
    ListingStatus.PENDING_REVIEW: {ListingStatus.PUBLISHED, ListingStatus.DRAFT},
    ListingStatus.PUBLISHED: {
        ListingStatus.SUSPENDED,
        ListingStatus.PENDING_REVIEW,
        ListingStatus.DRAFT,
    },
    ListingStatus.SUSPENDED: {ListingStatus.PUBLISHED},
}


class VendorListing(BaseModel):
    """A managed-labeling offer of a vendor: what it labels, at what price per object, how
    fast and how much. Requesters see it only once staff have published it."""

    vendor = models.ForeignKey(VendorProfile, on_delete=models.CASCADE, related_name="listings")
    title = models.CharField(max_length=200)
    description = models.TextField(
        max_length=5000, blank=True, validators=[MaxLengthValidator(5000)]
    )
    minimum_order_objects = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="Fewest data objects per order."
    )
    turnaround_hours = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(24 * 365)],
        help_text="Promised hours from a job's launch to its completion.",
    )
    capacity_objects_per_day = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    languages = models.JSONField(
        default=list, blank=True, validators=[validate_language_tags], help_text="BCP 47 tags."
    )
    sample_outputs = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_sample_outputs],
        help_text='Examples of the vendor\'s work: [{"title", "description", "url"}].',
    )
    status = models.CharField(
        max_length=20, choices=ListingStatus.choices, default=ListingStatus.DRAFT
    )
    status_reason = models.CharField(
        max_length=1024, blank=True, help_text="Why staff rejected or suspended it."
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    # Moved with F() by the rating service; browse filters and sorts on them.
    rating_count = models.PositiveIntegerField(default=0)
    rating_total = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ListingStatus.values), name="vendor_listing_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(minimum_order_objects__gte=1), name="vendor_listing_minimum_order_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(turnaround_hours__gte=1), name="vendor_listing_turnaround_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(capacity_objects_per_day__gte=1),
                name="vendor_listing_capacity_gte_1",
            ),
            models.CheckConstraint(
                condition=Q(rating_total__lte=models.F("rating_count") * 5)
                & Q(rating_total__gte=models.F("rating_count")),
                name="vendor_listing_rating_counts_consistent",
            ),
        ]
        indexes = [
            # Uses index: vendor_listing_published serves the requesters' browse page.
            models.Index(
                fields=["-published_at"],
                condition=Q(status="published"),
                name="vendor_listing_published",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def rating_average(self):
        return self.rating_total / self.rating_count if self.rating_count else None


class VendorListingPrice(models.Model):
    """A listing's price per data object for one task type it offers."""

    listing = models.ForeignKey(VendorListing, on_delete=models.CASCADE, related_name="prices")
    task_type = models.CharField(max_length=64, help_text="A key of the task-type registry.")
    price_per_object = models.DecimalField(max_digits=18, decimal_places=4)
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY)

    class Meta:
        ordering = ["task_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "task_type"], name="vendor_listing_price_once_per_task_type"
            ),
            models.CheckConstraint(
                condition=Q(price_per_object__gte=0), name="vendor_listing_price_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_type}: {self.price_per_object} {self.currency}"


class ListingEvent(models.Model):
    """A listing's status change: who moved it, from where to where, and why."""

    listing = models.ForeignKey(VendorListing, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=ListingStatus.choices)
    to_status = models.CharField(max_length=20, choices=ListingStatus.choices)
    reason = models.CharField(max_length=1024, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.listing_id}: {self.from_status} -> {self.to_status}"


class EngagementStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    ENDED = "ended", "Ended"


# The requester asks; the vendor accepts or declines; the requester may cancel a request
# not yet answered; either side ends an accepted engagement (running jobs finish).
ENGAGEMENT_TRANSITIONS = {
    EngagementStatus.REQUESTED: {
        EngagementStatus.ACCEPTED,
        EngagementStatus.DECLINED,
        EngagementStatus.CANCELLED,
    },
    EngagementStatus.ACCEPTED: {EngagementStatus.ENDED},
    EngagementStatus.DECLINED: set(),
    EngagementStatus.CANCELLED: set(),
    EngagementStatus.ENDED: set(),
}
OPEN_ENGAGEMENT_STATUSES = (EngagementStatus.REQUESTED, EngagementStatus.ACCEPTED)


class Engagement(BaseModel):
    """A requester organization hiring a vendor on one of its listings for one task type,
    at the listing's price when asked. Once the vendor accepts, the requester's jobs of
    that task type may target the vendor's workforce through it."""

    listing = models.ForeignKey(VendorListing, on_delete=models.PROTECT, related_name="engagements")
    requester = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="vendor_engagements"
    )
    vendor = models.ForeignKey(VendorProfile, on_delete=models.CASCADE, related_name="engagements")
    task_type = models.CharField(max_length=64)
    price_per_object = models.DecimalField(max_digits=18, decimal_places=4)
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY)
    expected_objects = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    message = models.TextField(max_length=2000, blank=True, validators=[MaxLengthValidator(2000)])
    status = models.CharField(
        max_length=10, choices=EngagementStatus.choices, default=EngagementStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    response_reason = models.CharField(max_length=1024, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EngagementStatus.values), name="engagement_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(price_per_object__gte=0), name="engagement_price_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(expected_objects__gte=1), name="engagement_expected_objects_gte_1"
            ),
            models.UniqueConstraint(
                fields=["listing", "requester", "task_type"],
                condition=Q(status__in=["requested", "accepted"]),
                name="engagement_one_open_per_listing_task_type",
            ),
        ]
        indexes = [
            # Uses index: engagement_requester_status serves a requester's engagements.
            models.Index(fields=["requester", "status"], name="engagement_requester_status"),
            # Uses index: engagement_vendor_status serves a vendor's incoming requests.
            models.Index(fields=["vendor", "status"], name="engagement_vendor_status"),
        ]

    def __str__(self) -> str:
        return f"{self.requester} engages {self.vendor} ({self.task_type})"


class EngagementEvent(models.Model):
    """An engagement's status change: who moved it, from where to where, and why."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_status = models.CharField(max_length=10, choices=EngagementStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=EngagementStatus.choices)
    reason = models.CharField(max_length=1024, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.engagement_id}: {self.from_status or '-'} -> {self.to_status}"


class VendorRating(BaseModel):
    """A requester's rating of a vendor's work on one job done through an engagement."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="ratings")
    job = models.OneToOneField(
        "jobs.LabelingJob", on_delete=models.CASCADE, related_name="vendor_rating"
    )
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(max_length=2000, blank=True, validators=[MaxLengthValidator(2000)])
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="vendor_rating_score_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 for {self.engagement}"
