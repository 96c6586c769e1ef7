"""`manage.py demo_data`: what it creates, that a second run changes nothing, and its output."""

import binascii
import hashlib
import re
import struct
import zlib
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import Client, TestCase, override_settings

from jobs.demo import digit_render
from jobs.files import task_file_url
from jobs.models import (
    HIT,
    Assignment,
    AssignmentStatus,
    DataObject,
    DataObjectStatus,
    HITStatus,
    JobEvent,
    JobStatus,
    LabelingJob,
)
from jobs.services.dispatch import assignment_claim_next
from jobs.services.jobs import job_create
from marketplace.models import (
    ApiKey,
    Engagement,
    EngagementStatus,
    Invitation,
    InvitationStatus,
    ListingEvent,
    ListingStatus,
    Membership,
    MembershipRole,
    Organization,
    OrganizationEvent,
    User,
    VendorListing,
    VendorProfile,
)
from tests.jobs.factories import public_crowd
from tests.jobs.lifecycle import job_fields
from workforce.eligibility import workers_eligible_for_job
from workforce.models import WorkerProfile, WorkforceMember

pytestmark = pytest.mark.django_db

MODELS = [
    User,
    EmailAddress,
    Organization,
    Membership,
    Invitation,
    VendorProfile,
    VendorListing,
    ListingEvent,
    Engagement,
    WorkforceMember,
    WorkerProfile,
    OrganizationEvent,
    ApiKey,
    LabelingJob,
    JobEvent,
    DataObject,
    HIT,
    Assignment,
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def demo_settings(**overrides):
    """override_settings that keeps SETTINGS_MODULE, which the command checks (an override
    otherwise starts from SETTINGS_MODULE = None)."""
    return override_settings(SETTINGS_MODULE=settings.SETTINGS_MODULE, **overrides)


@pytest.fixture(autouse=True)
def demo_storage(tmp_path):
    """Files in a fresh folder, and the demo's shared image prefix as local settings set it."""
    with demo_settings(MEDIA_ROOT=tmp_path, TASK_DATA_SHARED_PREFIXES=["demo/"]):
        yield tmp_path


def run_demo_data() -> str:
    """Run the command, then the tasks it enqueued on commit (consolidation), as a real
    run does once each service's transaction commits."""
    out = StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("demo_data", stdout=out)
    return out.getvalue()


def png_header(data: bytes) -> tuple[int, int, int, int]:
    """(width, height, bit depth, colour type) from a PNG's IHDR chunk, checking its CRC."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    body = data[16:29]
    assert struct.unpack(">I", data[29:33])[0] == binascii.crc32(b"IHDR" + body)
    width, height, depth, colour, _compression, _filter, _interlace = struct.unpack(
        ">IIBBBBB", body
    )
    return width, height, depth, colour


def png_pixels(data: bytes) -> bytes:
    """The raw scanlines (a filter byte per row) of a PNG's IDAT chunks."""
    position, compressed = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind == b"IDAT":
            compressed += data[position + 8 : position + 8 + length]
        position += 12 + length
    return zlib.decompress(compressed)


def demo_job(name: str) -> LabelingJob:
    return LabelingJob.objects.get(organization__name="Acme Vision", name=name)


def worker(number: int) -> WorkerProfile:
    return WorkerProfile.objects.get(user__email=f"worker{number}@demo.groundwork.test")


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_creates_the_promised_accounts_and_organizations():
    run_demo_data()

    assert counts() == {
        "User": 10,
        "EmailAddress": 10,
        "Organization": 2,
        "Membership": 4,
        "Invitation": 1,
        "VendorProfile": 1,
        # one published listing: submitted, then approved
        "VendorListing": 1,
        "ListingEvent": 2,
        "Engagement": 1,
        "WorkforceMember": 1,
        "WorkerProfile": 5,
        # created x2, vendor profile, invitation
        "OrganizationEvent": 4,
        "ApiKey": 0,
        "LabelingJob": 2,
        # created, manifest imported, launched, per job; the digits' gold added
        "JobEvent": 7,
        # the digits job's 4 gold questions are placed as objects with a HIT each
        "DataObject": 60 + 40 + 4,
        "HIT": 60 + 40 + 4,
        # workers 1-3 did 8, 8 and 5 digits and 6, 6 and 4 reviews
        "Assignment": 21 + 16,
    }
    admin = User.objects.get(email="admin@demo.groundwork.test")
    assert list(User.objects.filter(is_staff=True)) == [admin]
    assert admin.is_superuser
    assert admin.check_password("groundwork-demo")
    assert set(EmailAddress.objects.values_list("verified", "primary")) == {(True, True)}
    assert all(user.has_verified_email for user in User.objects.all())


def test_organizations_have_their_members_vendor_profile_and_invitation():
    run_demo_data()

    acme = Organization.objects.get(name="Acme Vision")
    labelworks = Organization.objects.get(name="LabelWorks")
    assert set(acme.memberships.values_list("user__email", "role")) == {
        ("owner@demo.groundwork.test", MembershipRole.OWNER),
        ("member@demo.groundwork.test", MembershipRole.MEMBER),
    }
    assert labelworks.memberships.count() == 2
    assert labelworks.memberships.filter(role=MembershipRole.OWNER).count() == 1
    assert labelworks.vendor_profile.display_name == "LabelWorks"
    assert not hasattr(acme, "vendor_profile")
    invitation = Invitation.objects.get()
    assert (invitation.organization, invitation.email, invitation.status) == (
        acme,
        "invitee@demo.groundwork.test",
        InvitationStatus.PENDING,
    )
    assert not invitation.is_expired


def test_labelworks_has_a_published_listing():
    run_demo_data()

    listing = VendorListing.objects.get()
    assert listing.vendor.organization.name == "LabelWorks"
    assert listing.status == ListingStatus.PUBLISHED
    assert listing.published_at is not None
    assert sorted(listing.prices.values_list("task_type", flat=True)) == [
        "image-classification",
        "text-classification",
    ]


def test_acme_has_engaged_labelworks_whose_workforce_has_worker5():
    run_demo_data()

    engagement = Engagement.objects.get()
    assert (engagement.requester.name, engagement.vendor.display_name) == (
        "Acme Vision",
        "LabelWorks",
    )
    assert (engagement.status, engagement.task_type) == (
        EngagementStatus.ACCEPTED,
        "image-classification",
    )
    job = job_create(
        actor=engagement.requester.created_by,
        organization=engagement.requester,
        **job_fields(name="for-labelworks", engagement=engagement.pk),
    )
    assert list(workers_eligible_for_job(job=job)) == [worker(5)]


def test_workers_have_well_formed_ids_countries_and_languages():
    run_demo_data()

    profiles = list(WorkerProfile.objects.select_related("user"))
    assert len(profiles) == 5
    assert all(re.fullmatch(r"A[A-Z0-9]{12,20}", profile.worker_id) for profile in profiles)
    assert len({profile.country for profile in profiles}) == 5
    assert all(re.fullmatch(r"[A-Z]{2}", profile.country) for profile in profiles)
    assert all(profile.languages for profile in profiles)
    assert not Membership.objects.filter(user__worker_profile__isnull=False).exists()


def test_creates_two_running_jobs_with_their_objects_and_hits():
    run_demo_data()

    digits, reviews = demo_job("digits"), demo_job("product-review-sentiment")
    acme = Organization.objects.get(name="Acme Vision")
    for job, task_type, labels, objects in [
        (digits, "image-classification", [str(digit) for digit in range(10)], 60),
        (reviews, "text-classification", ["positive", "negative", "neutral"], 40),
    ]:
        assert (job.status, job.task_type, job.labels) == (JobStatus.RUNNING, task_type, labels)
        assert (job.organization, job.created_by) == (acme, acme.created_by)
        assert job.workforce == public_crowd()
        assert job.workers_per_object == 3
        assert job.launched_at is not None
        assert job.expires_at > job.launched_at
        assert job.total_objects == objects
        assert list(
            job.data_objects.filter(gold_question=None)
            .order_by("line_number")
            .values_list("line_number", flat=True)
        ) == list(range(1, objects + 1))
        assert job.hits.filter(is_gold=False).count() == objects
        assert set(job.hits.filter(is_gold=False).values_list("max_assignments", flat=True)) == {3}
        kinds = [kind for (kind,) in job.events.order_by("id").values_list("kind")]
        assert [kind for kind in kinds if kind != "gold_added"] == [
            "created",
            "manifest_imported",
            "launched",
        ]
    assert (digits.reward, reviews.reward) == (Decimal("0.0500"), Decimal("0.0300"))
    assert digits.title == "Which digit is written here?"
    assert reviews.title == "Sentiment of product reviews"
    digit_lines = list(
        digits.data_objects.filter(gold_question=None)
        .order_by("line_number")
        .values_list("data", flat=True)
    )
    assert digit_lines[0] == {"source-ref": "demo/digits/1.png", "image-id": "digit-001"}
    assert [line["source-ref"] for line in digit_lines] == [
        f"demo/digits/{number}.png" for number in range(1, 61)
    ]
    review_lines = reviews.data_objects.values_list("data", flat=True)
    assert all(set(line) == {"source", "review-id"} for line in review_lines)
    assert len({line["source"] for line in review_lines}) == 40


def test_digit_images_are_distinct_valid_pngs_in_storage(demo_storage):
    run_demo_data()

    paths = sorted(default_storage.listdir("demo/digits")[1])
    assert paths == sorted(f"{number}.png" for number in range(1, 61))
    assert (demo_storage / "demo" / "digits" / "1.png").is_file()
    images = []
    for name in paths:
        with default_storage.open(f"demo/digits/{name}", "rb") as file:
            images.append(file.read())
    for data in images:
        assert png_header(data) == (112, 112, 8, 0)  # 8-bit grayscale
        pixels = png_pixels(data)
        assert len(pixels) == 112 * (1 + 112)
        ink = [value for row in range(112) for value in pixels[row * 113 + 1 : row * 113 + 113]]
        # dark strokes on light paper
        assert min(ink) < 100
        assert max(ink) > 200
        assert 0.03 < sum(value < 128 for value in ink) / len(ink) < 0.4
    assert len({hashlib.sha256(data).hexdigest() for data in images}) == 60


def test_digits_are_six_of_each_rendered_the_same_way_every_time():
    assert digit_render("3", seed=5) == digit_render("3", seed=5)
    assert digit_render("3", seed=5) != digit_render("3", seed=6)
    assert digit_render("3", seed=5) != digit_render("8", seed=5)

    run_demo_data()

    # Each worker answered their HITs right except worker 2 on every 4th line, so the
    # digit behind each picture is what worker 1 said (a gold question shows one of the
    # manifest's pictures again).
    answers = dict(
        Assignment.objects.filter(hit__job=demo_job("digits"), worker=worker(1)).values_list(
            "hit__data_object__data__source-ref", "answer__label"
        )
    )
    assert Assignment.objects.filter(hit__job=demo_job("digits"), worker=worker(1)).count() == 8
    for path, digit in answers.items():
        line_number = int(path.removeprefix("demo/digits/").removesuffix(".png"))
        with default_storage.open(path, "rb") as file:
            assert file.read() == digit_render(digit, seed=line_number)
    assert (
        Counter(
            demo_job("digits")
            .data_objects.filter(gold_question=None)
            .values_list("data__image-id", flat=True)
        ).most_common(1)[0][1]
        == 1
    )


def test_demo_workers_have_done_some_hits_for_review_and_progress():
    run_demo_data()

    for name, done, labeled in [
        ("digits", [8, 8, 5, 0, 0], 5),
        ("product-review-sentiment", [6, 6, 4, 0, 0], 4),
    ]:
        job = demo_job(name)
        assignments = Assignment.objects.filter(hit__job=job)
        assert [assignments.filter(worker=worker(number)).count() for number in range(1, 6)] == done
        assert set(assignments.values_list("status", flat=True)) == {AssignmentStatus.SUBMITTED}
        assert all(
            answer["label"] in job.labels for answer in assignments.values_list("answer", flat=True)
        )
        assert assignments.filter(auto_approval_at__isnull=False).count() == sum(done)
        # The demo work was done before the digits' gold was added: none of it is gold.
        assert not assignments.filter(hit__is_gold=True).exists()
        real = job.hits.filter(is_gold=False)
        # The first objects have all 3 answers and are labeled; the next few have 2 of 3.
        assert (job.human_labeled, job.unlabeled) == (labeled, job.total_objects - labeled)
        labeled_objects = job.data_objects.filter(status=DataObjectStatus.HUMAN_LABELED)
        assert list(
            labeled_objects.values_list("line_number", flat=True).order_by("line_number")
        ) == (list(range(1, labeled + 1)))
        # Dawid-Skene posteriors (the default method), rounded to 2 places.
        assert all(
            0.5 < confidence <= 1.0
            for confidence in labeled_objects.values_list("confidence", flat=True)
        )
        hits = real.order_by("data_object__line_number")
        assert list(hits.values_list("status", "assignments_completed")[: done[0] + 1]) == [
            *[(HITStatus.REVIEWABLE, 3)] * labeled,
            *[(HITStatus.ASSIGNABLE, 2)] * (done[0] - labeled),
            (HITStatus.ASSIGNABLE, 0),
        ]
        assert job.open_hits == job.total_objects - labeled


def test_a_new_worker_gets_a_digit_image_through_the_signed_task_file_url():
    run_demo_data()
    newcomer = worker(4)

    assignment = assignment_claim_next(worker=newcomer, job=demo_job("digits"))

    assert assignment.hit.data_object.line_number == 6  # 1-5 have all their answers
    url = task_file_url(assignment=assignment)
    assert url.startswith("/task-files/")
    client = Client()
    client.force_login(newcomer.user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    with default_storage.open("demo/digits/6.png", "rb") as file:
        assert b"".join(response.streaming_content) == file.read()
    other = Client()
    other.force_login(worker(5).user)
    assert other.get(url).status_code == 404


def test_running_twice_changes_nothing(demo_storage):
    run_demo_data()
    before = counts()
    worker_ids = set(WorkerProfile.objects.values_list("worker_id", flat=True))
    password_hashes = set(User.objects.values_list("password", flat=True))
    jobs = list(LabelingJob.objects.order_by("id").values())
    objects = list(DataObject.objects.order_by("id").values())
    hits = list(HIT.objects.order_by("id").values())
    assignments = list(Assignment.objects.order_by("id").values())
    files = {path: path.stat().st_mtime_ns for path in demo_storage.rglob("*")}

    run_demo_data()

    assert counts() == before
    assert set(WorkerProfile.objects.values_list("worker_id", flat=True)) == worker_ids
    assert set(User.objects.values_list("password", flat=True)) == password_hashes
    assert Invitation.objects.get().status == InvitationStatus.PENDING
    assert list(LabelingJob.objects.order_by("id").values()) == jobs
    assert list(DataObject.objects.order_by("id").values()) == objects
    assert list(HIT.objects.order_by("id").values()) == hits
    assert list(Assignment.objects.order_by("id").values()) == assignments
    assert {path: path.stat().st_mtime_ns for path in demo_storage.rglob("*")} == files


def test_a_refused_manifest_stops_the_command_and_leaves_no_job():
    # The demo images' folder is not allowed.
    with (
        demo_settings(TASK_DATA_SHARED_PREFIXES=[]),
        pytest.raises(CommandError, match="demo jobs could not be set up") as raised,
    ):
        run_demo_data()

    assert "line 1: " in str(raised.value)
    assert "source-ref path is not in this organization's storage" in str(raised.value)
    assert not LabelingJob.objects.exists()
    assert not JobEvent.objects.exists()
    assert not DataObject.objects.exists()
    # The accounts part is done, and a run with the right settings finishes the rest.
    assert WorkerProfile.objects.count() == 5
    run_demo_data()
    assert LabelingJob.objects.filter(status=JobStatus.RUNNING).count() == 2


def test_prints_urls_logins_and_what_to_expect():
    output = run_demo_data()

    for url in [
        "http://127.0.0.1:8000/",
        "http://127.0.0.1:8000/api/v1/",
        "http://127.0.0.1:8000/api/docs/",
        "http://127.0.0.1:8000/admin/",
        "http://127.0.0.1:8000/healthz",
    ]:
        assert url in output
    for user in User.objects.all():
        assert user.email in output
    assert "groundwork-demo" in output
    assert "two-factor" in output
    assert "printed on this console" in output
    assert "http://127.0.0.1:8000/invitations/" in output
    for job in LabelingJob.objects.all():
        assert f"http://127.0.0.1:8000/jobs/{job.pk}/" in output
        assert f"http://127.0.0.1:8000/jobs/{job.pk}/review/" in output
        assert f'"{job.name}"' in output
    assert "http://127.0.0.1:8000/work/" in output


@override_settings(SETTINGS_MODULE="marketplace.settings.production")
def test_refuses_to_run_with_production_settings():
    with pytest.raises(CommandError, match="known password"):
        run_demo_data()

    assert set(counts().values()) == {0}


def test_the_digits_job_mixes_in_gold_and_removes_workers_who_fail_it():
    run_demo_data()

    digits, reviews = demo_job("digits"), demo_job("product-review-sentiment")
    assert digits.gold_rate == Decimal("0.100")
    # The first four pictures, with the digit each was drawn as.
    manifest = dict(
        digits.data_objects.filter(gold_question=None, line_number__lte=4).values_list(
            "line_number", "data"
        )
    )
    gold = list(digits.gold_questions.order_by("id").values_list("data", "expected_answer"))
    assert [data for data, _answer in gold] == [manifest[number] for number in range(1, 5)]
    for data, answer in gold:
        line_number = int(data["source-ref"].removeprefix("demo/digits/").removesuffix(".png"))
        with default_storage.open(data["source-ref"], "rb") as file:
            assert file.read() == digit_render(answer["label"], seed=line_number)
    assert digits.hits.filter(is_gold=True).count() == 4
    assert digits.has_quality_rules
    rule = digits.quality_rules.get()
    assert (rule.collector, rule.operator, rule.value, rule.action) == (
        "gold_accuracy",
        "lt",
        0.5,
        "remove_from_job",
    )
    assert not reviews.gold_questions.exists()
    assert not reviews.has_quality_rules
