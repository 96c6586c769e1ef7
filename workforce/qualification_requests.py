"""Writes for qualification requests, with Mechanical Turk's rules: a worker requests an
auto-granted type or takes a type's test (scored by its answer key, or reviewed by hand),
within its duration and its retry delay; the requester accepts or rejects by hand."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from marketplace.models import User
from marketplace.services import member_require, reason_clean
from workforce.models import (
    OPEN_REQUEST_STATUSES,
    Qualification,
    QualificationRequest,
    QualificationRequestStatus,
    QualificationStatus,
    QualificationType,
    QualificationTypeStatus,
    WorkerProfile,
)
from workforce.qualifications import integer_value_check, qualification_set


def is_requestable(qualification_type: QualificationType) -> bool:
    """Workers may ask for it: active, a requester's, and with a test or auto-granted."""
    return (
        qualification_type.status == QualificationTypeStatus.ACTIVE
        and not qualification_type.is_system
        and (qualification_type.test is not None or qualification_type.auto_granted)
    )


@transaction.atomic
def qualification_request_start(
    *, worker: WorkerProfile, qualification_type: QualificationType
) -> QualificationRequest:
    """Request a qualification: an auto-granted type is granted at once; a type with a test
    opens an attempt the worker submits within the test's duration. Refused while the
    worker holds it, has an open attempt, or is inside the retry delay (without one, a
    single attempt is all there is)."""
    if not is_requestable(qualification_type):
        raise NotFound()
    now = timezone.now()
    held = Qualification.objects.filter(
        qualification_type=qualification_type, worker=worker, status=QualificationStatus.GRANTED
    ).exists()
    if held:
        raise Conflict("You already have this qualification.", code="already_qualified")
    previous = (
        QualificationRequest.objects.select_for_update()
        .filter(qualification_type=qualification_type, worker=worker)
        .order_by("-started_at")
        .first()
    )
    if previous is not None:
        if previous.status in OPEN_REQUEST_STATUSES:
            raise Conflict("You already have a request for this.", code="request_open")
        delay = qualification_type.retry_delay_seconds
        if delay is None:
            raise Conflict("This qualification allows one attempt only.", code="no_retry")
        retry_at = (previous.submitted_at or previous.started_at) + timedelta(seconds=delay)
        if retry_at > now:
            raise Conflict(f"You can try again after {retry_at.isoformat()}.", code="retry_delay")
    if qualification_type.auto_granted:
        qualification_set(
            qualification_type=qualification_type,
            worker=worker,
            integer_value=qualification_type.auto_granted_value,
        )
        status = QualificationRequestStatus.GRANTED
    else:
        status = QualificationRequestStatus.IN_PROGRESS
    try:
        with transaction.atomic():
            return QualificationRequest.objects.create(
                qualification_type=qualification_type,
                worker=worker,
                status=status,
                started_at=now,
                submitted_at=now if status == QualificationRequestStatus.GRANTED else None,
                score=qualification_type.auto_granted_value if qualification_type.auto_granted
                else None,
            )  # fmt: skip
    except IntegrityError:  # a concurrent start by the same worker won
        raise Conflict("You already have a request for this.", code="request_open") from None


def _lock_request(request_id) -> QualificationRequest:
    found = (
        QualificationRequest.objects.select_for_update()
        .select_related("qualification_type", "worker")
        .filter(request_id=str(request_id))
        .first()
    )
    if found is None:
        raise NotFound()
    return found


@transaction.atomic
def qualification_request_submit(
    *, worker: WorkerProfile, request_id, answers
) -> QualificationRequest:
    """Submit a test's answers ({question id: option id}, every question): scored by the
    answer key and granted with the score as its value, or left for review by hand."""
    request = _lock_request(request_id)
    if request.worker_id != worker.pk:
        raise NotFound()
    if request.status != QualificationRequestStatus.IN_PROGRESS:
        raise Conflict("This test was already submitted.", code="request_closed")
    qualification_type = request.qualification_type
    now = timezone.now()
    deadline = request.started_at + timedelta(seconds=qualification_type.test_duration_seconds)
    questions = {
        question["id"]: {option["id"] for option in question["options"]}
        for question in qualification_type.test["questions"]
    }
    problems = _answer_problems(answers, questions)
    if problems:
        raise InvalidInput(fields={"answers": problems})
    request.answers, request.submitted_at = answers, now
    if now > deadline:
        request.status = QualificationRequestStatus.REJECTED
        request.reason, request.reviewed_at = "The test's time ran out.", now
    elif qualification_type.answer_key is None:
        request.status = QualificationRequestStatus.PENDING
    else:
        key = qualification_type.answer_key
        request.score = sum(key[question][option] for question, option in answers.items())
        request.status, request.reviewed_at = QualificationRequestStatus.GRANTED, now
        qualification_set(
            qualification_type=qualification_type, worker=worker, integer_value=request.score
        )
    request.save()
    return request


def _answer_problems(answers, questions: dict[str, set[str]]) -> list[str]:
    if not isinstance(answers, dict):
        return ['Give {"<question id>": "<option id>"} for every question.']
    problems = [f"Unknown question {name!r}." for name in sorted(set(answers) - set(questions))]
    problems += [f"Question {name!r} is not answered." for name in questions if name not in answers]
    problems += [
        f"Question {name!r}: {answers[name]!r} is not one of its options."
        for name in questions
        if name in answers and answers[name] not in questions[name]
    ]
    return problems


def _review(*, actor: User, request_id, qualification_type: QualificationType):
    if qualification_type.is_system:
        raise PermissionDenied("System qualifications are computed by the platform.")
    member_require(actor=actor, organization_id=qualification_type.owner_id)
    request = _lock_request(request_id)
    if request.qualification_type_id != qualification_type.pk:
        raise NotFound()
    if request.status != QualificationRequestStatus.PENDING:
        raise Conflict("Only a request waiting for review can be decided.", code="not_pending")
    return request


@transaction.atomic
def qualification_request_accept(
    *, actor: User, qualification_type: QualificationType, request_id, integer_value: int = 1
) -> QualificationRequest:
    """Grant a request reviewed by hand (Mechanical Turk's AcceptQualificationRequest)."""
    integer_value_check(integer_value)
    request = _review(actor=actor, request_id=request_id, qualification_type=qualification_type)
    qualification_set(
        qualification_type=qualification_type, worker=request.worker, integer_value=integer_value
    )
    request.status, request.score = QualificationRequestStatus.GRANTED, integer_value
    request.reviewed_at = timezone.now()
    request.save(update_fields=["status", "score", "reviewed_at", "updated_at"])
    return request


@transaction.atomic
def qualification_request_reject(
    *, actor: User, qualification_type: QualificationType, request_id, reason: str
) -> QualificationRequest:
    """Refuse a request reviewed by hand, with a reason the worker sees."""
    reason = reason_clean(reason)
    request = _review(actor=actor, request_id=request_id, qualification_type=qualification_type)
    request.status, request.reason = QualificationRequestStatus.REJECTED, reason
    request.reviewed_at = timezone.now()
    request.save(update_fields=["status", "reason", "reviewed_at", "updated_at"])
    return request
