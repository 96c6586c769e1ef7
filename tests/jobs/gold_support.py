"""Helpers for the gold tests: jobs with gold placed, workers with gold due, and claims
and submits through the dispatch services. It holds no tests itself."""

from decimal import Decimal

from jobs.models import JobWorker, LabelingJob
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.gold import gold_add
from jobs.services.jobs import job_launch
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.lifecycle import requester_of


def gold_item(number: int, *, label: str = "cat") -> dict:
    return {
        "data": {"source-ref": f"https://example.com/gold/{number}.png"},
        "answer": {"label": label},
    }


def gold_job(
    *, objects: int = 3, gold: int = 2, gold_rate: str = "0.2", **job_kwargs
) -> tuple[LabelingJob, object]:
    """A launched job with `objects` data objects and `gold` gold questions (labels cat,
    dog, bird; every gold answer "cat"), added while a draft and placed at launch."""
    job_kwargs.setdefault("workers_per_object", 1)
    job = LabelingJobFactory(gold_rate=Decimal(gold_rate), **job_kwargs)
    DataObjectFactory.create_batch(objects, job=job)
    actor = requester_of(job.organization)
    if gold:
        gold_add(actor=actor, job=job, items=[gold_item(number) for number in range(gold)])
    return job_launch(actor=actor, job=job), actor


def gold_due(*, job: LabelingJob, worker, submitted: int = 1) -> None:
    """Make the worker's next task in the job a gold question (as a submit's draw would)."""
    JobWorker.objects.update_or_create(
        job=job, worker=worker, defaults={"next_gold": True, "submitted": submitted}
    )


def claim_and_submit(*, job: LabelingJob, worker, label: str = "cat"):
    assignment = assignment_claim_next(worker=worker, job=job)
    if assignment is None:
        return None
    return assignment_submit(worker=worker, assignment=assignment, answer={"label": label})
