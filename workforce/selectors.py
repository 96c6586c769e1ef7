"""Reads for workers, workforces and qualifications."""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from marketplace.exceptions import NotFound
from marketplace.models import Organization, User
from workforce.models import (
    Qualification,
    QualificationRequest,
    QualificationRequirement,
    QualificationType,
    WorkerBlock,
    WorkerProfile,
    Workforce,
    WorkforceInvitation,
    WorkforceKind,
    WorkforceMember,
    WorkTeam,
    WorkTeamMember,
)

# The kinds an organization owns and manages (the public crowd belongs to nobody).
ORGANIZATION_WORKFORCE_KINDS = (WorkforceKind.PRIVATE, WorkforceKind.VENDOR)


def worker_profile_get(*, actor: User) -> WorkerProfile:
    try:
        return WorkerProfile.objects.get(user=actor)
    except WorkerProfile.DoesNotExist:
        raise NotFound("You are not a worker yet.") from None


def public_crowd_get() -> Workforce:
    """The one public-crowd workforce (a data migration creates it; made again if missing)."""
    return Workforce.objects.get_or_create(
        kind=WorkforceKind.PUBLIC, defaults={"name": "Public crowd"}
    )[0]


def qualification_type_list(*, organization: Organization) -> QuerySet[QualificationType]:
    """The organization's own qualification types, newest first."""
    return QualificationType.objects.filter(owner=organization).order_by("-created_at", "-id")


def system_qualification_type_list() -> QuerySet[QualificationType]:
    return QualificationType.objects.filter(owner__isnull=True).order_by("name")


def qualification_type_access(*, organization: Organization, type_id: str) -> QualificationType:
    """One of the organization's own types by its public id; any other is NotFound."""
    found = QualificationType.objects.filter(owner=organization, type_id=type_id).first()
    if found is None:
        raise NotFound()
    return found


def qualification_grant_list(*, qualification_type: QualificationType) -> QuerySet[Qualification]:
    """Grants of a type (revoked ones too), newest first."""
    return (
        Qualification.objects.filter(qualification_type=qualification_type)
        .select_related("worker", "qualification_type")
        .order_by("-created_at", "-id")
    )


def worker_qualification_list(*, worker: WorkerProfile) -> QuerySet[Qualification]:
    """The worker's own qualifications, revoked ones with their reason, newest first."""
    return (
        Qualification.objects.filter(worker=worker)
        .select_related("qualification_type", "worker")
        .order_by("-created_at", "-id")
    )


def worker_by_public_id(*, worker_id) -> WorkerProfile:
    found = WorkerProfile.objects.filter(worker_id=str(worker_id)).first()
    if found is None:
        raise NotFound("No worker has this id.")
    return found


def job_requirement_list(*, job) -> list[QualificationRequirement]:
    """A job's qualification requirements in order, with their types and values."""
    return list(
        QualificationRequirement.objects.filter(job=job)
        .select_related("qualification_type")
        .prefetch_related("values")
        .order_by("position")
    )


def worker_block_list(*, organization: Organization) -> QuerySet[WorkerBlock]:
    """The organization's blocks, newest first."""
    return (
        WorkerBlock.objects.filter(organization=organization)
        .select_related("worker")
        .order_by("-created_at", "-id")
    )


def requestable_type_list() -> QuerySet[QualificationType]:
    """Types any worker may request (active, a requester's, with a test or auto-granted),
    newest first (Mechanical Turk's SearchQualificationTypes, MustBeRequestable)."""
    return (
        QualificationType.objects.filter(owner__isnull=False, status="Active")
        .filter(Q(test__isnull=False) | Q(auto_granted=True))
        .order_by("-created_at", "-id")
    )


def requestable_type_access(*, type_id) -> QualificationType:
    found = requestable_type_list().filter(type_id=str(type_id)).first()
    if found is None:
        raise NotFound()
    return found


def qualification_request_list(
    *, qualification_type: QualificationType, status: str | None = None
) -> QuerySet[QualificationRequest]:
    """Requests for a type (with `status`, e.g. Pending: the review queue)."""
    queryset = QualificationRequest.objects.filter(qualification_type=qualification_type)
    if status is not None:
        queryset = queryset.filter(status=status)
    return queryset.select_related("worker", "qualification_type").order_by("started_at", "id")


def worker_qualification_request_list(*, worker: WorkerProfile) -> QuerySet[QualificationRequest]:
    return (
        QualificationRequest.objects.filter(worker=worker)
        .select_related("worker", "qualification_type")
        .order_by("-started_at", "-id")
    )


def private_workforce_list(*, organization: Organization) -> QuerySet[Workforce]:
    """The organization's private workforces, newest first, with their member counts (never
    its vendor workforce: organization_workforce_list has both)."""
    return (
        Workforce.objects.filter(organization=organization, kind=WorkforceKind.PRIVATE)
        .annotate(member_count=Count("members"))
        .order_by("-created_at", "-id")
    )


def private_workforce_access(*, organization: Organization, workforce_id) -> Workforce:
    try:
        return private_workforce_list(organization=organization).get(pk=int(workforce_id))
    except (Workforce.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def _count_of(model, field: str) -> Coalesce:
    """A correlated COUNT(*) of `model` rows whose `field` is the outer row: one subquery
    per count, so two counts never multiply each other's rows as two joins would."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def organization_workforce_list(*, organization: Organization) -> QuerySet[Workforce]:
    """The workforces the organization owns, newest first: its private workforces and, if
    it is a vendor, its vendor workforce; each with `member_count` and `team_count`, in
    one query."""
    return (
        Workforce.objects.filter(organization=organization, kind__in=ORGANIZATION_WORKFORCE_KINDS)
        .annotate(
            member_count=_count_of(WorkforceMember, "workforce"),
            team_count=_count_of(WorkTeam, "workforce"),
        )
        .order_by("-created_at", "-id")
    )


def organization_workforce_access(*, organization: Organization, workforce_id) -> Workforce:
    """One of the organization's own private or vendor workforces; any other (another
    organization's, the public crowd, a bad id) is NotFound."""
    try:
        return organization_workforce_list(organization=organization).get(pk=int(workforce_id))
    except (Workforce.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def vendor_workforce_get(*, organization: Organization) -> Workforce | None:
    """The organization's vendor workforce, or None if it is not a vendor."""
    return Workforce.objects.filter(organization=organization, kind=WorkforceKind.VENDOR).first()


def workforce_member_list(*, workforce: Workforce) -> QuerySet[WorkforceMember]:
    return (
        WorkforceMember.objects.filter(workforce=workforce)
        .select_related("worker__user")
        .order_by("-created_at", "-id")
    )


def workforce_invitation_list(*, workforce: Workforce) -> QuerySet[WorkforceInvitation]:
    return WorkforceInvitation.objects.filter(workforce=workforce).order_by("-created_at", "-id")


def workforce_invitation_access(*, workforce: Workforce, invitation_id) -> WorkforceInvitation:
    try:
        return workforce_invitation_list(workforce=workforce).get(pk=int(invitation_id))
    except (WorkforceInvitation.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def work_team_list(*, workforce: Workforce) -> QuerySet[WorkTeam]:
    """The workforce's teams, newest first, each with its `member_count`."""
    return (
        WorkTeam.objects.filter(workforce=workforce)
        .select_related("workforce")
        .annotate(member_count=_count_of(WorkTeamMember, "team"))
        .order_by("-created_at", "-id")
    )


def work_team_access(*, workforce: Workforce, team_id) -> WorkTeam:
    """One of the workforce's teams; another workforce's (or a bad id) is NotFound."""
    try:
        return work_team_list(workforce=workforce).get(pk=int(team_id))
    except (WorkTeam.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def work_team_member_list(*, team: WorkTeam) -> QuerySet[WorkTeamMember]:
    return (
        WorkTeamMember.objects.filter(team=team)
        .select_related("worker__user")
        .order_by("-created_at", "-id")
    )
