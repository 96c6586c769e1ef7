"""Writes for qualifications with Mechanical Turk's rules: a requester's qualification
types, granting and revoking them, the platform's system qualifications, and a job's
qualification requirements."""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from jobs.models import JobStatus, LabelingJob
from marketplace.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from marketplace.models import Organization, User
from marketplace.services import (
    fields_require_known,
    instance_validate,
    member_require,
    reason_clean,
)
from workforce.locales import locale_problems
from workforce.models import (
    MAX_INTEGER_VALUES,
    MAX_LOCALE_VALUES,
    MAX_REQUIREMENTS_PER_JOB,
    ActionsGuarded,
    Comparator,
    Qualification,
    QualificationRequirement,
    QualificationRequirementValue,
    QualificationStatus,
    QualificationType,
    SystemQualification,
    WorkerProfile,
)

QUALIFICATION_TYPE_FIELDS = (
    "name",
    "description",
    "keywords",
    "status",
    "retry_delay_seconds",
    "auto_granted",
    "auto_granted_value",
    "test",
    "answer_key",
    "test_duration_seconds",
)
MAX_TEST_QUESTIONS = 50
MAX_TEST_OPTIONS = 10
TEST_ID_REGEX = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REQUIREMENT_FIELDS = {
    "QualificationTypeId",
    "Comparator",
    "IntegerValues",
    "LocaleValues",
    "ActionsGuarded",
}
NO_VALUES = {Comparator.EXISTS, Comparator.DOES_NOT_EXIST}
ONE_VALUE = set(Comparator) - NO_VALUES - {Comparator.IN, Comparator.NOT_IN}
LOCALE_COMPARATORS = {
    Comparator.EQUAL_TO,
    Comparator.NOT_EQUAL_TO,
    Comparator.IN,
    Comparator.NOT_IN,
}
INTEGER_LIMIT = 2**31 - 1


# Qualification types.


@transaction.atomic
def qualification_type_create(
    *, actor: User, organization: Organization, **fields
) -> QualificationType:
    """A qualification type owned by `organization` (any member may create one)."""
    member_require(actor=actor, organization_id=organization.pk)
    fields_require_known(fields=fields, allowed=QUALIFICATION_TYPE_FIELDS)
    qualification_type = QualificationType(owner=organization, **fields)
    instance_validate(instance=qualification_type, fields=fields)
    _check_test(qualification_type)
    _save_unique_name(qualification_type)
    return qualification_type


@transaction.atomic
def qualification_type_update(
    *, actor: User, qualification_type: QualificationType, **fields
) -> QualificationType:
    member_require(actor=actor, organization_id=qualification_type.owner_id)
    fields_require_known(fields=fields, allowed=QUALIFICATION_TYPE_FIELDS)
    qualification_type = QualificationType.objects.select_for_update().get(pk=qualification_type.pk)
    if (
        qualification_type.retry_delay_seconds is not None
        and fields.get("retry_delay_seconds", 0) is None
    ):
        # Mechanical Turk: once retries are allowed they cannot be turned off.
        raise InvalidInput(
            fields={"retry_delay_seconds": ["Retries, once allowed, cannot be turned off."]}
        )
    for name, value in fields.items():
        setattr(qualification_type, name, value)
    instance_validate(instance=qualification_type, fields=fields)
    _check_test(qualification_type)
    _save_unique_name(qualification_type)
    return qualification_type


def _check_test(qualification_type: QualificationType) -> None:
    """Mechanical Turk's rules for a qualification test, on our JSON shape: a test needs a
    duration and cannot be auto-granted; the answer key scores every option of every
    question with a whole number."""
    test, key = qualification_type.test, qualification_type.answer_key
    duration = qualification_type.test_duration_seconds
    problems: dict[str, list[str]] = {}
    if test is None:
        if key is not None:
            problems["answer_key"] = ["An answer key needs a test."]
        if duration is not None:
            problems["test_duration_seconds"] = ["A duration needs a test."]
        if problems:
            raise InvalidInput(fields=problems)
        return
    if duration is None or not 30 <= duration <= 8 * 3600:
        problems["test_duration_seconds"] = ["A test needs a duration of 30 s to 8 hours."]
    if qualification_type.auto_granted:
        problems["auto_granted"] = ["A type with a test cannot be auto-granted."]
    questions = _test_question_problems(test, problems)
    if key is not None and questions is not None:
        _answer_key_problems(key, questions, problems)
    if problems:
        raise InvalidInput(fields=problems)


def _test_question_problems(test, problems: dict) -> dict | None:
    """The test's {question id: option ids}, or None with `problems["test"]` filled."""
    messages = []
    questions = test.get("questions") if isinstance(test, dict) else None
    if not isinstance(test, dict) or set(test) != {"questions"} or not isinstance(questions, list):
        problems["test"] = ['Give {"questions": [...]}.']
        return None
    if not 1 <= len(questions) <= MAX_TEST_QUESTIONS:
        messages.append(f"A test has 1 to {MAX_TEST_QUESTIONS} questions.")
    found: dict[str, set[str]] = {}
    for number, question in enumerate(questions, start=1):
        if not isinstance(question, dict) or set(question) != {"id", "text", "options"}:
            messages.append(f"Question {number}: give id, text and options.")
            continue
        options = question["options"]
        question_id = question["id"]
        if not isinstance(question_id, str) or not TEST_ID_REGEX.fullmatch(question_id):
            messages.append(f"Question {number}: an id of 1-64 letters, digits, _ or -.")
        elif question_id in found:
            messages.append(f"Question {number}: the id {question_id!r} is used twice.")
        if not isinstance(question["text"], str) or not 1 <= len(question["text"]) <= 2000:
            messages.append(f"Question {number}: a text of 1-2000 characters.")
        if not isinstance(options, list) or not 2 <= len(options) <= MAX_TEST_OPTIONS:
            messages.append(f"Question {number}: 2 to {MAX_TEST_OPTIONS} options.")
            continue
        option_ids = set()
        for option in options:
            if (
                not isinstance(option, dict)
                or set(option) != {"id", "text"}
                or not isinstance(option["id"], str)
                or not TEST_ID_REGEX.fullmatch(option["id"])
                or not isinstance(option["text"], str)
                or not 1 <= len(option["text"]) <= 500
            ):
                messages.append(f"Question {number}: each option is an id and a text.")
                break
            option_ids.add(option["id"])
        if len(option_ids) != len(options):
            messages.append(f"Question {number}: option ids must differ.")
        if isinstance(question_id, str):
            found[question_id] = option_ids
    if messages:
        problems["test"] = messages
        return None
    return found


def _answer_key_problems(key, questions: dict[str, set[str]], problems: dict) -> None:
    if not isinstance(key, dict) or set(key) != set(questions):
        problems["answer_key"] = ["Score every question of the test, and nothing else."]
        return
    for question_id, scores in key.items():
        if (
            not isinstance(scores, dict)
            or set(scores) != questions[question_id]
            or any(
                isinstance(score, bool) or not isinstance(score, int) or abs(score) > 10_000
                for score in scores.values()
            )
        ):
            problems["answer_key"] = [
                f"Question {question_id!r}: a whole-number score (up to 10,000) for each option."
            ]
            return


def _save_unique_name(qualification_type: QualificationType) -> None:
    try:
        with transaction.atomic():
            qualification_type.save()
    except IntegrityError:
        raise InvalidInput(
            fields={"name": ["You already have a qualification type with this name."]}
        ) from None


# Grants.


def _lock_type_for_grants(*, actor: User, qualification_type: QualificationType):
    if qualification_type.is_system:
        raise PermissionDenied("System qualifications are computed by the platform.")
    member_require(actor=actor, organization_id=qualification_type.owner_id)


@transaction.atomic
def qualification_grant(
    *,
    actor: User,
    qualification_type: QualificationType,
    worker: WorkerProfile,
    integer_value: int = 1,
) -> Qualification:
    """Grant (or grant again, with a new value) a type `actor`'s organization owns
    (Mechanical Turk's AssociateQualificationWithWorker; the value defaults to 1)."""
    _lock_type_for_grants(actor=actor, qualification_type=qualification_type)
    integer_value_check(integer_value)
    return qualification_set(
        qualification_type=qualification_type, worker=worker, integer_value=integer_value
    )


def is_integer_value(value) -> bool:
    """A qualification's value: a 32-bit whole number (booleans are not numbers here)."""
    return (
        not isinstance(value, bool)
        and isinstance(value, int)
        and -INTEGER_LIMIT <= value <= INTEGER_LIMIT
    )


def integer_value_check(value) -> None:
    if not is_integer_value(value):
        raise InvalidInput(fields={"integer_value": ["Give a whole number (32-bit)."]})


def qualification_set(*, qualification_type, worker, **values) -> Qualification:
    """Grant (or grant again) with `values`, checking no permission: for the platform's
    own grants and for the services that already decided (tests, reviewed requests)."""
    qualification, _ = Qualification.objects.select_for_update().update_or_create(
        qualification_type=qualification_type,
        worker=worker,
        defaults={
            "integer_value": None,
            "locale_country": "",
            "locale_subdivision": "",
            **values,
            "status": QualificationStatus.GRANTED,
            "granted_at": timezone.now(),
            "revoke_reason": "",
        },
    )
    return qualification


@transaction.atomic
def qualification_revoke(
    *, actor: User, qualification_type: QualificationType, worker: WorkerProfile, reason: str
) -> Qualification:
    """Revoke a grant (Mechanical Turk's DisassociateQualificationFromWorker): the row stays,
    Revoked, with the reason the worker sees. Revoking a revoked one changes nothing."""
    _lock_type_for_grants(actor=actor, qualification_type=qualification_type)
    reason = reason_clean(reason)
    qualification = (
        Qualification.objects.select_for_update()
        .filter(qualification_type=qualification_type, worker=worker)
        .first()
    )
    if qualification is None:
        raise NotFound("This worker does not have this qualification.")
    if qualification.status == QualificationStatus.GRANTED:
        qualification.status = QualificationStatus.REVOKED
        qualification.revoke_reason = reason
        qualification.save(update_fields=["status", "revoke_reason", "updated_at"])
    return qualification


# System qualifications.


def system_qualification_type(kind: SystemQualification) -> QualificationType:
    """The platform's type for `kind` (a data migration creates them; made if missing)."""
    return QualificationType.objects.get_or_create(
        type_id=kind.value, defaults={"name": kind.label, "description": kind.label}
    )[0]


# A job's requirements.


@transaction.atomic
def job_requirements_set(
    *, actor: User, job: LabelingJob, requirements: list
) -> list[QualificationRequirement]:
    """Replace a draft job's qualification requirements (0-10, Mechanical Turk's
    QualificationRequirement shape). All of them are checked first; any problem refuses
    the whole list, naming each field, and changes nothing."""
    member_require(actor=actor, organization_id=job.organization_id)
    job = LabelingJob.objects.select_for_update().get(pk=job.pk)
    if job.status != JobStatus.DRAFT:
        raise Conflict(
            "Requirements are set before launch; this job is no longer a draft.",
            code="job_not_draft",
        )
    checked = requirements_check(requirements=requirements, organization_id=job.organization_id)
    QualificationRequirement.objects.filter(job=job).delete()
    created = []
    for position, (qualification_type, comparator, guarded, values) in enumerate(checked):
        requirement = QualificationRequirement.objects.create(
            job=job,
            qualification_type=qualification_type,
            comparator=comparator,
            actions_guarded=guarded,
            position=position,
        )
        QualificationRequirementValue.objects.bulk_create(
            QualificationRequirementValue(requirement=requirement, **value) for value in values
        )
        created.append(requirement)
    return created


def requirements_check(*, requirements, organization_id: int) -> list[tuple]:
    """The requirements as (type, comparator, actions guarded, value rows), or
    InvalidInput naming every problem as `requirements[i].<Field>`."""
    if not isinstance(requirements, list):
        raise InvalidInput(fields={"requirements": ["Give a list of requirements."]})
    if len(requirements) > MAX_REQUIREMENTS_PER_JOB:
        raise InvalidInput(
            fields={"requirements": [f"At most {MAX_REQUIREMENTS_PER_JOB} requirements."]}
        )
    types = _types_by_id(requirements, organization_id=organization_id)
    problems: dict[str, list[str]] = {}
    checked = []
    for index, requirement in enumerate(requirements):
        found = _check_one(requirement, types=types)
        if isinstance(found, dict):
            problems.update({f"requirements[{index}].{k}": v for k, v in found.items()})
        else:
            checked.append(found)
    if problems:
        raise InvalidInput(fields=problems)
    return checked


def _types_by_id(requirements: list, *, organization_id: int) -> dict[str, QualificationType]:
    """The organization's own and the system's types named by the requirements."""
    ids = {
        item.get("QualificationTypeId")
        for item in requirements
        if isinstance(item, dict) and isinstance(item.get("QualificationTypeId"), str)
    }
    found = QualificationType.objects.filter(type_id__in=ids)
    return {
        qualification_type.type_id: qualification_type
        for qualification_type in found
        if qualification_type.owner_id in (None, organization_id)
    }


def _check_one(requirement, *, types: dict) -> tuple | dict:
    if not isinstance(requirement, dict):
        return {"QualificationTypeId": ["Give each requirement as an object."]}
    unknown = sorted(set(requirement) - REQUIREMENT_FIELDS)
    if unknown:
        return {name: ["Unknown field."] for name in unknown}
    problems: dict[str, list[str]] = {}
    qualification_type = types.get(requirement.get("QualificationTypeId"))
    if qualification_type is None:
        problems["QualificationTypeId"] = ["No such qualification type of yours."]
    elif qualification_type.status != "Active":
        problems["QualificationTypeId"] = ["This qualification type is inactive."]
    comparator = requirement.get("Comparator")
    if comparator not in Comparator.values:
        problems["Comparator"] = [f"One of: {', '.join(Comparator.values)}."]
    guarded = requirement.get("ActionsGuarded", ActionsGuarded.ACCEPT)
    if guarded not in ActionsGuarded.values:
        problems["ActionsGuarded"] = [f"One of: {', '.join(ActionsGuarded.values)}."]
    integers = requirement.get("IntegerValues", [])
    locales = requirement.get("LocaleValues", [])
    if not isinstance(integers, list):
        problems["IntegerValues"] = ["Give a list of whole numbers."]
        integers = []
    if not isinstance(locales, list):
        problems["LocaleValues"] = ["Give a list of locales."]
        locales = []
    if problems.keys() & {"QualificationTypeId", "Comparator"}:
        return problems
    is_locale = qualification_type.type_id == SystemQualification.LOCALE
    problems.update(_value_problems(comparator, integers, locales, is_locale=is_locale))
    if problems:
        return problems
    values = [{"integer_value": value} for value in integers] + [
        {"country": value["Country"], "subdivision": value.get("Subdivision", "")}
        for value in locales
    ]
    return qualification_type, comparator, guarded, values


def _value_problems(comparator, integers: list, locales: list, *, is_locale: bool) -> dict:
    count = len(integers) + len(locales)
    if comparator in NO_VALUES:
        if count:
            return {"IntegerValues": [f"{comparator} takes no values."]}
        return {}
    if locales and not is_locale:
        return {"LocaleValues": ["Locale values are only for Worker_Locale."]}
    if is_locale and integers:
        return {"IntegerValues": ["Worker_Locale takes LocaleValues, not IntegerValues."]}
    if locales and comparator not in LOCALE_COMPARATORS:
        return {"LocaleValues": [f"{comparator} does not compare locales."]}
    field = "LocaleValues" if is_locale else "IntegerValues"
    if comparator in ONE_VALUE and count != 1:
        return {field: [f"{comparator} takes exactly one value."]}
    limit = MAX_LOCALE_VALUES if is_locale else MAX_INTEGER_VALUES
    if not 1 <= count <= limit:
        return {field: [f"{comparator} takes 1 to {limit} values."]}
    problems = [
        f"{value!r} is not a whole number (32-bit)."
        for value in integers
        if not is_integer_value(value)
    ]
    for value in locales:
        problems += locale_problems(value)
    return {field: problems} if problems else {}
