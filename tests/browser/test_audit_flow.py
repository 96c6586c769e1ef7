"""Audit in a real browser: the requester chains a verification job from a labeled job's
output on the chain page and launches it; a worker sees each object with its prior label,
judges it and comments; the comments reach the output manifest as worker-feedback. Then an
adjustment job: the prior label starts selected, so Enter keeps it."""

import json
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.conf import settings as django_settings
from django.test import Client

from jobs.manifests import manifest_import
from jobs.models import LabelingJob
from jobs.output import output_manifest_lines
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.jobs import job_create, job_launch
from tests.jobs.lifecycle import requester_of
from tests.marketplace.factories import OrganizationFactory
from tests.workforce.factories import WorkerProfileFactory

SUBMIT = "main form button[type=submit]"
SCREENSHOTS = "/tmp"  # noqa: S108 - where a person looks at the pages after a run
TEXTS = ["The parcel came a week late.", "Great quality, fast delivery."]


def log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def sentiment_job(requester, organization) -> LabelingJob:
    """A text job whose two reviews one worker labeled (wrongly for the first)."""
    job = job_create(
        actor=requester,
        organization=organization,
        name="review-sentiment",
        label_attribute_name="sentiment",
        task_type="text-classification",
        label_category_config={
            "document-version": "2018-11-28",
            "labels": [{"label": "positive"}, {"label": "negative"}],
        },
        title="Review sentiment",
        reward=Decimal("0.05"),
        workers_per_object=1,
    )
    lines = "".join(json.dumps({"source": text}) + "\n" for text in TEXTS)
    manifest_import(actor=requester, job=job, stream=BytesIO(lines.encode()))
    job = job_launch(actor=requester, job=job)
    labeler = WorkerProfileFactory()
    for label in ("positive", "positive"):
        assignment = assignment_claim_next(worker=labeler, job=job)
        assignment_submit(worker=labeler, assignment=assignment, answer={"label": label})
    return LabelingJob.objects.get(pk=job.pk)


def chain_on_the_page(page, live_server, source, *, kind: str, name: str, attribute: str):
    page.goto(f"{live_server.url}/jobs/{source.pk}/")
    page.click("a:has-text('Chain a job')")
    page.wait_for_url(f"{live_server.url}/jobs/{source.pk}/chain/")
    page.check(f"input[name=kind][value={kind}]")
    page.fill("input[name=name]", name)
    page.fill("input[name=label_attribute_name]", attribute)
    page.fill("input[name=workers_per_object]", "1")
    page.screenshot(path=f"{SCREENSHOTS}/groundwork-chain-page.png", full_page=True)
    page.click("button:has-text('Create the chained job')")
    page.wait_for_selector("text=was created from review-sentiment's output with 2 data objects")
    page.click("button:has-text('Launch')")
    page.wait_for_selector("text=The job is running")
    return LabelingJob.objects.get(name=name)


@pytest.mark.django_db(transaction=True)
def test_a_worker_verifies_prior_labels_with_comments(page, browser, live_server):
    organization = OrganizationFactory(name="Review Labs")
    requester = requester_of(organization)
    source = sentiment_job(requester, organization)
    assert source.status == "completed"

    requester_context = browser.new_context(viewport={"width": 1280, "height": 900})
    requester_page = requester_context.new_page()
    requester_page.set_default_timeout(15_000)
    log_in(requester_page, live_server, requester)
    verification = chain_on_the_page(
        requester_page,
        live_server,
        source,
        kind="verification",
        name="sentiment-checked",
        attribute="sentiment-checked",
    )
    assert (verification.task_type, verification.source_label_attribute_name) == (
        "label-verification",
        "sentiment",
    )

    worker = WorkerProfileFactory()
    log_in(page, live_server, worker.user)
    page.goto(f"{live_server.url}/work/")
    page.locator(".work-card", has_text="Review sentiment").locator("button").click()
    page.wait_for_url(re.compile(r".*/work/tasks/[A-Z0-9]{30}/$"))
    # The first review and the label it got: the worker disagrees and says why.
    assert page.inner_text(".task-text") == TEXTS[0]
    assert page.inner_text("[data-prior-label]") == "positive"
    page.fill("textarea[name=comment]", "A late parcel is a complaint: negative.")
    page.screenshot(path=f"{SCREENSHOTS}/groundwork-verification-task.png", full_page=True)
    url = page.url
    page.click("button.task-label[value=Incorrect]")
    page.wait_for_url(lambda new_url: new_url != url)
    # The second: correct, judged with the keyboard, no comment.
    assert page.inner_text(".task-text") == TEXTS[1]
    assert page.inner_text("[data-prior-label]") == "positive"
    assert page.input_value("textarea[name=comment]") == ""
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/work/")
    assert "No more tasks in this job" in page.inner_text("main")

    lines = [json.loads(text) for text in output_manifest_lines(job=verification)]
    assert [line["sentiment-checked-metadata"]["class-name"] for line in lines] == [
        "Incorrect",
        "Correct",
    ]
    assert [line["sentiment-checked-metadata"]["worker-feedback"] for line in lines] == [
        [{"comment": "A late parcel is a complaint: negative."}],
        [],
    ]
    assert LabelingJob.objects.get(pk=verification.pk).status == "completed"

    # An adjustment job: the prior label starts selected; the worker fixes the first and
    # keeps the second with Enter alone.
    adjustment = chain_on_the_page(
        requester_page,
        live_server,
        source,
        kind="adjustment",
        name="sentiment-fixed",
        attribute="sentiment-fixed",
    )
    requester_context.close()
    page.goto(f"{live_server.url}/work/")
    page.locator(".work-card", has_text="Review sentiment").locator("button").click()
    page.wait_for_url(re.compile(r".*/work/tasks/[A-Z0-9]{30}/$"))
    selected = page.locator("button.task-label.selected")
    assert selected.get_attribute("value") == "positive"
    assert selected.get_attribute("aria-pressed") == "true"
    url = page.url
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda new_url: new_url != url)
    assert page.locator("button.task-label.selected").get_attribute("value") == "positive"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/work/")

    lines = [json.loads(text) for text in output_manifest_lines(job=adjustment)]
    assert [
        (line["sentiment-fixed"], line["sentiment-fixed-metadata"]["adjustment-status"])
        for line in lines
    ] == [(1, "adjusted"), (0, "unadjusted")]
    assert {line["sentiment-fixed-metadata"]["type"] for line in lines} == {
        "groundtruth/text-classification"
    }
