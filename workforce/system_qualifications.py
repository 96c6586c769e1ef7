"""The platform's system qualifications, kept current: Worker_PercentAssignmentsApproved
and Worker_NumberHITsApproved from reviewed work, Worker_Locale and Worker_Adult from the
worker's profile. Recomputed from the rows each time, so running twice is harmless."""

from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from jobs.models import Assignment, AssignmentStatus
from workforce.models import Qualification, QualificationStatus, SystemQualification, WorkerProfile
from workforce.qualifications import qualification_set, system_qualification_type

# A worker with no reviewed work yet counts as fully approved, as on Mechanical Turk.
NO_REVIEWS_PERCENT = 100


def approval_figures(*, worker_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(percent approved, number approved) per worker id, over their reviewed assignments."""
    counts = (
        Assignment.objects.filter(worker_id__in=worker_ids)
        .values("worker_id")
        .annotate(
            approved=Count("pk", filter=Q(status=AssignmentStatus.APPROVED)),
            rejected=Count("pk", filter=Q(status=AssignmentStatus.REJECTED)),
        )
    )
    figures = {worker_id: (NO_REVIEWS_PERCENT, 0) for worker_id in worker_ids}
    for row in counts:
        reviewed = row["approved"] + row["rejected"]
        percent = row["approved"] * 100 // reviewed if reviewed else NO_REVIEWS_PERCENT
        figures[row["worker_id"]] = (percent, row["approved"])
    return figures


@transaction.atomic
def approval_qualifications_refresh(*, worker_ids: list[int]) -> int:
    """Set the two approval qualifications of the workers from their rows, in one
    statement per type. Returns how many workers were updated."""
    figures = approval_figures(worker_ids=worker_ids)
    if not figures:
        return 0
    now = timezone.now()
    for kind, index in (
        (SystemQualification.PERCENT_ASSIGNMENTS_APPROVED, 0),
        (SystemQualification.NUMBER_HITS_APPROVED, 1),
    ):
        qualification_type = system_qualification_type(kind)
        Qualification.objects.bulk_create(
            [
                Qualification(
                    qualification_type=qualification_type,
                    worker_id=worker_id,
                    integer_value=values[index],
                    status=QualificationStatus.GRANTED,
                    granted_at=now,
                )
                for worker_id, values in figures.items()
            ],
            update_conflicts=True,
            unique_fields=["worker", "qualification_type"],
            update_fields=["integer_value", "status", "updated_at"],
        )
    return len(figures)


def approval_qualifications_refresh_since(*, since: datetime) -> int:
    """For the workers with an assignment approved or rejected since `since` (the beat
    task passes a window that overlaps the last run's)."""
    workers = (
        Assignment.objects.filter(Q(approved_at__gte=since) | Q(rejected_at__gte=since))
        .values_list("worker_id", flat=True)
        .distinct()
    )
    return approval_qualifications_refresh(worker_ids=list(workers))


@transaction.atomic
def profile_qualifications_sync(*, worker: WorkerProfile) -> None:
    """Worker_Locale from the profile's country (revoked without one), Worker_Adult from
    the worker's own statement, and the approval figures a new worker starts with."""
    locale_type = system_qualification_type(SystemQualification.LOCALE)
    if worker.country:
        qualification_set(
            qualification_type=locale_type, worker=worker, locale_country=worker.country
        )
    else:
        Qualification.objects.filter(qualification_type=locale_type, worker=worker).update(
            status=QualificationStatus.REVOKED,
            revoke_reason="Your profile names no country.",
            updated_at=timezone.now(),
        )
    qualification_set(
        qualification_type=system_qualification_type(SystemQualification.ADULT),
        worker=worker,
        integer_value=1 if worker.is_adult else 0,
    )
    if not Qualification.objects.filter(
        worker=worker,
        qualification_type__type_id=SystemQualification.PERCENT_ASSIGNMENTS_APPROVED,
    ).exists():
        approval_qualifications_refresh(worker_ids=[worker.pk])
