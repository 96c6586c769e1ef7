"""Qualification types, grants and revokes, the Worker_Locale system qualification, and a
job's requirements checked by Mechanical Turk's rules (every bad input refused whole)."""

import re

import pytest

from marketplace.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.jobs.factories import LabelingJobFactory
from tests.jobs.lifecycle import launched_job, requester_of, workers
from tests.marketplace.factories import OrganizationFactory
from tests.snapshots import database_snapshot
from tests.workforce.factories import QualificationFactory, QualificationTypeFactory
from workforce.models import (
    Qualification,
    QualificationRequirement,
    QualificationStatus,
    QualificationType,
    SystemQualification,
)
from workforce.qualifications import (
    job_requirements_set,
    qualification_grant,
    qualification_revoke,
    qualification_type_create,
    qualification_type_update,
    system_qualification_type,
)
from workforce.services import worker_profile_create, worker_profile_update

pytestmark = pytest.mark.django_db


# Types.


def test_a_member_creates_a_type_whose_name_is_unique_in_the_organization():
    organization = OrganizationFactory()
    actor = requester_of(organization)

    created = qualification_type_create(
        actor=actor, organization=organization, name="Birds", description="Knows birds."
    )

    assert re.fullmatch(r"[A-Z0-9]{30}", created.type_id)
    assert (created.owner, created.status, created.auto_granted) == (organization, "Active", False)
    with pytest.raises(InvalidInput) as error:
        qualification_type_create(
            actor=actor, organization=organization, name="Birds", description="Again."
        )
    assert list(error.value.fields) == ["name"]
    other = OrganizationFactory()
    qualification_type_create(
        actor=requester_of(other), organization=other, name="Birds", description="Theirs."
    )
    assert QualificationType.objects.filter(name="Birds").count() == 2


def test_a_stranger_cannot_create_or_change_an_organizations_type():
    organization = OrganizationFactory()
    stranger = requester_of(OrganizationFactory())
    skill = QualificationTypeFactory(owner=organization)

    with pytest.raises(NotFound):
        qualification_type_create(
            actor=stranger, organization=organization, name="X", description="Y"
        )
    with pytest.raises(NotFound):
        qualification_type_update(actor=stranger, qualification_type=skill, name="Mine now")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "", "description": "x"}, "name"),
        ({"name": "x" * 201, "description": "x"}, "name"),
        ({"name": "x", "description": ""}, "description"),
        ({"name": "x", "description": "x", "status": "Retired"}, "status"),
        ({"name": "x", "description": "x", "colour": "red"}, "colour"),
    ],
)
def test_bad_type_fields_are_refused_and_change_nothing(fields, field):
    organization = OrganizationFactory()
    actor = requester_of(organization)
    before = database_snapshot()

    with pytest.raises(InvalidInput) as error:
        qualification_type_create(actor=actor, organization=organization, **fields)

    assert field in error.value.fields
    assert database_snapshot() == before


def test_retries_once_allowed_cannot_be_turned_off():
    skill = QualificationTypeFactory(retry_delay_seconds=3600)
    actor = requester_of(skill.owner)

    with pytest.raises(InvalidInput) as error:
        qualification_type_update(actor=actor, qualification_type=skill, retry_delay_seconds=None)

    assert list(error.value.fields) == ["retry_delay_seconds"]
    updated = qualification_type_update(
        actor=actor, qualification_type=skill, retry_delay_seconds=60, status="Inactive"
    )
    assert (updated.retry_delay_seconds, updated.status) == (60, "Inactive")


# Grants.


def test_grant_regrant_and_revoke_with_a_reason_the_worker_sees():
    skill = QualificationTypeFactory()
    actor = requester_of(skill.owner)
    worker = workers(1)[0]

    first = qualification_grant(actor=actor, qualification_type=skill, worker=worker)
    assert (first.integer_value, first.status) == (1, QualificationStatus.GRANTED)

    revoked = qualification_revoke(
        actor=actor, qualification_type=skill, worker=worker, reason="Too many errors."
    )
    assert (revoked.status, revoked.revoke_reason) == ("Revoked", "Too many errors.")
    again = qualification_revoke(
        actor=actor, qualification_type=skill, worker=worker, reason="Another reason."
    )
    assert again.revoke_reason == "Too many errors."

    regranted = qualification_grant(
        actor=actor, qualification_type=skill, worker=worker, integer_value=85
    )
    assert (regranted.pk, regranted.integer_value, regranted.status) == (first.pk, 85, "Granted")
    assert regranted.revoke_reason == ""
    assert Qualification.objects.filter(worker=worker).count() == 1


def test_grants_are_refused_to_strangers_on_system_types_and_with_bad_values():
    skill = QualificationTypeFactory()
    actor = requester_of(skill.owner)
    worker = workers(1)[0]

    with pytest.raises(NotFound):
        qualification_grant(
            actor=requester_of(OrganizationFactory()), qualification_type=skill, worker=worker
        )
    with pytest.raises(PermissionDenied):
        qualification_grant(
            actor=actor,
            qualification_type=system_qualification_type(SystemQualification.ADULT),
            worker=worker,
        )
    for value in ("7", 2**31, True, 1.5):
        with pytest.raises(InvalidInput):
            qualification_grant(
                actor=actor, qualification_type=skill, worker=worker, integer_value=value
            )
    with pytest.raises(NotFound):
        qualification_revoke(actor=actor, qualification_type=skill, worker=worker, reason="x")
    QualificationFactory(qualification_type=skill, worker=worker)
    with pytest.raises(InvalidInput):
        qualification_revoke(actor=actor, qualification_type=skill, worker=worker, reason=" ")
    assert not Qualification.objects.filter(status="Revoked").exists()


def test_worker_locale_follows_the_profiles_country():
    from tests.marketplace.factories import UserFactory

    user = UserFactory()
    worker = worker_profile_create(actor=user, country="DE")
    locale = system_qualification_type(SystemQualification.LOCALE)

    held = Qualification.objects.get(worker=worker, qualification_type=locale)
    assert (held.locale_country, held.integer_value, held.status) == ("DE", None, "Granted")

    worker_profile_update(actor=user, country="FR")
    held.refresh_from_db()
    assert (held.locale_country, held.status) == ("FR", "Granted")

    worker_profile_update(actor=user, country="")
    held.refresh_from_db()
    assert held.status == "Revoked"
    assert held.revoke_reason


# A job's requirements.


def good(type_id: str) -> dict:
    return {"QualificationTypeId": type_id, "Comparator": "GreaterThan", "IntegerValues": [80]}


def test_requirements_are_stored_in_order_and_replaced_whole():
    job = LabelingJobFactory()
    actor = requester_of(job.organization)
    skill = QualificationTypeFactory(owner=job.organization)
    locale = system_qualification_type(SystemQualification.LOCALE)

    job_requirements_set(
        actor=actor,
        job=job,
        requirements=[
            good(skill.type_id),
            {
                "QualificationTypeId": locale.type_id,
                "Comparator": "In",
                "LocaleValues": [{"Country": "US", "Subdivision": "WA"}, {"Country": "CA"}],
                "ActionsGuarded": "DiscoverPreviewAndAccept",
            },
        ],
    )

    stored = list(QualificationRequirement.objects.filter(job=job))
    assert [(r.qualification_type, r.comparator, r.actions_guarded) for r in stored] == [
        (skill, "GreaterThan", "Accept"),
        (locale, "In", "DiscoverPreviewAndAccept"),
    ]
    assert [v.integer_value for v in stored[0].values.all()] == [80]
    assert sorted((v.country, v.subdivision) for v in stored[1].values.all()) == [
        ("CA", ""),
        ("US", "WA"),
    ]
    job_requirements_set(actor=actor, job=job, requirements=[])
    assert not QualificationRequirement.objects.filter(job=job).exists()


def req(type_id: str, comparator: str, **values) -> list[dict]:
    return [{"QualificationTypeId": type_id, "Comparator": comparator, **values}]


def bad_cases(skill, locale, others, inactive):
    us, ca = {"Country": "US"}, {"Country": "CA"}
    return [
        ([{**good(skill), "Comparator": "Between"}], "requirements[0].Comparator"),
        ([{**good(skill), "ActionsGuarded": "Everything"}], "requirements[0].ActionsGuarded"),
        ([{**good(skill), "Colour": "red"}], "requirements[0].Colour"),
        ([good("NOSUCHTYPE0000000000")], "requirements[0].QualificationTypeId"),
        ([good(others)], "requirements[0].QualificationTypeId"),
        ([good(inactive)], "requirements[0].QualificationTypeId"),
        ([{**good(skill), "IntegerValues": []}], "requirements[0].IntegerValues"),
        ([{**good(skill), "IntegerValues": [1, 2]}], "requirements[0].IntegerValues"),
        ([{**good(skill), "IntegerValues": ["80"]}], "requirements[0].IntegerValues"),
        ([{**good(skill), "IntegerValues": [2**31]}], "requirements[0].IntegerValues"),
        ([{**good(skill), "IntegerValues": "80"}], "requirements[0].IntegerValues"),
        (
            req(skill, "Exists", IntegerValues=[1]),
            "requirements[0].IntegerValues",
        ),
        (
            req(skill, "In", IntegerValues=list(range(16))),
            "requirements[0].IntegerValues",
        ),
        (
            req(skill, "In", LocaleValues=[us]),
            "requirements[0].LocaleValues",
        ),
        (
            req(locale, "EqualTo", IntegerValues=[1]),
            "requirements[0].IntegerValues",
        ),
        (
            req(locale, "LessThan", LocaleValues=[us]),
            "requirements[0].LocaleValues",
        ),
        (
            req(locale, "EqualTo", LocaleValues=[{"Country": "XX"}]),
            "requirements[0].LocaleValues",
        ),
        (
            req(locale, "EqualTo", LocaleValues=[{"Country": "us"}]),
            "requirements[0].LocaleValues",
        ),
        (
            req(locale, "EqualTo", LocaleValues=[{"Country": "US", "Subdivision": "Washington"}]),
            "requirements[0].LocaleValues",
        ),
        (
            req(locale, "EqualTo", LocaleValues=[us, ca]),
            "requirements[0].LocaleValues",
        ),
        (
            req(locale, "NotIn", LocaleValues=[us] * 31),
            "requirements[0].LocaleValues",
        ),
        ([good(skill), "not an object"], "requirements[1].QualificationTypeId"),
        ([good(skill)] * 11, "requirements"),
        ("not a list", "requirements"),
    ]  # fmt: skip


def test_every_bad_requirement_is_refused_by_name_and_nothing_changes():
    job = LabelingJobFactory()
    actor = requester_of(job.organization)
    skill = QualificationTypeFactory(owner=job.organization)
    job_requirements_set(actor=actor, job=job, requirements=[good(skill.type_id)])
    locale = system_qualification_type(SystemQualification.LOCALE).type_id
    others = QualificationTypeFactory().type_id
    inactive = QualificationTypeFactory(owner=job.organization, status="Inactive").type_id
    before = database_snapshot()

    for requirements, field in bad_cases(skill.type_id, locale, others, inactive):
        with pytest.raises(InvalidInput) as error:
            job_requirements_set(actor=actor, job=job, requirements=requirements)
        assert field in error.value.fields, (requirements, error.value.fields)

    assert database_snapshot() == before


def test_requirements_change_only_on_a_draft_of_ones_own_organization():
    job, actor = launched_job(objects=1)
    skill = QualificationTypeFactory(owner=job.organization)

    with pytest.raises(Conflict):
        job_requirements_set(actor=actor, job=job, requirements=[good(skill.type_id)])
    draft = LabelingJobFactory()
    with pytest.raises(NotFound):
        job_requirements_set(actor=actor, job=draft, requirements=[])
