"""A job's quality report: Fleiss' kappa, Krippendorff's alpha, percent agreement, per
label and per worker (accuracy against the consensus and against gold, skill with its
interval) matching hand-computed values; gold and rejected answers left out; cached; the
API and the job page, scoped to the requester's organization."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs.models import (
    AssignmentStatus,
    DataObjectStatus,
    GoldQuestion,
    HITStatus,
    JobWorker,
)
from jobs.quality_report import (
    job_quality_report,
    quality_report_cache_key,
    quality_report_compute,
)
from tests.jobs.api_support import requester_world
from tests.jobs.factories import AssignmentFactory, DataObjectFactory, HITFactory, RunningJobFactory
from tests.marketplace.api_support import NOT_FOUND, key_client, session_client
from tests.workforce.factories import WorkerProfileFactory

pytestmark = pytest.mark.django_db

# The fixture job (labels cat, dog, bird), three workers A, B, C on four objects:
#   object  A     B     C     consolidated
#   o1      cat   cat   cat   cat
#   o2      cat   cat   dog   cat
#   o3      dog   dog   dog   dog
#   o4      cat   dog   bird  cat
# plus D alone on o5 (unlabeled), a rejected answer of E on o1 ("bird"), and a gold
# question answered by A (right) and C (wrong, "bird"); neither of the last two counts.
ANSWERS = {
    "o1": ("cat", "cat", "cat"),
    "o2": ("cat", "cat", "dog"),
    "o3": ("dog", "dog", "dog"),
    "o4": ("cat", "dog", "bird"),
}
CONSOLIDATED = {"o1": "cat", "o2": "cat", "o3": "dog", "o4": "cat"}
LABELS = ["cat", "dog", "bird"]

# Per object, answers per label (cat, dog, bird): o1 (3,0,0), o2 (2,1,0), o3 (0,3,0),
# o4 (1,1,1); n = 3 answers each, so n(n-1) = 6 ordered pairs.
# Agreeing pairs P_i = sum n_ij (n_ij - 1) / 6: o1 6/6, o2 2/6, o3 6/6, o4 0/6.
# Percent agreement = mean P_i = (1 + 1/3 + 1 + 0) / 4 = 7/12.
PERCENT_AGREEMENT = 7 / 12
# Pooled shares p = 6/12, 5/12, 1/12; chance P_e = 36/144 + 25/144 + 1/144 = 31/72.
# Fleiss' kappa = (7/12 - 31/72) / (1 - 31/72) = (11/72) / (41/72) = 11/41.
FLEISS_KAPPA = 11 / 41
# Krippendorff (nominal): off-diagonal coincidences sum_u n_uc n_uk / (m_u - 1):
# o2 cat-dog both ways 2 * (2*1/2) = 2, o4 six ordered pairs of 1*1/2 = 3: D_o sum = 5.
# Expected: n^2 - sum n_c^2 = 144 - (36 + 25 + 1) = 82.
# alpha = 1 - (n - 1) * 5 / 82 = 1 - 55/82 = 27/82.
KRIPPENDORFF_ALPHA = 27 / 82
# Per-category kappa_j = 1 - D_j / (p_j (1 - p_j)), D_j = mean n_ij (3 - n_ij) / 6:
# cat: D = (0 + 2/6 + 0 + 2/6) / 4 = 1/6, p(1-p) = 1/4 -> 1 - 2/3 = 1/3.
# dog: D = (0 + 2/6 + 0 + 2/6) / 4 = 1/6, p(1-p) = 35/144 -> 1 - 24/35 = 11/35.
# bird: D = (2/6) / 4 = 1/12, p(1-p) = 11/144 -> 1 - 12/11 = -1/11.
PER_LABEL_KAPPA = {"cat": 1 / 3, "dog": 11 / 35, "bird": -1 / 11}


def _object(job, *, label: str | None, completed: int):
    hit = HITFactory(job=job, status=HITStatus.REVIEWABLE, assignments_completed=completed)
    if label is not None:
        data_object = hit.data_object
        data_object.status = DataObjectStatus.HUMAN_LABELED
        data_object.label = LABELS.index(label)
        data_object.label_metadata = {"class-name": label}
        data_object.confidence = 0.67
        data_object.labeled_at = timezone.now()
        data_object.save()
    return hit


def _answer(hit, worker, label, *, status=AssignmentStatus.SUBMITTED, **fields):
    return AssignmentFactory(
        hit=hit,
        worker=worker,
        status=status,
        answer={"label": label},
        submitted_at=timezone.now() - timedelta(minutes=5),
        **fields,
    )


def fixture_job(job=None):
    job = job or RunningJobFactory(labels=LABELS)
    a, b, c, d, e = WorkerProfileFactory.create_batch(5)
    for name, labels in ANSWERS.items():
        hit = _object(job, label=CONSOLIDATED[name], completed=3)
        for worker, label in zip((a, b, c), labels, strict=True):
            _answer(hit, worker, label)
        if name == "o1":
            _answer(hit, e, "bird", status=AssignmentStatus.REJECTED)
    _answer(_object(job, label=None, completed=1), d, "dog")
    question = GoldQuestion.objects.create(
        organization=job.organization,
        job=job,
        data={"source-ref": "https://example.com/gold.png"},
        expected_answer={"label": "cat"},
        created_by=job.created_by,
    )
    gold_object = DataObjectFactory(job=job, gold_question=question)
    gold_hit = HITFactory(job=job, data_object=gold_object, is_gold=True, max_assignments=100)
    _answer(gold_hit, a, "cat", gold_correct=True)
    _answer(gold_hit, c, "bird", gold_correct=False)
    return job, (a, b, c, d, e)


def rows_by_worker(report):
    return {row["worker_id"]: row for row in report["worker_rows"]}


def test_job_metrics_match_the_hand_computed_values():
    job, _workers = fixture_job()

    report = quality_report_compute(job=job)

    assert report["is_supported"] is True
    assert (report["answers"], report["objects"], report["objects_with_several_answers"]) == (
        13,
        5,
        4,
    )
    assert (report["workers"], report["labeled_objects"]) == (4, 4)
    assert report["percent_agreement"] == pytest.approx(PERCENT_AGREEMENT)
    assert report["fleiss_kappa"] == pytest.approx(FLEISS_KAPPA)
    assert report["krippendorff_alpha"] == pytest.approx(KRIPPENDORFF_ALPHA)
    assert report["labels"] == [
        {
            "label": "cat",
            "consolidated": 3,
            "share": 0.75,
            "answers": 6,
            "answer_share": pytest.approx(6 / 13),
            "kappa": pytest.approx(PER_LABEL_KAPPA["cat"]),
        },
        {
            "label": "dog",
            "consolidated": 1,
            "share": 0.25,
            "answers": 6,  # five on o1-o4 and D's on o5
            "answer_share": pytest.approx(6 / 13),
            "kappa": pytest.approx(PER_LABEL_KAPPA["dog"]),
        },
        {
            "label": "bird",
            "consolidated": 0,
            "share": 0.0,
            "answers": 1,
            "answer_share": pytest.approx(1 / 13),
            "kappa": pytest.approx(PER_LABEL_KAPPA["bird"]),
        },
    ]


def test_per_worker_accuracy_against_the_consensus_and_gold_with_skill():
    job, (a, b, c, d, e) = fixture_job()
    # B's gold was scored elsewhere into the job's counters: 9 of 10.
    JobWorker.objects.create(job=job, worker=b, submitted=14, gold_answered=10, gold_correct=9)

    report = quality_report_compute(job=job)
    rows = rows_by_worker(report)

    assert e.worker_id not in rows  # a rejected answer does not count
    # Against the consensus (cat, cat, dog, cat): A 4/4, B 3/4, C 2/4; D's object has none.
    assert [
        (rows[w.worker_id]["consensus_matched"], rows[w.worker_id]["consensus_answered"])
        for w in (a, b, c, d)
    ] == [(4, 4), (3, 4), (2, 4), (0, 0)]
    assert rows[c.worker_id]["consensus_accuracy"] == 0.5
    assert rows[d.worker_id]["consensus_accuracy"] is None
    # Against gold: A 1/1 and C 0/1 from the scored assignments, B 9/10 from the counters.
    assert [
        (rows[w.worker_id]["gold_correct"], rows[w.worker_id]["gold_answered"])
        for w in (a, b, c, d)
    ] == [(1, 1), (9, 10), (0, 1), (0, 0)]
    assert rows[b.worker_id]["gold_accuracy"] == 0.9
    # Skill, Beta(2, 1) prior: gold when there is gold, else agreement.
    skill_a = rows[a.worker_id]["skill"]
    assert skill_a["basis"] == "gold"
    assert skill_a["combined"]["mean"] == pytest.approx(3 / 4)  # Beta(2 + 1, 1 + 0)
    assert skill_a["agreement"]["mean"] == pytest.approx(6 / 7)  # Beta(2 + 4, 1 + 0)
    assert rows[b.worker_id]["skill"]["combined"]["mean"] == pytest.approx(11 / 13)
    assert rows[c.worker_id]["skill"]["combined"]["mean"] == pytest.approx(2 / 4)
    assert rows[d.worker_id]["skill"]["basis"] == "prior"
    for row in rows.values():
        combined = row["skill"]["combined"]
        assert combined["low"] <= combined["mean"] <= combined["high"]
    # Most answers first, then by worker id.
    assert [row["worker_id"] for row in report["worker_rows"]] == [
        *sorted(w.worker_id for w in (a, b, c)),
        d.worker_id,
    ]
    # The page's top workers: B's 9 of 10 gold is the surest; the weakest sure is C.
    assert report["top"][0]["worker_id"] == b.worker_id
    assert report["bottom"][0]["worker_id"] == c.worker_id


def test_a_job_without_agreement_yet_has_null_metrics():
    job = RunningJobFactory(labels=LABELS)
    _answer(_object(job, label="cat", completed=1), WorkerProfileFactory(), "cat")

    report = quality_report_compute(job=job)

    assert (report["answers"], report["objects_with_several_answers"]) == (1, 0)
    assert report["fleiss_kappa"] is None
    assert report["krippendorff_alpha"] is None
    assert report["percent_agreement"] is None
    assert [row["kappa"] for row in report["labels"]] == [None, None, None]
    assert report["labels"][0]["share"] == 1.0


def test_an_empty_job_reports_zeros():
    report = quality_report_compute(job=RunningJobFactory())

    assert (report["answers"], report["objects"], report["workers"]) == (0, 0, 0)
    assert report["worker_rows"] == []
    assert report["fleiss_kappa"] is None


def test_the_report_is_cached_for_a_minute(django_assert_num_queries):
    job, _workers = fixture_job()
    first = job_quality_report(job=job)
    _answer(_object(job, label="dog", completed=1), WorkerProfileFactory(), "dog")

    with django_assert_num_queries(0):
        again = job_quality_report(job=job)

    assert again == first
    cache.delete(quality_report_cache_key(job.pk))  # what the timeout does after 60 s
    assert job_quality_report(job=job)["answers"] == first["answers"] + 1


# The API.


@pytest.fixture
def world():
    return requester_world()


def test_the_api_gives_the_job_and_label_metrics(world):
    job, _workers = fixture_job(RunningJobFactory(organization=world.organization, labels=LABELS))

    response = session_client(world.owner).get(f"/api/v1/jobs/{job.pk}/quality/")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "job": job.pk,
        "computed_at": body["computed_at"],
        "is_supported": True,
        "answers": 13,
        "objects": 5,
        "objects_with_several_answers": 4,
        "workers": 4,
        "labeled_objects": 4,
        "fleiss_kappa": pytest.approx(FLEISS_KAPPA),
        "krippendorff_alpha": pytest.approx(KRIPPENDORFF_ALPHA),
        "percent_agreement": pytest.approx(PERCENT_AGREEMENT),
        "labels": [
            {
                "label": label,
                "consolidated": consolidated,
                "share": share,
                "answers": answers,
                "answer_share": pytest.approx(answers / 13),
                "kappa": pytest.approx(PER_LABEL_KAPPA[label]),
            }
            for label, consolidated, share, answers in (
                ("cat", 3, 0.75, 6),
                ("dog", 1, 0.25, 6),
                ("bird", 0, 0.0, 1),
            )
        ],
    }


def test_the_api_pages_the_workers_most_answers_first(world):
    job, (a, b, c, d, _e) = fixture_job(
        RunningJobFactory(organization=world.organization, labels=LABELS)
    )
    client = key_client(world.raw_key)
    first_three = sorted(w.worker_id for w in (a, b, c))

    first = client.get(f"/api/v1/jobs/{job.pk}/quality/workers/?limit=3")
    second = client.get(first.json()["next"])

    assert first.status_code == 200
    assert first.json()["count"] == 4
    assert [row["worker_id"] for row in first.json()["results"]] == first_three
    assert second.json()["previous"] is not None
    assert second.json()["next"] is None
    [row] = second.json()["results"]
    assert row == {
        "worker_id": d.worker_id,
        "answers": 1,
        "consensus_answered": 0,
        "consensus_matched": 0,
        "consensus_accuracy": None,
        "gold_answered": 0,
        "gold_correct": 0,
        "gold_accuracy": None,
        "skill": {
            "basis": "prior",
            "combined": row["skill"]["agreement"],
            "gold": {
                "correct": 0,
                "total": 0,
                "mean": pytest.approx(2 / 3),
                "low": pytest.approx(row["skill"]["agreement"]["low"]),
                "high": 1.0,
            },
            "agreement": {
                "correct": 0,
                "total": 0,
                "mean": pytest.approx(2 / 3),
                "low": pytest.approx(0.2047, abs=1e-4),  # 2/3 - 1.96 * sqrt(2/36)
                "high": 1.0,
            },
        },
    }


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "offset=-1", "limit=1&limit=2"])
def test_bad_paging_is_a_400_naming_the_parameter(world, query):
    job = RunningJobFactory(organization=world.organization)

    response = session_client(world.owner).get(f"/api/v1/jobs/{job.pk}/quality/workers/?{query}")

    assert response.status_code == 400
    name = query.split("=")[0]
    assert response.json()["fields"] == {name: [response.json()["fields"][name][0]]}
    assert "whole number" in response.json()["fields"][name][0]


def test_another_organizations_job_is_a_404(world):
    job, _workers = fixture_job(RunningJobFactory(organization=world.other_organization))

    for path in ("quality/", "quality/workers/"):
        by_session = session_client(world.owner).get(f"/api/v1/jobs/{job.pk}/{path}")
        by_key = key_client(world.raw_key).get(f"/api/v1/jobs/{job.pk}/{path}")
        assert (by_session.status_code, by_session.json()) == (404, NOT_FOUND)
        assert (by_key.status_code, by_key.json()) == (404, NOT_FOUND)
    assert cache.get(quality_report_cache_key(job.pk)) is None  # nothing computed


def test_a_worker_cannot_read_a_jobs_quality(world):
    job, (a, *_rest) = fixture_job(RunningJobFactory(organization=world.organization))

    for path in ("quality/", "quality/workers/"):
        response = session_client(a.user).get(f"/api/v1/jobs/{job.pk}/{path}")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_the_job_page_shows_the_quality_section(world):
    job, (a, b, c, _d, _e) = fixture_job(
        RunningJobFactory(organization=world.organization, labels=LABELS)
    )
    JobWorker.objects.create(job=job, worker=b, submitted=14, gold_answered=10, gold_correct=9)
    client = session_client(world.owner)

    response = client.get(f"/jobs/{job.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="quality"' in html
    assert '<dd data-metric="fleiss_kappa">0.268</dd>' in html  # 11/41
    assert '<dd data-metric="krippendorff_alpha">0.329</dd>' in html  # 27/82
    assert '<dd data-metric="percent_agreement">58%</dd>' in html  # 7/12
    assert '<tr data-label="cat">' in html
    assert f'data-worker-id="{b.worker_id}"' in html
    assert "9 of 10" in html  # the counts behind B's skill


def test_a_draft_job_page_has_no_quality_section(world):
    job = RunningJobFactory(organization=world.organization, status="draft")

    response = session_client(world.owner).get(f"/jobs/{job.pk}/")

    assert response.status_code == 200
    assert 'id="quality"' not in response.content.decode()


def _queries_for_workers_page(client, job) -> int:
    cache.delete(quality_report_cache_key(job.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/jobs/{job.pk}/quality/workers/")
    assert response.status_code == 200
    return len(queries)


def test_the_workers_page_costs_the_same_queries_at_one_and_at_many_workers(world):
    client = key_client(world.raw_key)
    small = RunningJobFactory(organization=world.organization, labels=LABELS)
    _answer(_object(small, label="cat", completed=1), WorkerProfileFactory(), "cat")
    large, _workers = fixture_job(RunningJobFactory(organization=world.organization, labels=LABELS))
    for worker in WorkerProfileFactory.create_batch(10):
        _answer(_object(large, label="dog", completed=1), worker, "dog")
        JobWorker.objects.create(job=large, worker=worker, submitted=1)
    _queries_for_workers_page(client, small)  # warm the API key's own bookkeeping

    assert _queries_for_workers_page(client, small) == _queries_for_workers_page(client, large)
