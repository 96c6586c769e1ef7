"""System qualifications kept current: approval figures from reviewed work (by the beat
task, idempotently), Worker_Adult and Worker_Locale from the profile; requirements on
them gate work."""

import pytest

from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.review import assignment_approve, assignment_reject
from tests.jobs.lifecycle import launched_job
from tests.marketplace.factories import UserFactory
from workforce.models import Qualification, SystemQualification
from workforce.services import worker_profile_create, worker_profile_update
from workforce.tasks import system_qualifications_refresh

pytestmark = pytest.mark.django_db


def value(worker, kind: SystemQualification):
    held = Qualification.objects.filter(worker=worker, qualification_type__type_id=kind).first()
    return None if held is None else (held.integer_value, held.status)


def new_worker(**fields):
    return worker_profile_create(actor=UserFactory(), country="US", **fields)


def reviewed(job, actor, worker, *, approve: int, reject: int):
    for number in range(approve + reject):
        assignment = assignment_claim_next(worker=worker, job=job)
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
        if number < approve:
            assignment_approve(actor=actor, assignment=assignment)
        else:
            assignment_reject(actor=actor, assignment=assignment, feedback="Wrong label.")


def test_a_new_worker_starts_fully_approved_with_none_approved():
    worker = new_worker()

    assert value(worker, SystemQualification.PERCENT_ASSIGNMENTS_APPROVED) == (100, "Granted")
    assert value(worker, SystemQualification.NUMBER_HITS_APPROVED) == (0, "Granted")
    assert value(worker, SystemQualification.ADULT) == (0, "Granted")


def test_the_beat_task_recomputes_approval_figures_from_reviews_and_is_idempotent():
    job, actor = launched_job(objects=4, workers_per_object=1)
    worker, idle = new_worker(), new_worker()
    reviewed(job, actor, worker, approve=3, reject=1)

    assert system_qualifications_refresh() == 1
    assert system_qualifications_refresh() == 1

    assert value(worker, SystemQualification.PERCENT_ASSIGNMENTS_APPROVED) == (75, "Granted")
    assert value(worker, SystemQualification.NUMBER_HITS_APPROVED) == (3, "Granted")
    assert value(idle, SystemQualification.NUMBER_HITS_APPROVED) == (0, "Granted")
    assert Qualification.objects.filter(worker=worker).count() == 4  # locale, adult, two


def test_a_requirement_on_percent_approved_gates_work():
    from jobs.services.jobs import job_launch
    from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
    from tests.jobs.lifecycle import requester_of
    from workforce.qualifications import job_requirements_set

    practice, actor = launched_job(objects=4, workers_per_object=1)
    careless, careful = new_worker(), new_worker()
    reviewed(practice, actor, careless, approve=1, reject=1)
    system_qualifications_refresh()
    strict = LabelingJobFactory()
    DataObjectFactory.create_batch(2, job=strict)
    requester = requester_of(strict.organization)
    job_requirements_set(
        actor=requester,
        job=strict,
        requirements=[
            {
                "QualificationTypeId": SystemQualification.PERCENT_ASSIGNMENTS_APPROVED.value,
                "Comparator": "GreaterThanOrEqualTo",
                "IntegerValues": [95],
            }
        ],
    )
    job_launch(actor=requester, job=strict)

    assert assignment_claim_next(worker=careless, job=strict) is None
    assert assignment_claim_next(worker=careful, job=strict) is not None


def test_adult_follows_the_profile():
    worker = new_worker(is_adult=True)
    assert value(worker, SystemQualification.ADULT) == (1, "Granted")

    worker_profile_update(actor=worker.user, is_adult=False)

    assert value(worker, SystemQualification.ADULT) == (0, "Granted")
