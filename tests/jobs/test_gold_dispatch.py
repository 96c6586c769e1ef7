"""Gold in dispatch: the submit draws whether the next task is gold (the warm-up schedule),
the claim serves a due gold question first (least shown first, each at most once per
worker, normal work when none is left), on the one-statement path and the queryset path
alike, and concurrent claims of one worker never share a gold HIT."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count

from jobs.models import HIT, Assignment, JobStatus, JobWorker
from jobs.services import dispatch, statements
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.jobs import job_pause
from tests.concurrency import run_at_once
from tests.jobs.gold_support import claim_and_submit, gold_due, gold_job
from tests.jobs.lifecycle import fresh, workers
from workforce.selectors import public_crowd_get

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["one statement", "queryset path"])
def dispatch_path(request, monkeypatch):
    """Every test runs on PostgreSQL's one-statement claim and submit and on the queryset
    path they fall back to (SQLite's)."""
    if request.param == "queryset path":
        monkeypatch.setattr(dispatch, "_claim_in_one_statement", lambda **_kwargs: None)
        monkeypatch.setattr(dispatch, "_submit_in_one_statement", lambda **_kwargs: None)
    return request.param


def fixed_draw(monkeypatch, value: float) -> None:
    monkeypatch.setattr(dispatch, "gold_draw", lambda: value)


def standing(job, worker) -> JobWorker:
    return JobWorker.objects.get(job=job, worker=worker)


# The submit's draw.


def test_a_low_draw_makes_the_next_task_gold_and_a_high_one_does_not(monkeypatch):
    job, _ = gold_job(objects=4, gold=1, gold_rate="0.1")
    worker = workers(1)[0]

    fixed_draw(monkeypatch, 0.29)  # rate(1) = 0.1 * (1 + 2 e^-0.1) = 0.281: not gold
    claim_and_submit(job=job, worker=worker)
    assert standing(job, worker).next_gold is False
    fixed_draw(monkeypatch, 0.27)  # rate(2) = 0.264: not gold
    claim_and_submit(job=job, worker=worker)
    assert standing(job, worker).next_gold is False
    fixed_draw(monkeypatch, 0.25)  # rate(3) = 0.248: not gold; rate(2) would have been
    claim_and_submit(job=job, worker=worker)
    assert standing(job, worker).next_gold is False
    fixed_draw(monkeypatch, 0.2)  # rate(4) = 0.234: gold
    claim_and_submit(job=job, worker=worker)
    assert standing(job, worker).next_gold is True
    assert standing(job, worker).submitted == 4


def test_a_job_with_gold_rate_0_never_draws_gold(monkeypatch):
    job, _ = gold_job(objects=2, gold=2, gold_rate="0")
    worker = workers(1)[0]
    fixed_draw(monkeypatch, 0.0)

    claim_and_submit(job=job, worker=worker)
    following = claim_and_submit(job=job, worker=worker)

    assert standing(job, worker).next_gold is False
    assert not following.hit.is_gold


def test_with_a_fixed_draw_gold_comes_early_and_stops_as_the_rate_decays(monkeypatch):
    """rate(n) = min(0.5, 0.2 (1 + 2 e^(-n/10))) is above 0.35 up to n = 9, below after."""
    job, _ = gold_job(objects=30, gold=20, gold_rate="0.2")
    worker = workers(1)[0]
    fixed_draw(monkeypatch, 0.35)

    kinds = []
    for _ in range(24):
        kinds.append(claim_and_submit(job=job, worker=worker).hit.is_gold)

    # Task 1 is real (no draw yet); after each of submits 1..9 the next task is gold.
    assert kinds[0] is False
    assert all(kinds[1:10])
    assert not any(kinds[10:])


# The claim.


def test_due_gold_is_served_first_and_clears_the_flag():
    job, _ = gold_job(objects=3, gold=1)
    worker = workers(1)[0]
    gold_due(job=job, worker=worker)

    first = assignment_claim_next(worker=worker, job=job)
    assignment_submit(worker=worker, assignment=first, answer={"label": "cat"})
    JobWorker.objects.filter(job=job, worker=worker).update(next_gold=False)
    second = assignment_claim_next(worker=worker, job=job)

    assert first.hit.is_gold
    assert first.hit.data_object.gold_question_id is not None
    assert not second.hit.is_gold
    assert fresh(first.hit).assignments_completed == 1
    assert fresh(job).open_hits == 3


def test_gold_is_not_served_when_not_due(monkeypatch):
    job, _ = gold_job(objects=2, gold=2)
    worker = workers(1)[0]
    fixed_draw(monkeypatch, 0.99)

    claimed = [claim_and_submit(job=job, worker=worker) for _ in range(2)]

    assert not any(assignment.hit.is_gold for assignment in claimed)


def test_each_gold_once_per_worker_then_normal_work(monkeypatch):
    job, _ = gold_job(objects=5, gold=2)
    worker = workers(1)[0]
    fixed_draw(monkeypatch, 0.99)  # only gold_due makes gold due

    served = []
    for _ in range(4):
        gold_due(job=job, worker=worker)
        served.append(claim_and_submit(job=job, worker=worker))

    assert [assignment.hit.is_gold for assignment in served] == [True, True, False, False]
    assert len({assignment.hit_id for assignment in served}) == 4
    # The last claim found no gold left: the flag was cleared, and the submit drew no gold.
    assert standing(job, worker).next_gold is False


def test_the_pool_rotates_least_shown_first():
    job, _ = gold_job(objects=5, gold=3)
    gold_hits = list(HIT.objects.filter(job=job, is_gold=True).order_by("id"))
    first, second, third, fourth = workers(4)
    for worker in (first, second, third, fourth):
        gold_due(job=job, worker=worker)

    a = claim_and_submit(job=job, worker=first)  # gold 0 (all unshown: by id)
    b = assignment_claim_next(worker=second, job=job)  # gold 1 (gold 0 shown once)
    c = assignment_claim_next(worker=third, job=job)  # gold 2
    d = assignment_claim_next(worker=fourth, job=job)  # all shown once: gold 0 by id

    assert [x.hit_id for x in (a, b, c, d)] == [
        gold_hits[0].pk,
        gold_hits[1].pk,
        gold_hits[2].pk,
        gold_hits[0].pk,
    ]


def test_a_paused_job_serves_no_gold():
    job, actor = gold_job(objects=2, gold=1)
    worker = workers(1)[0]
    gold_due(job=job, worker=worker)
    job_pause(actor=actor, job=job)

    assert assignment_claim_next(worker=worker, job=job) is None
    assert fresh(job).status == JobStatus.PAUSED


def test_gold_in_another_job_is_served_when_claiming_anywhere():
    job, _ = gold_job(objects=1, gold=1)
    worker = workers(1)[0]
    gold_due(job=job, worker=worker)

    claimed = assignment_claim_next(worker=worker)

    assert claimed.hit.is_gold
    assert claimed.hit.job_id == job.pk


def test_without_gold_due_the_claim_reads_no_gold_hit(dispatch_path):
    """EXPLAIN ANALYZE of the one-statement claim for a worker with nothing due: the gold
    pick's scan of the HITs never runs (nor its eligibility and email checks), only the
    probe of the worker's due JobWorker rows does."""
    if dispatch_path != "one statement":
        pytest.skip("the statement's plan")
    job, _ = gold_job(objects=2, gold=2)
    worker = workers(1)[0]
    params = {
        "now": fresh(job).launched_at,
        "worker": worker.pk,
        "user": worker.user_id,
        "email": worker.user.email,
        "assignment_id": "A" * 30,
        "job": job.pk,
    }
    sql = statements.claim_sql(one_job=True, with_job=True)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0][0]["Plan"]

    nodes = []

    def walk(node):
        nodes.append(node)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan)
    by_alias = {}
    for node in nodes:
        by_alias.setdefault(node.get("Alias"), []).append(node["Actual Loops"])
    # The due probe (job_worker_next_gold on a real table) runs once; the gold pick's
    # scan of the HITs, its eligibility and its email check never run.
    assert by_alias["due_standing"] == [1]
    assert by_alias["gold_hit"] == [0]
    assert sorted(by_alias["open_job"] + by_alias["open_job_1"]) == [0, 1]
    assert sorted(by_alias["address"] + by_alias["address_1"]) == [0, 1]
    assert Assignment.objects.filter(hit__is_gold=False, worker=worker).count() == 1


# Concurrency.


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_claims_of_one_worker_never_get_the_same_gold(round_):
    public_crowd_get()
    job, _ = gold_job(objects=4, gold=1, gold_rate=str(Decimal("0.2")))
    worker = workers(1)[0]
    gold_due(job=job, worker=worker)

    outcomes = run_at_once(*[lambda: assignment_claim_next(worker=worker, job=job)] * 4)

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    claimed = [outcome for outcome in outcomes if outcome is not None]
    assert sum(assignment.hit.is_gold for assignment in claimed) <= 1
    duplicates = Assignment.objects.values("hit", "worker").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    assert len({assignment.hit_id for assignment in claimed}) == len(claimed)
