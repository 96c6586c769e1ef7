"""Demo labeling jobs for `manage.py demo_data`: rendered digit images and product reviews,
launched through the services, with a few HITs already worked by demo workers."""

import binascii
import json
import math
import random
import struct
import zlib
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from statistics import NormalDist

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from jobs.manifests import manifest_import
from jobs.models import Assignment, DataObject, JobStatus, LabelingJob
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.gold import gold_add
from jobs.services.jobs import job_create, job_launch
from jobs.services.quality_rules import quality_rule_create
from marketplace.models import Organization, User
from workforce.models import WorkerProfile

DIGITS_FOLDER = "demo/digits"
DIGIT_IMAGE_SIZE = 112
DIGIT_IMAGES = 60
AVAILABILITY_SECONDS = 30 * 24 * 3600  # the longest Ground Truth allows: the demo stays up

# A 5x7 bitmap font: each digit's strokes are drawn through the centres of its "#" cells.
DIGIT_FONT = {
    "0": [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
    "1": ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
    "2": [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
    "3": ["#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."],
    "4": ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
    "5": ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
    "6": ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
    "7": ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
    "8": [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
    "9": [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
}
DIGIT_LABELS = [str(digit) for digit in range(10)]

REVIEWS = [
    ("Arrived a day early and works perfectly. Very happy with it.", "positive"),
    ("The battery lasts all week, which is more than I expected.", "positive"),
    ("Stopped charging after two weeks. Complete waste of money.", "negative"),
    ("It does what the description says, nothing more.", "neutral"),
    ("Comfortable to wear all day, and the strap feels sturdy.", "positive"),
    ("The lid cracked the first time I dropped it on the carpet.", "negative"),
    ("Delivered in a plain brown box with a paper manual.", "neutral"),
    ("Setup took five minutes and the app is genuinely easy to use.", "positive"),
    ("Customer support never answered my three emails.", "negative"),
    ("The colour is slightly darker than in the photos.", "neutral"),
    ("Best kitchen scale I have owned: accurate and quick.", "positive"),
    ("Smells strongly of plastic even after a week of airing out.", "negative"),
    ("It fits the standard 12-inch shelf.", "neutral"),
    ("My kids love it and it survived a summer at the beach.", "positive"),
    ("The zipper broke on the first trip. Not buying this brand again.", "negative"),
    ("Comes with two spare filters and a cleaning brush.", "neutral"),
    ("Sound quality is crisp and the bass is surprisingly deep.", "positive"),
    ("Too loud to use at night; the fan rattles constantly.", "negative"),
    ("I ordered the medium size and received the medium size.", "neutral"),
    ("Great value for the price, I bought a second one for my mother.", "positive"),
    ("The screen scratches if you so much as look at it.", "negative"),
    ("The package weighed about two kilograms.", "neutral"),
    ("Keeps coffee hot for hours. Exactly what I wanted.", "positive"),
    ("Instructions were missing and two screws did not fit.", "negative"),
    ("Available in black, white and grey.", "neutral"),
    ("Lightweight, quiet and the suction is excellent.", "positive"),
    ("It overheated and shut off during the first use.", "negative"),
    ("The cable is one and a half metres long.", "neutral"),
    ("Five stars: sturdy, stylish and easy to clean.", "positive"),
    ("Returned it; the stitching came apart within days.", "negative"),
    ("I have used it twice so far.", "neutral"),
    ("The pages are thick and the binding lies flat. Lovely notebook.", "positive"),
    ("Worse than the cheaper model it replaced.", "negative"),
    ("It runs on four AA batteries, which are not included.", "neutral"),
    ("Fast shipping and the seller included a kind handwritten note.", "positive"),
    ("The sizes run small and the exchange process was a nightmare.", "negative"),
    ("Bought it as a gift, so I cannot say how it performs.", "neutral"),
    ("Crisp picture, simple remote, no regrets at all.", "positive"),
    ("Leaks from the base every time I fill it.", "negative"),
    ("The box says made in Portugal.", "neutral"),
]
SENTIMENT_LABELS = ["positive", "negative", "neutral"]


@dataclass(frozen=True)
class DemoJob:
    """One demo job: its create fields, its manifest, the right answer per manifest line,
    how many HITs each demo worker (by position) has already done, and (optionally) how
    many of its first manifest lines also serve as gold questions, with a quality rule."""

    fields: dict
    manifest_lines: list[dict]
    answers: list[str]
    work_done: list[int]
    gold_lines: int = 0
    rules: tuple[dict, ...] = ()


# Rendering.


def _strokes(rows: list[str]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Segments between neighbouring "#" cells (column, row); a diagonal only where no
    straight path joins the two cells, and a dot for a cell with no neighbour."""
    cells = {(c, r) for r, row in enumerate(rows) for c, mark in enumerate(row) if mark == "#"}
    segments = []
    for c, r in sorted(cells):
        joined = False
        for dc, dr in ((1, 0), (0, 1), (1, 1), (-1, 1)):
            other = (c + dc, r + dr)
            if other not in cells:
                continue
            if dc and dr and ((c + dc, r) in cells or (c, r + dr) in cells):
                joined = True  # the straight path draws this corner already
                continue
            segments.append(((c, r), other))
            joined = True
        if not joined and not any(
            (c + dc, r + dr) in cells for dc in (-1, 0, 1) for dr in (-1, 0, 1) if dc or dr
        ):
            segments.append(((c, r), (c, r)))
    return segments


def digit_render(digit: str, *, seed: int, size: int = DIGIT_IMAGE_SIZE) -> bytes:
    """A `size` x `size` grayscale PNG of `digit`: dark ink on paper, drawn from the 5x7
    font with a random slant, rotation, scale, offset, per-point wobble, stroke width and
    noise, so that no two seeds give the same picture."""
    rng = random.Random(seed)  # noqa: S311 - pictures, not secrets
    angle = math.radians(rng.uniform(-12, 12))
    shear = rng.uniform(-0.3, 0.2)
    cell = size / 10.5 * rng.uniform(0.85, 1.1)
    scale_x, scale_y = cell * rng.uniform(0.85, 1.15), cell
    center_x = size / 2 + rng.uniform(-6, 6)
    center_y = size / 2 + rng.uniform(-5, 5)
    half_width = rng.uniform(2.5, 5.5)
    paper = rng.uniform(225, 250)
    ink = rng.uniform(10, 70)
    noise = rng.uniform(3, 10)
    cos, sin = math.cos(angle), math.sin(angle)
    wobble = {}

    def place(c: int, r: int) -> tuple[float, float]:
        if (c, r) not in wobble:
            wobble[c, r] = (rng.uniform(-0.18, 0.18), rng.uniform(-0.18, 0.18))
        x = (c - 2 + wobble[c, r][0]) * scale_x
        y = (r - 3 + wobble[c, r][1]) * scale_y
        x += shear * -y
        return center_x + cos * x - sin * y, center_y + sin * x + cos * y

    coverage = [[0.0] * size for _ in range(size)]
    reach = half_width + 1
    for start, end in _strokes(DIGIT_FONT[digit]):
        ax, ay = place(*start)
        bx, by = place(*end)
        dx, dy = bx - ax, by - ay
        length_squared = dx * dx + dy * dy or 1.0
        for y in range(max(0, int(min(ay, by) - reach)), min(size, int(max(ay, by) + reach) + 1)):
            row = coverage[y]
            py = y + 0.5 - ay
            for x in range(
                max(0, int(min(ax, bx) - reach)), min(size, int(max(ax, bx) + reach) + 1)
            ):
                px = x + 0.5 - ax
                # Distance from the pixel's centre to the segment; the edge is antialiased.
                t = min(1.0, max(0.0, (px * dx + py * dy) / length_squared))
                amount = half_width + 0.5 - math.hypot(px - t * dx, py - t * dy)
                if amount > row[x]:
                    row[x] = min(1.0, amount)

    shade = rng.uniform(-12, 12)  # uneven lighting, left to right
    backgrounds = [paper + shade * (x / size - 0.5) for x in range(size)]
    # Gaussian paper grain: a random byte per pixel picks a quantile of N(0, noise).
    grain = [NormalDist(0, noise).inv_cdf((byte + 0.5) / 256) for byte in range(256)]
    pixels = bytearray()
    for y in range(size):
        pixels.append(0)  # PNG filter type "None" for this row
        row = coverage[y]
        for x, byte in enumerate(rng.randbytes(size)):
            background = backgrounds[x]
            value = background + (ink - background) * row[x] + grain[byte]
            pixels.append(min(255, max(0, round(value))))
    return png_encode_grayscale(width=size, height=size, rows=bytes(pixels))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = binascii.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_encode_grayscale(*, width: int, height: int, rows: bytes) -> bytes:
    """An 8-bit grayscale PNG; `rows` holds each row's filter byte and then its pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(rows, 9)),
            _png_chunk(b"IEND", b""),
        ]
    )


def digit_images_store() -> list[tuple[str, str]]:
    """Render the demo's digit images into the default storage (demo/digits/<n>.png),
    six of each digit in a fixed shuffled order, skipping any already there. Returns
    (storage path, digit) per image, in manifest order."""
    digits = DIGIT_LABELS * (DIGIT_IMAGES // len(DIGIT_LABELS))
    random.Random(7).shuffle(digits)  # noqa: S311 - a fixed demo order
    images = []
    for number, digit in enumerate(digits, start=1):
        path = f"{DIGITS_FOLDER}/{number}.png"
        if not default_storage.exists(path):
            default_storage.save(path, ContentFile(digit_render(digit, seed=number)))
        images.append((path, digit))
    return images


# The jobs.


def demo_job_specs() -> list[DemoJob]:
    images = digit_images_store()
    digits = DemoJob(
        fields={
            "name": "digits",
            "label_attribute_name": "digit",
            "task_type": "image-classification",
            "label_category_config": {
                "document-version": "2018-11-28",
                "labels": [{"label": label} for label in DIGIT_LABELS],
            },
            "title": "Which digit is written here?",
            "description": "Handwritten-style digits 0-9 for Acme Vision's meter-reading model.",
            "short_instructions": "<p>Pick the <b>one</b> digit shown in the picture.</p>",
            "full_instructions": (
                "<p>Each picture shows exactly one digit from 0 to 9, written by hand on "
                "paper. Choose the digit you see.</p><ul><li>A slanted or smudged digit is "
                "still that digit.</li><li>If you really can't tell, return the task rather "
                "than guess.</li></ul>"
            ),
            "reward": Decimal("0.05"),
            "workers_per_object": 3,
            "gold_rate": Decimal("0.1"),
            "task_time_limit_seconds": 300,
            "task_availability_lifetime_seconds": AVAILABILITY_SECONDS,
            "workforce": None,
        },
        manifest_lines=[
            {"source-ref": path, "image-id": f"digit-{number:03d}"}
            for number, (path, _digit) in enumerate(images, start=1)
        ],
        answers=[digit for _path, digit in images],
        work_done=[8, 8, 5],
        gold_lines=4,
        rules=(
            {
                "collector": "gold_accuracy",
                "operator": "lt",
                "value": 0.5,
                "min_answers": 3,
                "action": "remove_from_job",
                "reason": "Most of your answers to tasks with a known answer were wrong.",
            },
        ),
    )
    sentiment = DemoJob(
        fields={
            "name": "product-review-sentiment",
            "label_attribute_name": "sentiment",
            "task_type": "text-classification",
            "label_category_config": {
                "document-version": "2018-11-28",
                "labels": [{"label": label} for label in SENTIMENT_LABELS],
            },
            "title": "Sentiment of product reviews",
            "description": "Is the customer happy, unhappy, or just stating facts?",
            "short_instructions": (
                "<p>Read the review and pick <b>positive</b>, <b>negative</b> or "
                "<b>neutral</b>.</p>"
            ),
            "full_instructions": (
                "<p>Judge what the reviewer feels about the product.</p><ul><li><b>positive"
                "</b>: pleased, would recommend.</li><li><b>negative</b>: disappointed, "
                "something went wrong.</li><li><b>neutral</b>: only facts, or no opinion."
                "</li></ul>"
            ),
            "reward": Decimal("0.03"),
            "workers_per_object": 3,
            "task_time_limit_seconds": 180,
            "task_availability_lifetime_seconds": AVAILABILITY_SECONDS,
            "workforce": None,
        },
        manifest_lines=[
            {"source": text, "review-id": f"review-{number:03d}"}
            for number, (text, _sentiment) in enumerate(REVIEWS, start=1)
        ],
        answers=[sentiment for _text, sentiment in REVIEWS],
        work_done=[6, 6, 4],
    )
    return [digits, sentiment]


def manifest_bytes(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def demo_job_ensure(*, owner: User, organization: Organization, spec: DemoJob) -> LabelingJob:
    """The demo job named in `spec`, created, given its manifest and launched; an existing
    launched job is returned as it is."""
    job = LabelingJob.objects.filter(
        organization=organization, name__iexact=spec.fields["name"]
    ).first()
    if job is not None and job.status != JobStatus.DRAFT:
        return job
    # One transaction, so a manifest the site refuses leaves no half-made job behind.
    with transaction.atomic():
        if job is None:
            job = job_create(actor=owner, organization=organization, **spec.fields)
        if not DataObject.objects.filter(job=job).exists():
            manifest_import(
                actor=owner, job=job, stream=BytesIO(manifest_bytes(spec.manifest_lines))
            )
        for rule in spec.rules:
            quality_rule_create(actor=owner, job=job, **rule)
        return job_launch(actor=owner, job=job)


def demo_work_do(*, job: LabelingJob, spec: DemoJob, workers: list[WorkerProfile]) -> int:
    """Have each worker in `workers` claim and submit HITs of `job` until they have done
    `spec.work_done[position]` of them. Mostly right; the second worker now and then
    slips, so some labels come out with less than full agreement. Returns how many
    assignments it submitted (0 once the work is done)."""
    submitted = 0
    # By the object's manifest line, so that gold questions (copies of manifest lines,
    # placed after them) get their right answers too.
    right = {
        json.dumps(line, sort_keys=True): answer
        for line, answer in zip(spec.manifest_lines, spec.answers, strict=True)
    }
    for position, (worker, target) in enumerate(zip(workers, spec.work_done, strict=False)):
        done = Assignment.objects.filter(hit__job=job, worker=worker).count()
        for _ in range(target - done):
            assignment = assignment_claim_next(worker=worker, job=job)
            if assignment is None:
                break
            line_number = assignment.hit.data_object.line_number
            answer = right[json.dumps(assignment.hit.data_object.data, sort_keys=True)]
            labels = job.labels
            if position == 1 and line_number % 4 == 0:
                answer = labels[(labels.index(answer) + 1) % len(labels)]
            assignment_submit(
                worker=worker,
                assignment=assignment,
                answer={"label": answer},
                active_seconds=3 + (line_number * 7 + position * 5) % 17,
            )
            submitted += 1
    return submitted


def demo_gold_ensure(*, owner: User, job: LabelingJob, spec: DemoJob) -> None:
    """The job's gold questions: copies of its first manifest lines with their right
    answers. Added after the demo work, so that work (and the figures the demo shows) is
    the same on every run; the workers' next tasks may then be gold."""
    if not spec.gold_lines or job.gold_questions.exists():
        return
    gold_add(
        actor=owner,
        job=job,
        items=[
            {"data": line, "answer": {"label": answer}}
            for line, answer in zip(
                spec.manifest_lines[: spec.gold_lines], spec.answers[: spec.gold_lines], strict=True
            )
        ],
    )


def demo_jobs_create(
    *, owner: User, organization: Organization, workers: list[WorkerProfile]
) -> list[LabelingJob]:
    """Acme Vision's running demo jobs (digit images, review sentiment), each with HITs
    already done by the first three of `workers`. Idempotent: a second call changes
    nothing.

    Runs each service in its own transaction: call it outside an open transaction.
    """
    jobs = []
    for spec in demo_job_specs():
        job = demo_job_ensure(owner=owner, organization=organization, spec=spec)
        demo_work_do(job=job, spec=spec, workers=workers)
        demo_gold_ensure(owner=owner, job=job, spec=spec)
        job.refresh_from_db()
        jobs.append(job)
    return jobs
