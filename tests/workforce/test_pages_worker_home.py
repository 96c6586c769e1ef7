"""The worker home's pages: the profile (skills, locale, adult) with the worker's standing,
the qualifications page with its states, taking a test in the page (start, answer, result),
and what is refused: bad input, timeouts, retry rules, other workers' requests, non-workers.
The answer key never reaches a page."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from marketplace.models import User
from tests.marketplace.api_support import make_world
from tests.marketplace.factories import UserFactory
from tests.snapshots import database_snapshot
from tests.workforce.factories import (
    QualificationFactory,
    QualificationTypeFactory,
    WorkerProfileFactory,
)
from workforce.models import (
    Qualification,
    QualificationRequest,
    QualificationStatus,
    SystemQualification,
    WorkerProfile,
)
from workforce.qualification_requests import qualification_request_start
from workforce.services import worker_suspend

pytestmark = pytest.mark.django_db

TEST = {
    "questions": [
        {
            "id": "q1",
            "text": "Which is a bird?",
            "options": [{"id": "a", "text": "Robin"}, {"id": "b", "text": "Trout"}],
        },
        {
            "id": "q2",
            "text": "Which can fly?",
            "options": [{"id": "a", "text": "Penguin"}, {"id": "b", "text": "Swallow"}],
        },
    ]
}
# Scores no page may show: distinctive numbers make a leak easy to spot.
KEY = {"q1": {"a": 31337, "b": 0}, "q2": {"a": 0, "b": 27182}}
PASSED = 31337 + 27182
RIGHT = {"answer-q1": "a", "answer-q2": "b"}
WRONG = {"answer-q1": "b", "answer-q2": "a"}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def snapshot() -> dict:
    return database_snapshot()


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def worker():
    return WorkerProfileFactory()


@pytest.fixture
def client(worker):
    return client_for(worker.user)


def birds(world, **fields) -> object:
    return QualificationTypeFactory(
        owner=world.organization,
        name=fields.pop("name", "Birds"),
        description="Tell birds from fish.",
        test=TEST,
        answer_key=fields.pop("answer_key", KEY),
        test_duration_seconds=fields.pop("test_duration_seconds", 600),
        **fields,
    )


def take_url(qualification_type) -> str:
    return reverse("worker_qualification_test", args=[qualification_type.type_id])


def start_url(qualification_type) -> str:
    return reverse("worker_qualification_start", args=[qualification_type.type_id])


def result_url(qualification_request) -> str:
    return reverse("worker_qualification_request", args=[qualification_request.request_id])


def assert_no_answer_key(content: str) -> None:
    for leak in ("answer_key", "AnswerKey", "31337", "27182"):
        assert leak not in content


# Profile.


def test_become_a_worker_then_edit_skills_locale_and_adult():
    user = UserFactory(email="olive@example.com")
    client = client_for(user)

    response = client.post(
        reverse("worker_profile"),
        {
            "display_name": "Olive",
            "country": "DE",
            "languages": "de, en",
            "skills": "bounding boxes,  Medical   imaging , bounding boxes",
            "is_adult": "on",
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("worker_profile")
    profile = WorkerProfile.objects.get(user=user)
    assert (
        profile.display_name,
        profile.country,
        profile.languages,
        profile.skills,
        profile.is_adult,
    ) == ("Olive", "DE", ["de", "en"], ["bounding boxes", "Medical imaging"], True)
    page = client.get(reverse("worker_profile")).content.decode()
    assert profile.worker_id in page
    assert "You are now a worker." in page
    assert 'value="bounding boxes, Medical imaging"' in page
    assert '<option value="DE" selected>DE</option>' in page

    client.post(reverse("worker_profile"), {"display_name": "Olive B", "country": ""})

    edited = WorkerProfile.objects.get(user=user)
    assert (edited.worker_id, edited.display_name, edited.country, edited.skills) == (
        profile.worker_id,
        "Olive B",
        "",
        [],
    )
    assert not edited.is_adult
    adult = Qualification.objects.get(
        worker=edited, qualification_type__type_id=SystemQualification.ADULT
    )
    assert adult.integer_value == 0
    locale = Qualification.objects.get(
        worker=edited, qualification_type__type_id=SystemQualification.LOCALE
    )
    assert (locale.status, locale.revoke_reason) == ("Revoked", "Your profile names no country.")


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"country": "Germany"},
            {"country": ["Select a valid choice. Germany is not one of the available choices."]},
        ),
        (
            {"country": "XX"},
            {"country": ["Select a valid choice. XX is not one of the available choices."]},
        ),
        (
            {"languages": ",".join(["en"] + [f"x{chr(97 + n)}" for n in range(20)])},
            {"languages": ["List at most 20 languages."]},
        ),
        (
            {"display_name": "n" * 101},
            {"display_name": ["Ensure this value has at most 100 characters (it has 101)."]},
        ),
        (
            {"skills": "ok, " + "s" * 51},
            {"skills": ["“ssssssssssssssssssss…” is longer than 50 characters."]},
        ),
        (
            {"skills": ", ".join(f"skill {n}" for n in range(21))},
            {"skills": ["List at most 20 skills."]},
        ),
    ],
)
def test_bad_profile_input_is_refused_and_changes_nothing(worker, client, data, errors):
    before = snapshot()

    response = client.post(reverse("worker_profile"), data)

    assert response.status_code == 400
    assert response.context["form"].errors == errors
    assert snapshot() == before


def test_an_unverified_user_cannot_become_a_worker():
    client = client_for(UserFactory(verified=False))
    before = snapshot()

    response = client.post(reverse("worker_profile"), {"display_name": "Sneaky"})

    assert response.status_code == 403
    assert "Verify your email address before doing this." in response.content.decode()
    assert snapshot() == before


def test_the_profile_shows_standing_qualifications_and_revoked_ones_with_the_reason(world):
    user = UserFactory()
    client = client_for(user)
    client.post(reverse("worker_profile"), {"country": "PT", "is_adult": "on"})
    worker = WorkerProfile.objects.get(user=user)
    held = QualificationFactory(
        worker=worker,
        qualification_type=birds(world, name="Bird expert"),
        integer_value=85,
    )
    QualificationFactory(
        worker=worker,
        qualification_type=QualificationTypeFactory(owner=world.organization, name="Fish"),
        status=QualificationStatus.REVOKED,
        revoke_reason="Too many wrong fish.",
    )

    page = client.get(reverse("worker_profile")).content.decode()

    for text in (
        "Worker_PercentAssignmentsApproved",
        "100%",  # no reviewed work yet counts as fully approved
        "Worker_NumberHITsApproved",
        "Worker_Locale",
        ">PT<",
        "Worker_Adult",
        ">Yes<",
        "Bird expert",
        world.organization.name,
        ">85<",
        "Fish",
        "Revoked",
        "Too many wrong fish.",
    ):
        assert text in page, text
    assert "suspended" not in page
    assert_no_answer_key(page.replace(str(held.pk), ""))


def test_a_suspended_worker_sees_the_notice_and_the_reason(worker, client, staff):
    worker_suspend(actor=staff, worker=worker, reason="Copying answers between accounts.")

    page = client.get(reverse("worker_profile")).content.decode()

    assert "Your account is suspended" in page
    assert "Copying answers between accounts." in page


def test_worker_home_pages_need_a_login():
    for url in (
        reverse("worker_profile"),
        reverse("worker_qualifications"),
        reverse("worker_earnings"),
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_a_non_worker_is_sent_to_become_a_worker(world):
    qualification_type = birds(world)
    client = client_for(UserFactory())
    before = snapshot()

    for method, url in (
        ("get", reverse("worker_qualifications")),
        ("get", take_url(qualification_type)),
        ("post", take_url(qualification_type)),
        ("post", start_url(qualification_type)),
        ("get", reverse("worker_qualification_request", args=["X" * 30])),
        ("get", reverse("worker_earnings")),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url == reverse("worker_profile")
    assert snapshot() == before
    page = client.get(reverse("worker_profile")).content.decode()
    assert "Become a worker first." in page
    assert "Become a worker</button>" in page


# The qualifications page.


def test_the_qualifications_page_explains_each_state(world, worker, client):
    auto = QualificationTypeFactory(
        owner=world.organization, name="Newsletter", auto_granted=True, auto_granted_value=3
    )
    fresh = birds(world, name="Fresh test", test_duration_seconds=900)
    qualified = birds(world, name="Already mine")
    QualificationFactory(worker=worker, qualification_type=qualified, integer_value=70)
    one_try = birds(world, name="One try")
    QualificationRequest.objects.create(
        qualification_type=one_try,
        worker=worker,
        status="Rejected",
        reason="Not enough birds.",
        started_at=timezone.now(),
        submitted_at=timezone.now(),
        score=10,
    )
    later = birds(world, name="Try later", retry_delay_seconds=3600)
    QualificationRequest.objects.create(
        qualification_type=later,
        worker=worker,
        status="Rejected",
        started_at=timezone.now(),
        submitted_at=timezone.now(),
    )
    open_test = birds(world, name="Half done")
    qualification_request_start(worker=worker, qualification_type=open_test)
    reviewed = birds(world, name="Hand reviewed", answer_key=None)
    QualificationRequest.objects.create(
        qualification_type=reviewed,
        worker=worker,
        status="Pending",
        started_at=timezone.now(),
        submitted_at=timezone.now(),
        answers={"q1": "a", "q2": "b"},
    )
    QualificationTypeFactory(owner=world.organization, name="Not requestable")
    birds(world, name="Switched off", status="Inactive")

    response = client.get(reverse("worker_qualifications"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Not requestable" not in page
    assert "Switched off" not in page
    items = {
        qualification_type.type_id: page.split(f'data-type-id="{qualification_type.type_id}"')[
            1
        ].split("</li>")[0]
        for qualification_type in (auto, fresh, qualified, one_try, later, open_test, reviewed)
    }
    assert "Granted at once" in items[auto.type_id]
    assert ">Request</button>" in items[auto.type_id]
    assert "A test of 15 minutes, one attempt only." in items[fresh.type_id]
    assert ">Take the test</button>" in items[fresh.type_id]
    assert "You have this qualification (value 70)." in items[qualified.type_id]
    assert "it allows one attempt" in items[one_try.type_id]
    assert "You can try again after" in items[later.type_id]
    assert "Continue the test" in items[open_test.type_id]
    assert "Waiting for review" in items[reviewed.type_id]
    for state in (qualified, one_try, later, reviewed):
        assert "<button" not in items[state.type_id]
    # The worker's requests with status, score and the reason of a rejection.
    requests = page.split('id="requests"')[1]
    assert "One try" in requests
    assert "Not enough birds." in requests
    assert ">10<" in requests
    assert "Taking the test" in requests
    assert_no_answer_key(page)


def test_the_qualifications_page_queries_do_not_grow(
    world, worker, client, django_assert_num_queries
):
    def count_queries(types: int) -> None:
        for number in range(types):
            qualification_type = birds(world, name=f"Type {types}-{number}")
            QualificationRequest.objects.create(
                qualification_type=qualification_type,
                worker=worker,
                status="Rejected",
                started_at=timezone.now(),
                submitted_at=timezone.now(),
            )
        # Session and user, the types (count and page), their grants and requests, and
        # the worker's recent requests.
        with django_assert_num_queries(7):
            response = client.get(reverse("worker_qualifications"))
        assert response.status_code == 200

    count_queries(1)
    count_queries(12)


def test_requesting_an_auto_granted_type_grants_it_at_once(world, worker, client):
    auto = QualificationTypeFactory(
        owner=world.organization, name="Newsletter", auto_granted=True, auto_granted_value=3
    )

    response = client.post(start_url(auto), follow=True)

    assert response.redirect_chain == [(reverse("worker_qualifications"), 302)]
    assert "You now have the qualification “Newsletter”." in response.content.decode()
    granted = Qualification.objects.get(worker=worker, qualification_type=auto)
    assert (granted.status, granted.integer_value) == ("Granted", 3)


# Taking a test.


def test_a_worker_takes_a_test_passes_and_sees_the_score(world, worker, client):
    qualification_type = birds(world)

    intro = client.get(take_url(qualification_type))
    assert intro.status_code == 200
    assert "Start the test" in intro.content.decode()
    assert "10 minutes" in intro.content.decode()
    assert not QualificationRequest.objects.exists()  # a GET starts nothing

    started = client.post(start_url(qualification_type))
    assert started.status_code == 302
    assert started.url == take_url(qualification_type)
    attempt = QualificationRequest.objects.get(worker=worker)
    assert attempt.status == "InProgress"

    page = client.get(take_url(qualification_type))
    content = page.content.decode()
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    for text in ("Which is a bird?", "Robin", "Trout", "Which can fly?", "Swallow"):
        assert text in content
    assert 'type="radio" name="answer-q1" value="a"' in content
    assert "data-deadline-ms=" in content
    assert "js/qualification_test.js" in content
    assert_no_answer_key(content)

    response = client.post(take_url(qualification_type), RIGHT)

    attempt.refresh_from_db()
    assert response.status_code == 302
    assert response.url == result_url(attempt)
    assert (attempt.status, attempt.score, attempt.answers) == (
        "Granted",
        PASSED,
        {"q1": "a", "q2": "b"},
    )
    granted = Qualification.objects.get(worker=worker, qualification_type=qualification_type)
    assert granted.integer_value == PASSED
    result = client.get(result_url(attempt)).content.decode()
    assert "Qualified." in result
    assert f"<strong data-score>{PASSED}</strong>" in result
    assert_no_answer_key(result)
    # Going back to the test now says there is nothing to take.
    again = client.get(take_url(qualification_type)).content.decode()
    assert "You already have this qualification." in again


def test_without_an_answer_key_the_result_is_waiting_for_review(world, worker, client):
    qualification_type = birds(world, answer_key=None)
    client.post(start_url(qualification_type))

    response = client.post(take_url(qualification_type), WRONG, follow=True)

    attempt = QualificationRequest.objects.get(worker=worker)
    assert attempt.status == "Pending"
    assert "Waiting for review." in response.content.decode()
    assert not Qualification.objects.filter(qualification_type=qualification_type).exists()


def test_a_rejected_request_shows_the_reason(world, worker, client):
    qualification_type = birds(world, answer_key=None)
    rejected = QualificationRequest.objects.create(
        qualification_type=qualification_type,
        worker=worker,
        status="Rejected",
        reason="Answers copied from the web.",
        started_at=timezone.now(),
        submitted_at=timezone.now(),
    )

    page = client.get(result_url(rejected)).content.decode()

    assert "Not granted." in page
    assert "Answers copied from the web." in page


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"answer-q1": "a"}, "Answer this question."),
        ({}, "Answer this question."),
        ({"answer-q1": "a", "answer-q2": "z"}, "Choose one of the options."),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(world, worker, client, answers, message):
    qualification_type = birds(world)
    client.post(start_url(qualification_type))
    before = snapshot()

    response = client.post(take_url(qualification_type), answers)

    assert response.status_code == 400
    content = response.content.decode()
    assert message in content
    assert "Which is a bird?" in content  # the test is shown again to be finished
    assert_no_answer_key(content)
    assert snapshot() == before


def test_answers_after_the_deadline_are_not_scored(world, worker, client):
    qualification_type = birds(world)
    client.post(start_url(qualification_type))
    attempt = QualificationRequest.objects.get(worker=worker)
    attempt.started_at = timezone.now() - timedelta(seconds=601)
    attempt.save(update_fields=["started_at"])

    late_page = client.get(take_url(qualification_type)).content.decode()
    assert "Time is up: answers sent now are not scored." in late_page
    response = client.post(take_url(qualification_type), RIGHT)

    assert response.status_code == 409
    assert "The test&#x27;s time ran out." in response.content.decode()
    attempt.refresh_from_db()
    # The attempt is over (the retry rules apply from here) and nothing was granted.
    assert (attempt.status, attempt.score, attempt.reason) == (
        "Rejected",
        None,
        "The test's time ran out.",
    )
    assert not Qualification.objects.filter(qualification_type=qualification_type).exists()


def test_a_retry_too_soon_is_refused_and_changes_nothing(world, worker, client):
    qualification_type = birds(world, retry_delay_seconds=3600)
    client.post(start_url(qualification_type))
    client.post(take_url(qualification_type), WRONG)  # scored 0: granted with value 0
    Qualification.objects.filter(worker=worker).delete()  # as if revoked and removed
    before = snapshot()

    response = client.post(start_url(qualification_type))

    assert response.status_code == 409
    assert "You can try again after" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("qualified", "You already have this qualification."),
        ("open", "You already have a request for this."),
        ("one_attempt", "This qualification allows one attempt only."),
    ],
)
def test_a_refused_request_is_a_409_page_and_changes_nothing(world, worker, client, setup, message):
    qualification_type = birds(world)
    if setup == "qualified":
        QualificationFactory(worker=worker, qualification_type=qualification_type)
    elif setup == "open":
        qualification_request_start(worker=worker, qualification_type=qualification_type)
    else:
        QualificationRequest.objects.create(
            qualification_type=qualification_type,
            worker=worker,
            status="Rejected",
            started_at=timezone.now(),
            submitted_at=timezone.now(),
        )
    before = snapshot()

    response = client.post(start_url(qualification_type))

    assert response.status_code == 409
    assert message in response.content.decode()
    assert snapshot() == before


def test_submitting_without_a_test_in_progress_is_refused(world, worker, client):
    qualification_type = birds(world)
    before = snapshot()

    response = client.post(take_url(qualification_type), RIGHT)

    assert response.status_code == 409
    assert "You have no test in progress" in response.content.decode()
    assert snapshot() == before


def test_types_that_cannot_be_requested_are_not_found(world, worker, client):
    hidden = [
        QualificationTypeFactory(owner=world.organization, name="Granted by hand only"),
        birds(world, name="Inactive", status="Inactive"),
    ]
    auto = QualificationTypeFactory(owner=world.organization, name="Auto", auto_granted=True)
    before = snapshot()

    for qualification_type in hidden:
        assert client.get(take_url(qualification_type)).status_code == 404
        assert client.post(start_url(qualification_type)).status_code == 404
        assert client.post(take_url(qualification_type), RIGHT).status_code == 404
    assert client.get(take_url(auto)).status_code == 404  # nothing to take
    unknown = reverse("worker_qualification_test", args=["NOSUCHTYPE0000000000"])
    assert client.get(unknown).status_code == 404
    assert snapshot() == before


def test_someone_elses_request_is_not_found(world, client):
    qualification_type = birds(world)
    other = WorkerProfileFactory()
    theirs = qualification_request_start(worker=other, qualification_type=qualification_type)

    response = client.get(result_url(theirs))

    assert response.status_code == 404
    assert qualification_type.name not in response.content.decode()
    # Nor can their attempt be answered from this worker's test page: it has its own.
    assert client.post(take_url(qualification_type), RIGHT).status_code == 409
    theirs.refresh_from_db()
    assert theirs.status == "InProgress"


def test_the_answer_key_is_in_no_worker_page_or_api_response(world, worker, client):
    qualification_type = birds(world)
    client.post(start_url(qualification_type))
    pages = [
        client.get(reverse("worker_qualifications")),
        client.get(take_url(qualification_type)),
        client.post(take_url(qualification_type), {"answer-q1": "a"}),
    ]
    client.post(take_url(qualification_type), RIGHT)
    attempt = QualificationRequest.objects.get(worker=worker)
    pages += [
        client.get(result_url(attempt)),
        client.get(reverse("worker_profile")),
        client.get(reverse("work_list")),
    ]
    api = [
        client.get("/api/v1/work/qualification-types/"),
        client.get("/api/v1/work/qualification-requests/"),
        client.get("/api/v1/work/qualifications/"),
        client.get("/api/v1/me/worker-profile/"),
    ]

    for response in pages:
        assert response.status_code in (200, 400)
        content = response.content.decode()
        # The score is the worker's own; the per-option scores are the key.
        assert_no_answer_key(content)
    for response in api:
        assert response.status_code == 200
        body = json.dumps(response.json())
        assert "AnswerKey" not in body
        assert "answer_key" not in body
        assert "31337" not in body
