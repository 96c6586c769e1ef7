"""The manifest importer: Ground Truth's JSON Lines rules, whole-manifest refusal with every
bad line listed, draft-only appends, organization scoping and bounded queries."""

import io
import json

import pytest

from jobs import manifests
from jobs.manifests import MAX_LINE_CHARACTERS, manifest_import
from jobs.models import DataObject, JobEvent, JobStatus
from marketplace.exceptions import Conflict, InvalidInput, NotFound
from marketplace.models import MembershipRole
from tests.concurrency import run_at_once
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory, RunningJobFactory
from tests.marketplace.factories import MembershipFactory, UserFactory
from tests.snapshots import database_snapshot
from workforce.models import Workforce, WorkforceKind

pytestmark = pytest.mark.django_db

GOOD = '{"source-ref": "https://example.com/a.png"}'


@pytest.fixture
def job():
    return LabelingJobFactory()


@pytest.fixture
def requester(job):
    return MembershipFactory(organization=job.organization, role=MembershipRole.MEMBER).user


def manifest(*lines: str | bytes, ending: bytes = b"\n", final_ending: bool = True) -> io.BytesIO:
    encoded = [line if isinstance(line, bytes) else line.encode() for line in lines]
    body = ending.join(encoded) + (ending if final_ending else b"")
    return io.BytesIO(body)


def refusal(*, actor, job, stream) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        manifest_import(actor=actor, job=job, stream=stream)
    return caught.value


# The happy path.


def test_import_creates_objects_in_order_keeping_extra_keys(job, requester):
    lines = [
        {"source-ref": "https://example.com/1.png", "camera": "north", "prior": {"label": 2}},
        {"source-ref": "https://example.com/2.png"},
        {"source-ref": "https://example.com/3.png", "tags": ["a", "é"], "score": 0.5},
    ]

    result = manifest_import(
        actor=requester, job=job, stream=manifest(*(json.dumps(line) for line in lines))
    )

    objects = list(DataObject.objects.filter(job=job).order_by("line_number"))
    assert [(item.line_number, item.data) for item in objects] == [
        (1, lines[0]),
        (2, lines[1]),
        (3, lines[2]),
    ]
    assert (result.objects, result.first_line_number, result.last_line_number) == (3, 1, 3)
    assert result.already_imported is False
    job.refresh_from_db()
    assert job.total_objects == 3
    event = JobEvent.objects.get(job=job)
    assert (event.kind, event.actor, event.data["objects"]) == ("manifest_imported", requester, 3)
    assert event.data["sha256"] == result.sha256


def test_text_manifest_with_crlf_endings_and_no_final_newline(requester):
    job = LabelingJobFactory(task_type="text-classification", labels=["good", "bad"])
    MembershipFactory(organization=job.organization, user=requester)
    stream = manifest(
        '{"source": "Great product"}',
        '{"source": "Broke after a day", "id": 7}',
        ending=b"\r\n",
        final_ending=False,
    )

    manifest_import(actor=requester, job=job, stream=stream)

    assert list(
        DataObject.objects.filter(job=job).order_by("line_number").values_list("data", flat=True)
    ) == [
        {"source": "Great product"},
        {"source": "Broke after a day", "id": 7},
    ]


def test_a_byte_order_mark_before_the_first_line_is_ignored(job, requester):
    manifest_import(actor=requester, job=job, stream=io.BytesIO(b"\xef\xbb\xbf" + GOOD.encode()))

    assert DataObject.objects.get(job=job).data == json.loads(GOOD)


def test_a_second_manifest_appends_after_the_existing_objects(job, requester):
    manifest_import(actor=requester, job=job, stream=manifest(GOOD, GOOD))

    result = manifest_import(
        actor=requester, job=job, stream=manifest('{"source-ref": "https://example.com/b.png"}')
    )

    assert (result.first_line_number, result.last_line_number) == (3, 3)
    assert list(
        DataObject.objects.filter(job=job)
        .order_by("line_number")
        .values_list("line_number", flat=True)
    ) == [1, 2, 3]
    job.refresh_from_db()
    assert job.total_objects == 3


def test_the_same_manifest_twice_imports_once(job, requester):
    body = b"\n".join([GOOD.encode(), b'{"source-ref": "https://example.com/b.png"}'])
    first = manifest_import(actor=requester, job=job, stream=io.BytesIO(body))
    before = database_snapshot()

    again = manifest_import(actor=requester, job=job, stream=io.BytesIO(body))

    assert again.already_imported is True
    assert (again.objects, again.first_line_number, again.last_line_number) == (2, 1, 2)
    assert again.sha256 == first.sha256
    assert database_snapshot() == before


def test_owners_and_admins_import_too(job):
    for role in (MembershipRole.OWNER, MembershipRole.ADMIN):
        actor = MembershipFactory(organization=job.organization, role=role).user
        manifest_import(
            actor=actor, job=job, stream=manifest(f'{{"source-ref": "https://x.org/{role}.png"}}')
        )

    job.refresh_from_db()
    assert job.total_objects == 2


def test_storage_paths_of_the_organizations_own_jobs_are_accepted(job, requester):
    sibling = LabelingJobFactory(organization=job.organization)
    stream = manifest(
        json.dumps({"source-ref": f"jobs/{job.pk}/a.png"}),
        json.dumps({"source-ref": f"jobs/{sibling.pk}/b.png"}),
    )

    result = manifest_import(actor=requester, job=job, stream=stream)

    assert result.objects == 2


def test_a_shared_prefix_set_by_the_operator_is_accepted(job, requester, settings):
    settings.TASK_DATA_SHARED_PREFIXES = ["datasets/"]

    result = manifest_import(
        actor=requester, job=job, stream=manifest('{"source-ref": "datasets/digits/1.png"}')
    )

    assert result.objects == 1


# Every kind of bad line: one bad line refuses the manifest and names it.

BAD_LINES = [
    pytest.param(
        '{"source-ref": ', "not valid JSON (Expecting value at column 16).", id="bad-json"
    ),
    pytest.param("[1, 2]", "not a JSON object; each line must be one {...} object.", id="array"),
    pytest.param(
        '"just text"', "not a JSON object; each line must be one {...} object.", id="string"
    ),
    pytest.param('{"name": "a.png"}', 'The line has no "source-ref".', id="missing-source"),
    pytest.param(
        '{"source": "a cat"}',
        'The line has "source", but image-classification needs "source-ref".',
        id="wrong-source-key",
    ),
    pytest.param("", "empty line; each line must hold one JSON object.", id="empty"),
    pytest.param("   \t", "empty line; each line must hold one JSON object.", id="blank"),
    pytest.param(
        b'{"source-ref": "https://x.org/\xff.png"}',
        "not UTF-8 text (byte 31 of the line).",
        id="bad-utf8",
    ),
    pytest.param(
        '{"source-ref": "https://x.org/a.png", "$meta": 1}',
        'attribute "$meta": names can\'t start with "$".',
        id="dollar-key",
    ),
    pytest.param(
        json.dumps({"source-ref": "https://x.org/a.png", "note": "n" * 19_999}),
        'attribute "note" is longer than 20,000 characters.',
        id="attribute-too-long",
    ),
    pytest.param(
        json.dumps({"source-ref": "https://x.org/a.png", "boxes": [{"x": 1}] * 2_500}),
        'attribute "boxes" is longer than 20,000 characters.',
        id="nested-attribute-too-long",
    ),
    pytest.param(
        '{"source-ref": "https://x.org/a.png", "v": [' + ",".join(["1e15"] * 1_100) + "]}",
        'attribute "v" is longer than 20,000 characters.',
        id="attribute-too-long-once-written-out",  # 5,500 characters in the line
    ),
    pytest.param(
        json.dumps(
            {"source-ref": "https://x.org/a.png", **{f"k{i}": "v" * 19_000 for i in range(6)}}
        ),
        "longer than 100,000 characters.",
        id="line-too-long",
    ),
    pytest.param(
        '{"source-ref": "ftp://x.org/a.png"}',
        '"source-ref" must be an http(s) URL, an s3:// URI or a storage path, '
        'not a "ftp:" reference.',
        id="bad-scheme",
    ),
    pytest.param(
        '{"source-ref": "javascript:alert(1)"}',
        '"source-ref" must be an http(s) URL, an s3:// URI or a storage path, '
        'not a "javascript:" reference.',
        id="javascript-scheme",
    ),
    pytest.param(
        '{"source-ref": "s3://bucket/a.png"}',
        "s3:// references need S3 storage (STORAGE_BACKEND=s3); this site keeps files on its "
        "own file system. Upload the file or use an http(s) URL.",
        id="s3-without-s3-storage",
    ),
    pytest.param(
        '{"source-ref": "../secrets.txt"}',
        '"source-ref" must not contain ".." segments.',
        id="dot-dot",
    ),
    pytest.param(
        '{"source-ref": "https://x.org/a.png", "x": NaN}', "NaN is not a JSON number.", id="nan"
    ),
    pytest.param(
        '{"source-ref": "https://x.org/a.png", "x": 1e999}',
        "the number 1e999 is too large.",
        id="infinity",
    ),
    pytest.param(
        '{"source-ref": "https://x.org/a.png", "x": "a\\u0000b"}',
        "holds \\u0000 or a lone surrogate (\\ud800-\\udfff), which can't be stored.",
        id="nul",
    ),
    pytest.param(
        '{"source-ref": "https://x.org/a.png", "x": "\\ud800"}',
        "holds \\u0000 or a lone surrogate (\\ud800-\\udfff), which can't be stored.",
        id="lone-surrogate",
    ),
]


@pytest.mark.parametrize(("bad_line", "reason"), BAD_LINES)
def test_a_bad_line_refuses_the_whole_manifest(job, requester, bad_line, reason):
    before = database_snapshot()

    error = refusal(actor=requester, job=job, stream=manifest(GOOD, bad_line, GOOD))

    assert error.message == "The manifest has 1 bad line."
    assert error.code == "manifest_invalid"
    assert error.fields == {"manifest": [f"line 2: {reason}"]}
    assert database_snapshot() == before


def test_a_storage_path_of_another_organization_is_refused(job, requester):
    stranger = LabelingJobFactory()
    before = database_snapshot()

    error = refusal(
        actor=requester,
        job=job,
        stream=manifest(json.dumps({"source-ref": f"jobs/{stranger.pk}/secret.png"})),
    )

    assert error.fields == {
        "manifest": [
            "line 1: source-ref path is not in this organization's storage; upload the file to "
            "the job (it is stored under jobs/<job id>/) or use an http(s) URL."
        ]
    }
    assert database_snapshot() == before


def test_a_storage_path_outside_the_job_folders_is_refused(job, requester):
    error = refusal(
        actor=requester, job=job, stream=manifest('{"source-ref": "exports/1/out.manifest"}')
    )

    assert error.fields["manifest"][0].startswith(
        "line 1: source-ref path is not in this organization's"
    )


def test_a_line_longer_than_the_read_limit_is_skipped_and_the_count_goes_on(job, requester):
    # 100,001 four-byte characters: more bytes than one read takes, so the rest is drained.
    huge = json.dumps(
        {"source-ref": "https://x.org/a.png", "x": "😀" * 100_001}, ensure_ascii=False
    )
    before = database_snapshot()

    error = refusal(actor=requester, job=job, stream=manifest(huge, GOOD, "oops"))

    assert error.fields == {
        "manifest": [
            "line 1: longer than 100,000 characters.",
            "line 3: not valid JSON (Expecting value at column 1).",
        ]
    }
    assert database_snapshot() == before


def test_a_line_of_exactly_the_limit_is_accepted(job, requester):
    data = {"source-ref": "https://x.org/a.png", **{f"k{n}": "v" * 19_000 for n in range(5)}}
    compact = json.dumps(data)
    line = compact[:-1] + " " * (MAX_LINE_CHARACTERS - len(compact)) + "}"
    assert len(line) == MAX_LINE_CHARACTERS

    result = manifest_import(actor=requester, job=job, stream=manifest(line))

    assert result.objects == 1
    assert DataObject.objects.get(job=job).data == data


def test_several_bad_lines_are_all_listed_and_nothing_is_imported(job, requester):
    before = database_snapshot()
    lines = [
        GOOD,
        "{oops",
        GOOD,
        "42",
        GOOD,
        GOOD,
        '{"$x": 1, "source-ref": "https://x.org/a.png"}',
    ]
    lines += [GOOD] * 2_500 + ['{"source": "text"}']  # the good lines before it were written

    error = refusal(actor=requester, job=job, stream=manifest(*lines))

    assert error.message == "The manifest has 4 bad lines."
    assert error.fields == {
        "manifest": [
            "line 2: not valid JSON "
            "(Expecting property name enclosed in double quotes at column 2).",
            "line 4: not a JSON object; each line must be one {...} object.",
            'line 7: attribute "$x": names can\'t start with "$".',
            'line 2508: The line has "source", but image-classification needs "source-ref".',
        ]
    }
    assert database_snapshot() == before


def test_a_bad_line_after_thousands_of_written_rows_rolls_them_back(job, requester):
    before = database_snapshot()

    refusal(actor=requester, job=job, stream=manifest(*([GOOD] * 4_500), "nope"))

    assert database_snapshot() == before


def test_the_list_stops_at_a_thousand_lines_and_says_how_many_more(job, requester):
    error = refusal(actor=requester, job=job, stream=manifest(*(["x"] * 1_005)))

    assert error.message == "The manifest has 1,005 bad lines."
    listed = error.fields["manifest"]
    assert len(listed) == 1_001
    assert listed[0] == "line 1: not valid JSON (Expecting value at column 1)."
    assert listed[999].startswith("line 1000: ")
    assert listed[1_000] == "... and 5 more bad lines."
    assert not DataObject.objects.filter(job=job).exists()


def test_an_empty_manifest_is_refused(job, requester):
    error = refusal(actor=requester, job=job, stream=io.BytesIO(b""))

    assert (error.message, error.fields) == (
        "The manifest is empty.",
        {"manifest": ["The manifest has no lines."]},
    )


def test_a_manifest_past_the_object_limit_is_refused_counting_existing_objects(
    job, requester, monkeypatch
):
    monkeypatch.setattr(manifests, "MAX_OBJECTS_PER_JOB", 5)
    manifest_import(actor=requester, job=job, stream=manifest(GOOD, GOOD, GOOD))
    before = database_snapshot()

    error = refusal(actor=requester, job=job, stream=manifest(GOOD, GOOD, GOOD, "bad", GOOD))

    assert error.message == "The manifest has 2 bad lines."
    assert error.fields == {
        "manifest": [
            "line 3: a job holds at most 5 data objects and this one has 3; this line and "
            "every line after it is one too many.",
            "line 4: not valid JSON (Expecting value at column 1).",
        ]
    }
    assert database_snapshot() == before


def test_the_object_limit_is_one_hundred_thousand():
    assert manifests.MAX_OBJECTS_PER_JOB == 100_000


# Who may import, and when.


@pytest.mark.parametrize(
    "status", [JobStatus.RUNNING, JobStatus.PAUSED, JobStatus.COMPLETED, JobStatus.STOPPED]
)
def test_only_a_draft_job_takes_a_manifest(requester, status):
    job = RunningJobFactory(status=status)
    MembershipFactory(organization=job.organization, user=requester)
    before = database_snapshot()

    with pytest.raises(Conflict) as caught:
        manifest_import(actor=requester, job=job, stream=manifest(GOOD))

    assert caught.value.code == "job_not_draft"
    assert caught.value.message == f"Only a draft job takes a manifest; this job is {status}."
    assert database_snapshot() == before


def test_a_draft_that_already_has_objects_still_takes_more(job, requester):
    DataObjectFactory(job=job, line_number=1)

    result = manifest_import(actor=requester, job=job, stream=manifest(GOOD))

    assert (result.first_line_number, result.objects) == (2, 1)


def test_a_non_member_gets_not_found_and_nothing_changes(job):
    outsider = UserFactory()
    MembershipFactory(user=outsider)  # a member of some other organization
    before = database_snapshot()

    with pytest.raises(NotFound):
        manifest_import(actor=outsider, job=job, stream=manifest(GOOD))

    assert database_snapshot() == before


def test_a_large_import_uses_a_bounded_number_of_queries(
    job, requester, django_assert_max_num_queries
):
    stream = manifest(
        *(json.dumps({"source-ref": f"https://x.org/{n}.png", "n": n}) for n in range(20_000))
    )

    with django_assert_max_num_queries(25):
        result = manifest_import(actor=requester, job=job, stream=stream)

    assert result.objects == 20_000
    assert DataObject.objects.filter(job=job, line_number=20_000, data__n=19_999).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_into_one_job_queue_on_its_lock_and_number_on():
    # Transactional tests empty the tables afterwards, the data migration's row included.
    Workforce.objects.get_or_create(kind=WorkforceKind.PUBLIC, defaults={"name": "Public crowd"})
    job = LabelingJobFactory()
    actor = MembershipFactory(organization=job.organization).user
    bodies = [
        b"\n".join(f'{{"source-ref": "https://x.org/{who}/{n}.png"}}'.encode() for n in range(300))
        for who in ("a", "b", "c")
    ]

    outcomes = run_at_once(
        *[
            lambda body=body: manifest_import(actor=actor, job=job, stream=io.BytesIO(body))
            for body in bodies
        ]
    )

    assert all(not isinstance(outcome, Exception) for outcome in outcomes), outcomes
    ranges = sorted((outcome.first_line_number, outcome.last_line_number) for outcome in outcomes)
    assert ranges == [(1, 300), (301, 600), (601, 900)]
    job.refresh_from_db()
    assert job.total_objects == 900
    numbers = DataObject.objects.filter(job=job).order_by("line_number")
    assert list(numbers.values_list("line_number", flat=True)) == list(range(1, 901))
