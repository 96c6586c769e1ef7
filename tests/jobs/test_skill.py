"""Worker skill: the Beta posterior of accuracy (prior Beta(2, 1)) with its 95% interval,
the gold-else-agreement rule, per job with stand-ins for counters still at zero, and the
cross-job sums in one query."""

import pytest

from jobs.models import JobWorker
from jobs.services.skill import (
    AGREEMENT,
    GOLD,
    NO_EVIDENCE,
    cross_job_counts,
    cross_job_skills,
    job_worker_skills,
    skill_estimate,
    skill_estimates,
    worker_skills,
)
from tests.jobs.factories import RunningJobFactory
from tests.workforce.factories import WorkerProfileFactory


def test_the_posterior_mean_adds_the_prior_to_the_counts():
    # Beta(2 + 8, 1 + 2): mean 10 / 13.
    estimate = skill_estimate(8, 10)

    assert (estimate.correct, estimate.total) == (8, 10)
    assert estimate.mean == pytest.approx(10 / 13)
    assert estimate.low < estimate.mean < estimate.high


def test_without_evidence_the_prior_is_all_there_is():
    # Beta(2, 1): mean 2/3, sd sqrt(2 * 1 / (3^2 * 4)) = 0.2357; mean + 1.96 sd > 1, clipped.
    estimate = skill_estimate(0, 0)

    assert estimate.mean == pytest.approx(2 / 3)
    assert estimate.low == pytest.approx(2 / 3 - 1.959964 * (2 / 36) ** 0.5, abs=1e-6)
    assert estimate.high == 1.0


def test_the_interval_narrows_with_more_answers_at_the_same_accuracy():
    few, some, many = skill_estimates([4, 40, 400], [5, 50, 500])

    widths = [estimate.high - estimate.low for estimate in (few, some, many)]
    assert widths[0] > widths[1] > widths[2]
    assert few.low < some.low < many.low  # more evidence of 80%: surer it is high
    assert many.mean == pytest.approx(402 / 503)


def test_the_prior_is_configurable(settings):
    settings.WORKER_SKILL_PRIOR = (1.0, 1.0)

    assert skill_estimate(3, 4).mean == pytest.approx(4 / 6)


def test_combined_skill_is_gold_when_the_worker_answered_gold_else_agreement():
    with_gold, agreement_only, nothing = worker_skills(
        gold_correct=[3, 0, 0],
        gold_answered=[4, 0, 0],
        agreement_matched=[1, 9, 0],
        agreement_answered=[10, 10, 0],
    )

    assert (with_gold.basis, with_gold.combined) == (GOLD, with_gold.gold)
    assert with_gold.combined.mean == pytest.approx(5 / 7)
    assert (agreement_only.basis, agreement_only.combined) == (AGREEMENT, agreement_only.agreement)
    assert agreement_only.combined.mean == pytest.approx(11 / 13)
    assert nothing.basis == NO_EVIDENCE
    assert nothing.combined.mean == pytest.approx(2 / 3)


@pytest.mark.django_db
def test_job_skills_read_the_counters_and_use_stand_ins_only_where_they_are_zero():
    job = RunningJobFactory()
    counted, uncounted, only_answers = WorkerProfileFactory.create_batch(3)
    JobWorker.objects.create(
        job=job,
        worker=counted,
        submitted=12,
        gold_answered=4,
        gold_correct=4,
        agreement_answered=8,
        agreement_matched=6,
    )
    JobWorker.objects.create(job=job, worker=uncounted, submitted=5)

    skills = job_worker_skills(
        job_id=job.pk,
        agreement_counts={counted.pk: (100, 0), uncounted.pk: (5, 4), only_answers.pk: (2, 2)},
        gold_counts={uncounted.pk: (2, 1)},
    )

    assert set(skills) == {counted.pk, uncounted.pk, only_answers.pk}
    # The counters win over the stand-ins when they are set.
    assert (skills[counted.pk].agreement.correct, skills[counted.pk].agreement.total) == (6, 8)
    assert skills[counted.pk].combined.mean == pytest.approx(6 / 7)  # gold: Beta(2 + 4, 1 + 0)
    assert (skills[uncounted.pk].gold.correct, skills[uncounted.pk].gold.total) == (1, 2)
    assert (skills[uncounted.pk].agreement.correct, skills[uncounted.pk].agreement.total) == (4, 5)
    assert skills[only_answers.pk].basis == AGREEMENT


@pytest.mark.django_db
def test_cross_job_figures_are_the_sums_over_the_workers_jobs_in_one_query(
    django_assert_num_queries,
):
    first, second, third = RunningJobFactory.create_batch(3)
    worker, other, newcomer = WorkerProfileFactory.create_batch(3)
    JobWorker.objects.create(
        job=first,
        worker=worker,
        gold_answered=10,
        gold_correct=9,
        agreement_answered=30,
        agreement_matched=25,
    )
    JobWorker.objects.create(
        job=second,
        worker=worker,
        gold_answered=5,
        gold_correct=5,
        agreement_answered=20,
        agreement_matched=20,
    )
    JobWorker.objects.create(job=third, worker=other, agreement_answered=7, agreement_matched=3)

    with django_assert_num_queries(1):
        counts = cross_job_counts(worker_ids=[worker.pk, other.pk, newcomer.pk])

    # worker: gold 9 + 5 of 10 + 5, agreement 25 + 20 of 30 + 20.
    assert counts == {
        worker.pk: (14, 15, 45, 50),
        other.pk: (0, 0, 3, 7),
        newcomer.pk: (0, 0, 0, 0),
    }
    skills = cross_job_skills(worker_ids=[worker.pk, other.pk, newcomer.pk])
    assert skills[worker.pk].basis == GOLD
    assert skills[worker.pk].combined.mean == pytest.approx(16 / 18)  # Beta(2 + 14, 1 + 1)
    assert skills[other.pk].basis == AGREEMENT
    assert skills[other.pk].combined.mean == pytest.approx(5 / 10)  # Beta(2 + 3, 1 + 4)
    assert skills[newcomer.pk].basis == NO_EVIDENCE
