"""The worker's find-work page with locked jobs (discoverable, not yet acceptable) and the
qualifications that open them, in a bounded number of queries; my assignments filtered by
status."""

import pytest
from django.urls import reverse

from jobs.models import AssignmentStatus
from jobs.services.dispatch import assignment_claim_next, assignment_return, assignment_submit
from jobs.services.jobs import job_launch
from jobs.services.review import assignment_approve, assignment_reject
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.lifecycle import launched_job, requester_of
from tests.jobs.test_pages_work import client_for, worker_client
from tests.snapshots import database_snapshot
from tests.workforce.factories import QualificationFactory, QualificationTypeFactory
from workforce.models import SystemQualification
from workforce.qualifications import job_requirements_set

pytestmark = pytest.mark.django_db

TEST = {
    "questions": [
        {
            "id": "q1",
            "text": "Bird?",
            "options": [{"id": "a", "text": "Yes"}, {"id": "b", "text": "No"}],
        }
    ]
}


def guarded_job(*, title: str, requirements: list[dict], organization=None, objects: int = 2):
    """A running job whose requirements (QualificationTypeId, Comparator, values,
    ActionsGuarded) are set through the service before launch."""
    job = LabelingJobFactory(
        title=title, **({"organization": organization} if organization else {})
    )
    DataObjectFactory.create_batch(objects, job=job)
    requester = requester_of(job.organization)
    job_requirements_set(actor=requester, job=job, requirements=requirements)
    return job_launch(actor=requester, job=job)


def at_least(qualification_type, value: int, guarded: str) -> dict:
    return {
        "QualificationTypeId": qualification_type.type_id,
        "Comparator": "GreaterThanOrEqualTo",
        "IntegerValues": [value],
        "ActionsGuarded": guarded,
    }


def card(content: str, job) -> str:
    return content.split(f'data-locked-job="{job.pk}"')[1].split("</section>")[0]


def test_locked_jobs_name_the_qualification_and_link_to_its_test():
    worker, client = worker_client()
    open_job, _requester = launched_job(objects=1, title="Open to all")
    birds = QualificationTypeFactory(name="Bird expert", test=TEST, test_duration_seconds=300)
    locked = guarded_job(
        title="Needs birds",
        organization=birds.owner,
        requirements=[at_least(birds, 80, "Accept")],
    )
    by_hand = QualificationTypeFactory(name="Hand picked")
    preview_locked = guarded_job(
        title="Needs hand picking",
        organization=by_hand.owner,
        requirements=[
            at_least(by_hand, 1, "PreviewAndAccept"),
            {
                "QualificationTypeId": SystemQualification.LOCALE,
                "Comparator": "In",
                "LocaleValues": [{"Country": "US"}, {"Country": "CA"}],
                "ActionsGuarded": "Accept",
            },
        ],
    )
    secret = QualificationTypeFactory(
        owner=birds.owner, name="Secret club", test=TEST, test_duration_seconds=300
    )
    hidden = guarded_job(
        title="Invisible job",
        organization=secret.owner,
        requirements=[at_least(secret, 1, "DiscoverPreviewAndAccept")],
    )
    before = client.get(reverse("work_list")).content.decode()
    assert "Invisible job" not in before
    assert "Secret club" not in before
    # A job whose hidden requirement the worker meets, but whose Accept one they do not:
    # locked, naming only the Accept requirement, never the one guarding discovery.
    QualificationFactory(worker=worker, qualification_type=secret)
    both = guarded_job(
        title="Members who know birds",
        organization=secret.owner,
        requirements=[
            at_least(secret, 1, "DiscoverPreviewAndAccept"),
            at_least(birds, 50, "Accept"),
        ],
    )
    other = QualificationTypeFactory(name="Unmet secret")
    other_test = QualificationTypeFactory(
        owner=other.owner, name="Other test", test=TEST, test_duration_seconds=300
    )
    never = guarded_job(
        title="Never seen",
        organization=other.owner,
        requirements=[
            at_least(other, 1, "DiscoverPreviewAndAccept"),
            at_least(other_test, 1, "Accept"),
        ],
    )

    response = client.get(reverse("work_list"))

    content = response.content.decode()
    assert response.status_code == 200
    available = content.split('id="locked-work"')[0]
    assert "Open to all" in available
    assert reverse("work_next", args=[open_job.pk]) in available
    for job in (locked, preview_locked, both, never):
        assert reverse("work_next", args=[job.pk]) not in content
    needs_birds = card(content, locked)
    assert "Needs birds" in needs_birds
    assert "Bird expert of at least 80" in needs_birds
    test_link = reverse("worker_qualification_test", args=[birds.type_id])
    assert f'<a href="{test_link}">Take the test</a>' in needs_birds
    hand = card(content, preview_locked)
    assert "Hand picked of at least 1" in hand
    assert "Worker_Locale one of US, CA" in hand
    assert "<a href" not in hand  # neither can be requested
    both_card = card(content, both)
    assert "Bird expert of at least 50" in both_card
    assert "Secret club" not in content
    assert "Unmet secret" not in content
    assert "Other test" not in content
    # The hidden requirement met, that job is plain available work; the other stays unseen.
    assert reverse("work_next", args=[hidden.pk]) in available
    assert never.title not in content
    assert f'data-locked-job="{never.pk}"' not in content


def test_a_locked_job_needing_an_auto_granted_type_links_to_the_qualifications_page():
    _worker, client = worker_client()
    newsletter = QualificationTypeFactory(name="Newsletter reader", auto_granted=True)
    job = guarded_job(
        title="For readers",
        organization=newsletter.owner,
        requirements=[
            {
                "QualificationTypeId": newsletter.type_id,
                "Comparator": "Exists",
                "ActionsGuarded": "Accept",
            }
        ],
    )

    locked = card(client.get(reverse("work_list")).content.decode(), job)

    assert "Newsletter reader held" in locked
    assert f'<a href="{reverse("worker_qualifications")}">Request it</a>' in locked


def test_passing_the_requirement_moves_the_job_from_locked_to_available():
    worker, client = worker_client()
    birds = QualificationTypeFactory(name="Bird expert", test=TEST, test_duration_seconds=300)
    job = guarded_job(
        title="Needs birds", organization=birds.owner, requirements=[at_least(birds, 80, "Accept")]
    )
    assert f'data-locked-job="{job.pk}"' in client.get(reverse("work_list")).content.decode()

    QualificationFactory(worker=worker, qualification_type=birds, integer_value=80)

    content = client.get(reverse("work_list")).content.decode()
    assert 'id="locked-work"' not in content
    assert reverse("work_next", args=[job.pk]) in content


@pytest.mark.parametrize("jobs", [1, 8])
def test_find_work_with_locked_jobs_takes_a_fixed_number_of_queries(
    jobs, django_assert_num_queries
):
    _worker, client = worker_client()
    birds = QualificationTypeFactory(name="Bird expert", test=TEST, test_duration_seconds=300)
    for number in range(jobs):
        launched_job(objects=1, title=f"Open {number}")
        guarded_job(
            title=f"Locked {number}",
            organization=birds.owner,
            requirements=[at_least(birds, 80, "Accept"), at_least(birds, 1, "PreviewAndAccept")],
            objects=1,
        )
    # Session, user; available jobs (count and page); locked jobs, their requirements and
    # the requirements' values; the tasks in hand.
    with django_assert_num_queries(8):
        response = client.get(reverse("work_list"))
    content = response.content.decode()
    assert content.count("data-hits-available") == jobs
    assert content.count("data-locked-job=") == jobs


# My assignments, filtered.


def history_world():
    job, requester = launched_job(objects=6, workers_per_object=1)
    worker, client = worker_client()
    by_status = {}
    for status in ("Approved", "Rejected", "Submitted", "Returned", "Accepted"):
        assignment = assignment_claim_next(worker=worker, job=job)
        if status != "Accepted" and status != "Returned":
            assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
        if status == "Approved":
            assignment_approve(actor=requester, assignment=assignment, feedback="Nice work.")
        elif status == "Rejected":
            assignment_reject(actor=requester, assignment=assignment, feedback="That is a dog.")
        elif status == "Returned":
            assignment_return(worker=worker, assignment=assignment)
        by_status[status] = assignment
    return client, by_status


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("", {"Approved", "Rejected", "Submitted", "Returned", "Accepted"}),
        (AssignmentStatus.APPROVED, {"Approved"}),
        (AssignmentStatus.REJECTED, {"Rejected"}),
        (AssignmentStatus.SUBMITTED, {"Submitted"}),
        (AssignmentStatus.ACCEPTED, {"Accepted"}),
        (AssignmentStatus.RETURNED, {"Returned"}),
        (AssignmentStatus.ABANDONED, set()),
    ],
)
def test_my_assignments_filter_by_status_and_keep_the_feedback(status, shown):
    client, by_status = history_world()

    response = client.get(reverse("work_assignments"), {"status": status} if status else {})

    content = response.content.decode()
    assert response.status_code == 200
    for name, assignment in by_status.items():
        assert (assignment.assignment_id in content) == (name in shown), name
    assert ("That is a dog." in content) == ("Rejected" in shown)
    assert ("Nice work." in content) == ("Approved" in shown)
    if status:
        assert f'href="?status={status}" aria-current="page"' in content


def test_an_unknown_status_filter_is_a_400():
    client, _by_status = history_world()
    before = database_snapshot()

    response = client.get(reverse("work_assignments"), {"status": "Paid"})

    assert response.status_code == 400
    assert "Choose a status from the list." in response.content.decode()
    assert database_snapshot() == before


def test_my_assignments_with_a_filter_take_a_fixed_number_of_queries(
    django_assert_num_queries,
):
    worker, client = worker_client()
    for _ in range(5):
        job, _requester = launched_job(objects=1)
        assignment = assignment_claim_next(worker=worker, job=job)
        assignment_submit(worker=worker, assignment=assignment, answer={"label": "cat"})
    with django_assert_num_queries(4):
        response = client.get(reverse("work_assignments"), {"status": "Submitted"})
    assert response.content.decode().count("<tr>") == 6


def test_a_worker_has_the_worker_navigation(user):
    _worker, client = worker_client()
    nav = client.get(reverse("work_list")).content.decode().split("</nav>")[0]
    for text in ("Find work", "My assignments", "Qualifications", "Earnings", "Profile"):
        assert f">{text}</a>" in nav
    other = client_for(user).get(reverse("work_list")).content.decode().split("</nav>")[0]
    assert ">Become a worker</a>" in other
    assert ">Earnings</a>" not in other
