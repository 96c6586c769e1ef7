"""Earning a qualification in a real browser (issue 4's acceptance test): a requester's job
requires a qualification with a test and an answer key, guarding DiscoverPreviewAndAccept;
a worker does not see the job, takes the test on the Qualifications page, passes, and
then finds the job and starts a task. A worker who fails the test still never sees it."""

import re

import pytest

from jobs.services.jobs import job_launch
from tests.browser.test_labeling import SCREENSHOTS, log_in
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.lifecycle import requester_of
from tests.marketplace.factories import OrganizationFactory, UserFactory
from tests.workforce.factories import WorkerProfileFactory
from workforce.models import Qualification, QualificationRequest
from workforce.qualifications import job_requirements_set, qualification_type_create
from workforce.services import worker_profile_create

TEST = {
    "questions": [
        {
            "id": "q1",
            "text": "Which review is positive?",
            "options": [
                {"id": "a", "text": "Works perfectly, would buy again"},
                {"id": "b", "text": "Broke after two days"},
            ],
        },
        {
            "id": "q2",
            "text": "Which review is neutral?",
            "options": [
                {"id": "a", "text": "Terrible support"},
                {"id": "b", "text": "It is a phone case"},
            ],
        },
    ]
}
KEY = {"q1": {"a": 50, "b": 0}, "q2": {"a": 0, "b": 50}}
JOB_TITLE = "Sentiment for experts"


def sentiment_world():
    """A requester's qualification type with a test, and a running text job that only
    workers scoring 100 on it may discover, preview or accept."""
    organization = OrganizationFactory(name="Review Labs")
    requester = requester_of(organization)
    qualification_type = qualification_type_create(
        actor=requester,
        organization=organization,
        name="Review sentiment expert",
        description="Tell positive, negative and neutral reviews apart.",
        test=TEST,
        answer_key=KEY,
        test_duration_seconds=600,
    )
    job = LabelingJobFactory(
        organization=organization,
        created_by=requester,
        task_type="text-classification",
        labels=["positive", "negative", "neutral"],
        title=JOB_TITLE,
        workers_per_object=1,
    )
    for text in ("Arrived quickly and works.", "Broke after two days."):
        DataObjectFactory(job=job, data={"source": text})
    job_requirements_set(
        actor=requester,
        job=job,
        requirements=[
            {
                "QualificationTypeId": qualification_type.type_id,
                "Comparator": "GreaterThanOrEqualTo",
                "IntegerValues": [100],
                "ActionsGuarded": "DiscoverPreviewAndAccept",
            }
        ],
    )
    return qualification_type, job_launch(actor=requester, job=job)


def take_the_test(page, live_server, answers: dict[str, str]) -> None:
    """From find work, go to Qualifications, start the test and submit `answers`
    (question text: option text) by clicking the radio buttons."""
    page.goto(f"{live_server.url}/work/")
    assert JOB_TITLE not in page.inner_text("main")
    page.click("nav >> text=Qualifications")
    page.wait_for_url(f"{live_server.url}/worker/qualifications/")
    item = page.locator(".qualification-item", has_text="Review sentiment expert")
    assert "A test of 10 minutes, one attempt only." in item.inner_text()
    item.locator("button:has-text('Take the test')").click()
    page.wait_for_url(re.compile(r".*/worker/qualifications/[A-Z0-9]+/test/$"))
    # The countdown module runs (the page is CSP-restricted: only our own scripts).
    page.wait_for_function(
        "document.querySelector('.test-countdown').textContent.includes('left to answer')"
    )
    for question, option in answers.items():
        page.locator("fieldset.test-question", has_text=question).get_by_label(option).check()
    page.screenshot(path=f"{SCREENSHOTS}/groundwork-qualification-test.png", full_page=True)
    page.click("button:has-text('Submit answers')")
    page.wait_for_url(re.compile(r".*/worker/qualifications/requests/[A-Z0-9]+/$"))


@pytest.mark.django_db(transaction=True)
def test_a_worker_passes_the_test_in_the_browser_and_then_finds_and_starts_the_job(
    page, live_server
):
    qualification_type, job = sentiment_world()
    # Through the service, so the system qualifications are computed as for any worker.
    worker = worker_profile_create(actor=UserFactory(), country="PT", is_adult=True)
    log_in(page, live_server, worker.user)

    take_the_test(
        page,
        live_server,
        {
            "Which review is positive?": "Works perfectly, would buy again",
            "Which review is neutral?": "It is a phone case",
        },
    )

    result = page.inner_text(".qualification-result")
    assert "Qualified." in result
    assert page.inner_text("[data-score]") == "100"
    granted = Qualification.objects.get(worker=worker, qualification_type=qualification_type)
    assert granted.integer_value == 100
    page.click(".qualification-result >> text=Find work")
    page.wait_for_url(f"{live_server.url}/work/")
    card = page.locator(".work-card", has_text=JOB_TITLE)
    assert card.locator("[data-hits-available]").inner_text() == "2"
    page.screenshot(path=f"{SCREENSHOTS}/groundwork-unlocked-work.png", full_page=True)
    card.locator("button:has-text('Start')").click()
    page.wait_for_url(re.compile(r".*/work/tasks/[A-Z0-9]{30}/$"))
    assert page.inner_text(".task-text") in ("Arrived quickly and works.", "Broke after two days.")
    assert job.hits.filter(assignments__worker=worker).count() == 1
    # The profile's standing lists the new qualification with its value.
    page.click("nav >> text=Profile")
    page.wait_for_url(f"{live_server.url}/worker/")
    held = page.locator("#requester-qualifications tr", has_text="Review sentiment expert")
    assert "100" in held.inner_text()
    assert "Granted" in held.inner_text()
    standing = page.locator("#system-qualifications tr")
    for name, value in (
        ("Worker_PercentAssignmentsApproved", "100%"),
        ("Worker_NumberHITsApproved", "0"),
        ("Worker_Locale", "PT"),
        ("Worker_Adult", "Yes"),
    ):
        row = standing.filter(has_text=name).first
        assert row.locator("[data-system-value]").inner_text() == value
    page.screenshot(path=f"{SCREENSHOTS}/groundwork-worker-profile.png", full_page=True)


@pytest.mark.django_db(transaction=True)
def test_a_worker_who_fails_the_test_still_does_not_see_the_job(page, live_server):
    qualification_type, _job = sentiment_world()
    worker = WorkerProfileFactory()
    log_in(page, live_server, worker.user)

    take_the_test(
        page,
        live_server,
        {
            "Which review is positive?": "Broke after two days",
            "Which review is neutral?": "It is a phone case",
        },
    )

    assert page.inner_text("[data-score]") == "50"
    attempt = QualificationRequest.objects.get(worker=worker)
    assert (attempt.status, attempt.score) == ("Granted", 50)
    page.goto(f"{live_server.url}/work/")
    assert JOB_TITLE not in page.inner_text("main")
    assert "No work for you right now" in page.inner_text("main")
    # One attempt only: the qualifications page says so and offers no second try.
    page.goto(f"{live_server.url}/worker/qualifications/")
    item = page.locator(".qualification-item", has_text=qualification_type.name)
    assert "You have this qualification (value 50)." in item.inner_text()
    assert item.locator("button").count() == 0
