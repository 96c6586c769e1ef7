"""Labeling in a real browser: a worker does several image and text HITs with the keyboard
only (a digit picks the label, Enter submits, the next task loads, the progress line counts
up, Escape returns a task); then the requester reviews the work, and the worker reads the
feedback on their assignments page."""

import re
import struct
import zlib
from decimal import Decimal
from io import BytesIO

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from jobs.manifests import manifest_import
from jobs.models import Assignment, AssignmentStatus, DataObject, LabelingJob
from jobs.services.jobs import job_create, job_launch
from tests.jobs.lifecycle import requester_of
from tests.marketplace.factories import OrganizationFactory
from tests.workforce.factories import WorkerProfileFactory

SUBMIT = "main form button[type=submit]"  # the header holds a log-out form too
SCREENSHOTS = "/tmp"  # noqa: S108 - where a person looks at the pages after a run
# 5x7 bitmaps of the digits the image job shows, drawn large into real PNG files.
DIGITS = {
    "1": ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
    "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    "3": ["11110", "00001", "00001", "01110", "00001", "00001", "11110"],
    "4": ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    "7": ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
}
DIGIT_SCALE = 24
MARGIN = 2  # glyph cells of white around the digit


def png_of_digit(digit: str) -> bytes:
    """A greyscale PNG of `digit`: dark strokes on white, written with zlib and struct."""
    glyph = DIGITS[digit]
    cells_wide, cells_high = len(glyph[0]) + 2 * MARGIN, len(glyph) + 2 * MARGIN
    width, height = cells_wide * DIGIT_SCALE, cells_high * DIGIT_SCALE
    rows = bytearray()
    for y in range(height):
        row_cell = y // DIGIT_SCALE - MARGIN
        rows.append(0)  # filter type: none
        for x in range(width):
            column_cell = x // DIGIT_SCALE - MARGIN
            inked = 0 <= row_cell < len(glyph) and 0 <= column_cell < len(glyph[0])
            rows.append(30 if inked and glyph[row_cell][column_cell] == "1" else 250)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def labeling_job(*, requester, organization, name: str, task_type: str, labels: list[str]):
    return job_create(
        actor=requester,
        organization=organization,
        name=name,
        label_attribute_name="label",
        task_type=task_type,
        label_category_config={
            "document-version": "2018-11-28",
            "labels": [{"label": label} for label in labels],
        },
        title=f"{name.replace('-', ' ').capitalize()}",
        description="Pick the one label that fits.",
        short_instructions="<p>Press a <b>number key</b> to pick a label, then <b>Enter</b>.</p>",
        reward=Decimal("0.05"),
        workers_per_object=1,
    )


def import_lines(*, requester, job, lines: list[str]) -> None:
    manifest_import(actor=requester, job=job, stream=BytesIO(("\n".join(lines) + "\n").encode()))


def log_in(page, live_server, user) -> None:
    """Hand the browser a session of `user` (the log-in form has its own test)."""
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


def progress_count(page) -> int:
    text = page.inner_text(".task-progress")
    return int(re.match(r"(\d+) done in this job", text).group(1))


def label_with_keys(
    page, *, key: str, label: str, expected_done: int, screenshot: str | None = None
) -> None:
    """Pick `label` with `key`, submit with Enter, and wait for whatever loads next."""
    assert progress_count(page) == expected_done
    url = page.url
    page.keyboard.press(key)
    selected = page.locator("button.task-label.selected")
    assert selected.count() == 1
    assert selected.get_attribute("value") == label
    assert selected.get_attribute("aria-pressed") == "true"
    if screenshot:
        page.screenshot(path=f"{SCREENSHOTS}/{screenshot}", full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda new_url: new_url != url)


@pytest.mark.django_db(transaction=True)
def test_a_worker_labels_with_the_keyboard_and_the_requester_reviews(
    page, browser, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGE_BACKEND = "local"
    organization = OrganizationFactory(name="Digit Labs")
    requester = requester_of(organization)

    images = labeling_job(
        requester=requester,
        organization=organization,
        name="handwritten-digits",
        task_type="image-classification",
        labels=["one", "two", "three", "four", "seven"],
    )
    paths = [
        default_storage.save(
            f"jobs/{images.pk}/digit-{digit}.png", ContentFile(png_of_digit(digit))
        )
        for digit in ("2", "2", "7", "1", "3")
    ]
    import_lines(
        requester=requester, job=images, lines=[f'{{"source-ref": "{path}"}}' for path in paths]
    )
    images = job_launch(actor=requester, job=images)

    # The requester creates the text job on the pages: form, manifest upload, launch.
    requester_context = browser.new_context(viewport={"width": 1280, "height": 900})
    review = requester_context.new_page()
    review.set_default_timeout(15_000)
    log_in(review, live_server, requester)
    review.goto(f"{live_server.url}/jobs/new/")
    review.fill("input[name=name]", "review-sentiment")
    review.select_option("select[name=task_type]", "text-classification")
    review.fill("textarea[name=labels]", "positive\nnegative\nneutral")
    review.fill("input[name=label_attribute_name]", "sentiment")
    review.fill("input[name=title]", "Review sentiment")
    review.fill("input[name=description]", "Is the customer happy?")
    review.fill("input[name=workers_per_object]", "1")
    review.screenshot(path=f"{SCREENSHOTS}/groundwork-new-job-page.png", full_page=True)
    review.click(SUBMIT)
    review.wait_for_url(re.compile(r".*/jobs/\d+/$"))
    review.set_input_files(
        "input[name=manifest]",
        files=[
            {
                "name": "reviews.manifest",
                "mimeType": "application/x-ndjson",
                "buffer": (
                    b'{"source": "Arrived quickly and works perfectly. Would buy again!"}\n'
                    b'{"source": "Broke after two days and support never answered."}\n'
                ),
            }
        ],
    )
    review.click("button:has-text('Upload manifest')")
    review.wait_for_selector("text=Imported 2 data objects (lines 1–2).")
    review.click("button:has-text('Launch')")
    review.wait_for_selector("text=The job is running")
    texts = LabelingJob.objects.get(name="review-sentiment")
    assert texts.status == "running"
    assert texts.labels == ["positive", "negative", "neutral"]
    review.goto(f"{live_server.url}/jobs/")
    review.screenshot(path=f"{SCREENSHOTS}/groundwork-job-list.png", full_page=True)

    worker = WorkerProfileFactory()
    log_in(page, live_server, worker.user)

    # The image job: three tasks with the keyboard, the fourth returned with Escape.
    page.goto(f"{live_server.url}/work/")
    page.screenshot(path=f"{SCREENSHOTS}/groundwork-find-work.png", full_page=True)
    card = page.locator(".work-card", has_text="Handwritten digits")
    assert card.locator("[data-hits-available]").inner_text() == "5"
    card.locator("button:has-text('Start')").click()
    page.wait_for_url(re.compile(r".*/work/tasks/[A-Z0-9]{30}/$"))
    image = page.locator("img.task-image")
    page.wait_for_function("document.querySelector('img.task-image').naturalWidth > 0")
    assert image.evaluate("img => img.naturalWidth") == 9 * DIGIT_SCALE
    assert page.locator(".task-countdown").inner_text().endswith("left")
    assert page.locator("[data-keys-hint]").is_visible()
    for done, (key, label) in enumerate((("2", "two"), ("2", "two"), ("4", "four"))):
        page.wait_for_function("document.querySelector('img.task-image').naturalWidth > 0")
        label_with_keys(
            page,
            key=key,
            label=label,
            expected_done=done,
            screenshot="groundwork-task-page.png" if done == 1 else None,
        )
    assert progress_count(page) == 3
    returned_id = page.url.rstrip("/").rsplit("/", 1)[1]
    page.keyboard.press("Escape")
    page.wait_for_url(f"{live_server.url}/work/")
    assert "You returned the task" in page.inner_text("main")
    assert Assignment.objects.get(assignment_id=returned_id).status == AssignmentStatus.RETURNED

    # The text job: both tasks with the keyboard, then back to find work.
    page.locator(".work-card", has_text="Review sentiment").locator("button").click()
    page.wait_for_selector(".task-text")
    assert "Arrived quickly" in page.inner_text(".task-text")
    page.screenshot(path=f"{SCREENSHOTS}/groundwork-text-task-page.png", full_page=True)
    label_with_keys(page, key="1", label="positive", expected_done=0)
    assert "Broke after two days" in page.inner_text(".task-text")
    label_with_keys(page, key="2", label="negative", expected_done=1)
    assert page.url == f"{live_server.url}/work/"
    assert "No more tasks in this job" in page.inner_text("main")

    submitted = Assignment.objects.filter(worker=worker, status=AssignmentStatus.SUBMITTED)
    assert sorted(a.answer["label"] for a in submitted) == [
        "four",
        "negative",
        "positive",
        "two",
        "two",
    ]
    assert all(a.active_seconds is not None for a in submitted)
    labeled = DataObject.objects.filter(job=images, status="human_labeled").count()
    assert labeled == 3  # consolidated on commit, one worker per object

    # The requester reviews the image work: approves two, rejects one with feedback.
    review.goto(f"{live_server.url}/jobs/{images.pk}/")
    assert review.inner_text("[data-counter=total_labeled]") == "3"
    assert review.inner_text("[data-counter=unlabeled]") == "2"
    assert "60% labeled" in review.inner_text("#progress")
    review.screenshot(path=f"{SCREENSHOTS}/groundwork-progress-page.png", full_page=True)

    review.goto(f"{live_server.url}/jobs/{images.pk}/review/")
    rows = review.locator(".review-table tbody tr")
    assert rows.count() == 3
    wrong = rows.filter(has_text="four")
    rejected_id = wrong.locator("input[name=assignment_ids]").get_attribute("value")
    review.fill("#review-feedback", "This digit is a 7, not a 4. Look at the top stroke.")
    review.screenshot(path=f"{SCREENSHOTS}/groundwork-review-page.png", full_page=True)
    wrong.locator("button:has-text('Reject')").click()
    review.wait_for_selector("text=Rejected 1 assignment.")
    review.locator("input[data-check-all]").check()
    review.fill("#review-feedback", "")
    review.locator("button:has-text('Approve checked')").click()
    review.wait_for_selector("text=Approved 2 assignments.")
    statuses = dict(
        Assignment.objects.filter(hit__job=images, worker=worker).values_list(
            "assignment_id", "status"
        )
    )
    assert statuses.pop(rejected_id) == AssignmentStatus.REJECTED
    assert statuses.pop(returned_id) == AssignmentStatus.RETURNED
    assert set(statuses.values()) == {AssignmentStatus.APPROVED}
    requester_context.close()

    # The worker reads the feedback.
    page.goto(f"{live_server.url}/work/assignments/")
    page.screenshot(path=f"{SCREENSHOTS}/groundwork-my-assignments.png", full_page=True)
    row = page.locator(".assignment-table tbody tr", has_text=rejected_id)
    assert "Rejected" in row.inner_text()
    assert "This digit is a 7, not a 4." in row.inner_text()
    assert page.locator(".assignment-table .badge.success").count() == 2
    assert LabelingJob.objects.get(pk=texts.pk).status == "completed"


@pytest.mark.django_db(transaction=True)
def test_the_task_pages_work_without_javascript(browser, live_server):
    organization = OrganizationFactory()
    requester = requester_of(organization)
    job = labeling_job(
        requester=requester,
        organization=organization,
        name="plain-html",
        task_type="text-classification",
        labels=["yes", "no"],
    )
    import_lines(
        requester=requester, job=job, lines=['{"source": "First"}', '{"source": "Second"}']
    )
    job_launch(actor=requester, job=job)
    worker = WorkerProfileFactory()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, worker.user)

    page.goto(f"{live_server.url}/work/")
    page.click(".work-card button:has-text('Start')")
    page.wait_for_selector(".task-text")
    assert page.locator("[data-keys-hint]").is_hidden()  # the keys need the script
    assert page.inner_text(".task-text") == "First"
    page.click("button.task-label[value=no]")
    page.wait_for_selector(".task-text:has-text('Second')")
    assert page.inner_text(".task-progress") == "1 done in this job"
    page.click("button:has-text('Return this task')")
    page.wait_for_url(f"{live_server.url}/work/")
    context.close()

    statuses = sorted(
        Assignment.objects.filter(worker=worker).values_list("status", "answer", "active_seconds")
    )
    assert statuses == [("Returned", None, None), ("Submitted", {"label": "no"}, None)]
