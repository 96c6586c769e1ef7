"""Helpers for the audit tests (chaining, verification and adjustment jobs, rework): a
source job labeled through the real services, and answering a job's tasks."""

import json

from jobs.models import LabelingJob
from jobs.output import output_manifest_lines
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.jobs import job_launch
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.lifecycle import fresh, requester_of, workers


def answer_objects(job: LabelingJob, answers_per_object: list[list[dict]]) -> None:
    """Each object, in line order, answered by fresh workers with the given answers (the
    claim hands out objects in line order)."""
    for answers in answers_per_object:
        for worker, answer in zip(workers(len(answers)), answers, strict=True):
            assignment = assignment_claim_next(worker=worker, job=job)
            assert assignment is not None
            assignment_submit(worker=worker, assignment=assignment, answer=answer)


def labeled_source(
    capture, *, labels: list[str], organization=None, data=None, **job_kwargs
) -> tuple[LabelingJob, object]:
    """A source job (one worker per object) whose objects got `labels` (by name, in line
    order) and that completed, consolidated by majority vote; and a member of its
    organization. `capture` is pytest's
    django_capture_on_commit_callbacks, so consolidation runs as in production."""
    # Majority vote: the tests read vote shares as confidences (chained jobs copy it).
    kwargs = {"workers_per_object": 1, "consolidation_method": "majority-vote", **job_kwargs}
    if organization is not None:
        kwargs["organization"] = organization
    job = LabelingJobFactory(**kwargs)
    for number, _label in enumerate(labels):
        line = (data or {}).get(number) or {"source-ref": f"https://example.com/{number}.png"}
        DataObjectFactory(job=job, line_number=number + 1, data=line)
    actor = requester_of(job.organization)
    with capture(execute=True):
        job = job_launch(actor=actor, job=job)
        answer_objects(job, [[{"label": label}] for label in labels])
    return fresh(job), actor


def output_of(job: LabelingJob) -> list[dict]:
    return [json.loads(text) for text in output_manifest_lines(job=fresh(job))]
