"""Qualification requirements in the one eligibility function: every comparator, integer
and locale values, revoked grants, ActionsGuarded at discovery, preview and accept, on
both the queryset path and dispatch's one-statement claim."""

import pytest

from jobs.selectors import work_job_list
from jobs.services import dispatch
from jobs.services.dispatch import assignment_claim_next
from jobs.services.jobs import job_launch
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.lifecycle import requester_of, workers
from tests.workforce.factories import QualificationFactory, QualificationTypeFactory
from workforce.eligibility import Action, jobs_open_to_worker
from workforce.models import QualificationStatus, SystemQualification
from workforce.qualifications import job_requirements_set, system_qualification_type

pytestmark = pytest.mark.django_db


def job_requiring(*requirements: dict, organization=None):
    """A launched public job (2 objects) with `requirements` set while it was a draft."""
    job = LabelingJobFactory(**({"organization": organization} if organization else {}))
    DataObjectFactory.create_batch(2, job=job)
    actor = requester_of(job.organization)
    job_requirements_set(actor=actor, job=job, requirements=list(requirements))
    return job_launch(actor=actor, job=job)


def may(worker, job, action=Action.ACCEPT) -> bool:
    return jobs_open_to_worker(worker=worker, action=action).filter(pk=job.pk).exists()


def claims(worker, job, monkeypatch=None) -> bool:
    """Whether dispatch's claim gives the worker a task of `job` (PostgreSQL's statement)."""
    return assignment_claim_next(worker=worker, job=job) is not None


ABSENT = object()
REVOKED = object()

INTEGER_CASES = [
    ("LessThan", [5], 4, True),
    ("LessThan", [5], 5, False),
    ("LessThan", [5], ABSENT, False),
    ("LessThanOrEqualTo", [5], 5, True),
    ("LessThanOrEqualTo", [5], 6, False),
    ("GreaterThan", [5], 6, True),
    ("GreaterThan", [5], 5, False),
    ("GreaterThanOrEqualTo", [5], 5, True),
    ("GreaterThanOrEqualTo", [5], 4, False),
    ("GreaterThanOrEqualTo", [5], REVOKED, False),
    ("EqualTo", [5], 5, True),
    ("EqualTo", [5], 4, False),
    ("EqualTo", [5], ABSENT, False),
    ("NotEqualTo", [5], 4, True),
    ("NotEqualTo", [5], 5, False),
    ("NotEqualTo", [5], ABSENT, False),
    ("Exists", [], 0, True),
    ("Exists", [], ABSENT, False),
    ("Exists", [], REVOKED, False),
    ("DoesNotExist", [], ABSENT, True),
    ("DoesNotExist", [], REVOKED, True),
    ("DoesNotExist", [], 3, False),
    ("In", [1, 3, 5], 3, True),
    ("In", [1, 3, 5], 2, False),
    ("In", [1, 3, 5], ABSENT, False),
    ("NotIn", [1, 3, 5], 2, True),
    ("NotIn", [1, 3, 5], 3, False),
    ("NotIn", [1, 3, 5], ABSENT, False),
]


@pytest.mark.parametrize(("comparator", "values", "held", "eligible"), INTEGER_CASES)
def test_integer_comparators(comparator, values, held, eligible):
    job_for_type = LabelingJobFactory()
    skill = QualificationTypeFactory(owner=job_for_type.organization)
    worker = workers(1)[0]
    if held is REVOKED:
        QualificationFactory(
            qualification_type=skill, worker=worker, integer_value=7,
            status=QualificationStatus.REVOKED, revoke_reason="Retired.",
        )  # fmt: skip
    elif held is not ABSENT:
        QualificationFactory(qualification_type=skill, worker=worker, integer_value=held)
    job = job_requiring(
        {"QualificationTypeId": skill.type_id, "Comparator": comparator, "IntegerValues": values},
        organization=job_for_type.organization,
    )

    assert may(worker, job) is eligible
    assert claims(worker, job) is eligible


LOCALE_CASES = [
    ("EqualTo", [{"Country": "US"}], ("US", "WA"), True),
    ("EqualTo", [{"Country": "US"}], ("CA", ""), False),
    ("EqualTo", [{"Country": "US", "Subdivision": "WA"}], ("US", "WA"), True),
    ("EqualTo", [{"Country": "US", "Subdivision": "WA"}], ("US", "OR"), False),
    ("EqualTo", [{"Country": "US", "Subdivision": "WA"}], ("US", ""), False),
    ("NotEqualTo", [{"Country": "US", "Subdivision": "NY"}], ("US", "WA"), True),
    ("NotEqualTo", [{"Country": "US", "Subdivision": "NY"}], ("US", "NY"), False),
    ("In", [{"Country": "US"}, {"Country": "CA"}], ("CA", ""), True),
    ("In", [{"Country": "US"}, {"Country": "CA"}], ("DE", ""), False),
    ("NotIn", [{"Country": "US"}, {"Country": "CA"}], ("DE", ""), True),
    ("NotIn", [{"Country": "US"}, {"Country": "CA"}], ("US", "WA"), False),
    ("NotIn", [{"Country": "US"}], None, False),
]


@pytest.mark.parametrize(("comparator", "values", "held", "eligible"), LOCALE_CASES)
def test_locale_comparators(comparator, values, held, eligible):
    locale = system_qualification_type(SystemQualification.LOCALE)
    worker = workers(1)[0]
    if held is not None:
        QualificationFactory(
            qualification_type=locale, worker=worker, integer_value=None,
            locale_country=held[0], locale_subdivision=held[1],
        )  # fmt: skip
    job = job_requiring(
        {"QualificationTypeId": locale.type_id, "Comparator": comparator, "LocaleValues": values}
    )

    assert may(worker, job) is eligible
    assert claims(worker, job) is eligible


def test_every_requirement_must_be_met():
    organization = LabelingJobFactory().organization
    first, second = QualificationTypeFactory.create_batch(2, owner=organization)
    both, only_first = workers(2)
    for worker in (both, only_first):
        QualificationFactory(qualification_type=first, worker=worker, integer_value=90)
    QualificationFactory(qualification_type=second, worker=both, integer_value=1)
    job = job_requiring(
        {"QualificationTypeId": first.type_id, "Comparator": "GreaterThan", "IntegerValues": [80]},
        {"QualificationTypeId": second.type_id, "Comparator": "Exists"},
        organization=organization,
    )

    assert (may(both, job), may(only_first, job)) == (True, False)
    assert (claims(both, job), claims(only_first, job)) == (True, False)


def test_a_job_without_requirements_is_open_to_everyone_and_others_jobs_do_not_matter():
    strict = job_requiring({
        "QualificationTypeId": system_qualification_type(SystemQualification.ADULT).type_id,
        "Comparator": "EqualTo", "IntegerValues": [1],
    })  # fmt: skip
    open_job = job_requiring()
    worker = workers(1)[0]

    assert list(jobs_open_to_worker(worker=worker)) == [open_job]
    assert not claims(worker, strict)
    assert claims(worker, open_job)


@pytest.mark.parametrize(
    ("guarded", "discover", "preview", "accept"),
    [
        ("Accept", True, True, False),
        ("PreviewAndAccept", True, False, False),
        ("DiscoverPreviewAndAccept", False, False, False),
    ],
)
def test_actions_guarded_decides_what_an_unqualified_worker_may_do(
    guarded, discover, preview, accept
):
    organization = LabelingJobFactory().organization
    skill = QualificationTypeFactory(owner=organization)
    qualified, unqualified = workers(2)
    QualificationFactory(qualification_type=skill, worker=qualified)
    job = job_requiring(
        {"QualificationTypeId": skill.type_id, "Comparator": "Exists", "ActionsGuarded": guarded},
        organization=organization,
    )

    assert [may(unqualified, job, action) for action in Action] == [discover, preview, accept]
    assert (job in work_job_list(worker=unqualified)) is discover
    assert claims(unqualified, job) is accept
    assert [may(qualified, job, action) for action in Action] == [True, True, True]
    assert job in work_job_list(worker=qualified)
    assert claims(qualified, job)


def test_the_queryset_path_refuses_an_unqualified_claim_too(monkeypatch):
    """Without the one statement (SQLite's path), the same rules hold."""
    monkeypatch.setattr(dispatch, "_claim_in_one_statement", lambda **_kwargs: None)
    organization = LabelingJobFactory().organization
    skill = QualificationTypeFactory(owner=organization)
    qualified, unqualified = workers(2)
    QualificationFactory(qualification_type=skill, worker=qualified, integer_value=3)
    job = job_requiring(
        {"QualificationTypeId": skill.type_id, "Comparator": "In", "IntegerValues": [2, 3]},
        organization=organization,
    )

    assert not claims(unqualified, job)
    assert claims(qualified, job)


def test_a_hit_of_a_guarded_job_cannot_be_accepted_by_id():
    from jobs.selectors import hit_access_for_worker
    from marketplace.exceptions import NotFound

    organization = LabelingJobFactory().organization
    skill = QualificationTypeFactory(owner=organization)
    worker = workers(1)[0]
    job = job_requiring(
        {"QualificationTypeId": skill.type_id, "Comparator": "Exists"}, organization=organization
    )
    hit = job.hits.first()

    with pytest.raises(NotFound):
        hit_access_for_worker(worker=worker, hit_id=hit.hit_id)
    QualificationFactory(qualification_type=skill, worker=worker)
    assert hit_access_for_worker(worker=worker, hit_id=hit.hit_id) == hit


@pytest.mark.parametrize(
    ("guarded", "listed", "previewed", "claimed"),
    [
        ("Accept", True, 200, 204),
        ("PreviewAndAccept", True, 404, 204),
        ("DiscoverPreviewAndAccept", False, 404, 204),
    ],
)
def test_the_worker_api_enforces_each_guard(guarded, listed, previewed, claimed):
    from tests.marketplace.api_support import session_client

    organization = LabelingJobFactory().organization
    skill = QualificationTypeFactory(owner=organization)
    worker = workers(1)[0]
    job = job_requiring(
        {"QualificationTypeId": skill.type_id, "Comparator": "Exists", "ActionsGuarded": guarded},
        organization=organization,
    )
    client = session_client(worker.user)

    jobs = client.get("/api/v1/work/jobs/").json()["results"]
    preview = client.get(f"/api/v1/work/jobs/{job.pk}/")
    claim = client.post("/api/v1/work/next/", {"job_id": job.pk}, format="json")
    accept = client.post(f"/api/v1/work/hits/{job.hits.first().hit_id}/accept/")

    assert ([body["id"] for body in jobs] == [job.pk]) is listed
    assert preview.status_code == previewed
    assert claim.status_code == claimed
    assert accept.status_code == 404
    QualificationFactory(qualification_type=skill, worker=worker)
    assert client.get(f"/api/v1/work/jobs/{job.pk}/").status_code == 200
    assert client.post("/api/v1/work/next/", {"job_id": job.pk}, format="json").status_code == 201
