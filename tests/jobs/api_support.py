"""Helpers shared by the jobs API test modules: a requester world, workers with work, and
the exact bodies the API renders. It holds no tests itself."""

from decimal import Decimal
from types import SimpleNamespace

from jobs.models import HIT, Assignment, LabelingJob
from jobs.services.dispatch import assignment_claim_next, assignment_submit
from jobs.services.jobs import job_launch
from marketplace.services import api_key_create
from payments.money import money_quantize
from tests.jobs.factories import DataObjectFactory, LabelingJobFactory
from tests.jobs.lifecycle import fresh, job_fields, requester_of
from tests.marketplace.api_support import iso, organization_with_owner
from tests.workforce.factories import WorkerProfileFactory


def requester_world() -> SimpleNamespace:
    """An organization with its owner and an API key, and another organization with its
    owner (the outsider)."""
    organization, owner = organization_with_owner()
    api_key, raw_key = api_key_create(actor=owner, organization=organization, name="CI")
    other_organization, outsider = organization_with_owner()
    return SimpleNamespace(
        organization=organization,
        owner=owner,
        api_key=api_key,
        raw_key=raw_key,
        other_organization=other_organization,
        outsider=outsider,
    )


def create_body(organization, **overrides) -> dict:
    """A valid POST /api/v1/jobs/ body."""
    body = {**job_fields(reward="0.05"), "organization": organization.pk}
    body.update(overrides)
    return body


def running_job(organization, *, objects: int = 2, **job_kwargs) -> LabelingJob:
    """A job of `organization` launched through the API's service, with its HITs out."""
    job = LabelingJobFactory(organization=organization, **job_kwargs)
    DataObjectFactory.create_batch(objects, job=job)
    return job_launch(actor=requester_of(organization), job=job)


def submitted_assignment(job: LabelingJob, *, label: str = "cat", worker=None) -> Assignment:
    worker = worker or WorkerProfileFactory()
    assignment = assignment_claim_next(worker=worker, job=job)
    return assignment_submit(worker=worker, assignment=assignment, answer={"label": label})


def job_body(job: LabelingJob) -> dict:
    job = fresh(job)
    return {
        "id": job.pk,
        "organization": job.organization_id,
        "name": job.name,
        "label_attribute_name": job.label_attribute_name,
        "task_type": job.task_type,
        "labels": job.labels,
        "label_category_config": job.label_category_config,
        "title": job.title,
        "description": job.description,
        "short_instructions": job.short_instructions,
        "full_instructions": job.full_instructions,
        "reward": str(money_quantize(job.reward)),
        "currency": job.currency,
        "workers_per_object": job.workers_per_object,
        "task_time_limit_seconds": job.task_time_limit_seconds,
        "task_availability_lifetime_seconds": job.task_availability_lifetime_seconds,
        "auto_approval_delay_seconds": job.auto_approval_delay_seconds,
        "max_concurrent_tasks": job.max_concurrent_tasks,
        "max_human_labeled_objects": job.max_human_labeled_objects,
        "max_percentage_labeled": job.max_percentage_labeled,
        "workforce": job.workforce_id if job.workforce.organization_id else None,
        "engagement": job.engagement_id,
        "teams": sorted(job.teams.values_list("pk", flat=True)),
        "contains_personal_information": job.contains_personal_information,
        "consolidation_method": job.consolidation_method,
        "gold_rate": str(job.gold_rate.quantize(Decimal("0.001"))),
        "gold_set": job.gold_set_id,
        "max_workers_per_object": job.max_workers_per_object,
        "target_confidence": job.target_confidence,
        "source_job": job.source_job_id,
        "source_label_attribute_name": job.source_label_attribute_name,
        "status": job.status,
        "failure_reason": job.failure_reason,
        "label_counters": {
            "total_labeled": job.human_labeled + job.machine_labeled,
            "human_labeled": job.human_labeled,
            "machine_labeled": job.machine_labeled,
            "failed_non_retryable_error": job.failed_objects,
            "unlabeled": job.unlabeled,
            "total": job.total_objects,
        },
        "created_at": iso(job.created_at),
        "launched_at": iso(job.launched_at),
        "expires_at": iso(job.expires_at),
        "ended_at": iso(job.ended_at),
    }


def hit_body(hit: HIT) -> dict:
    hit = fresh(hit)
    return {
        "HITId": hit.hit_id,
        "HITStatus": hit.status,
        "MaxAssignments": hit.max_assignments,
        "NumberOfAssignmentsPending": hit.assignments_pending,
        "NumberOfAssignmentsAvailable": hit.assignments_available,
        "NumberOfAssignmentsCompleted": hit.assignments_completed,
        "Expiration": iso(hit.expires_at),
        "CreationTime": iso(hit.created_at),
        "line_number": hit.data_object.line_number,
        "is_gold": hit.is_gold,
    }


def review_body(assignment: Assignment) -> dict:
    """An assignment as its requester sees it."""
    assignment = fresh(assignment)
    return {
        "AssignmentId": assignment.assignment_id,
        "WorkerId": assignment.worker.worker_id,
        "HITId": assignment.hit.hit_id,
        "AssignmentStatus": assignment.status,
        "AutoApprovalTime": iso(assignment.auto_approval_at),
        "AcceptTime": iso(assignment.accepted_at),
        "SubmitTime": iso(assignment.submitted_at),
        "ApprovalTime": iso(assignment.approved_at),
        "RejectionTime": iso(assignment.rejected_at),
        "Deadline": iso(assignment.deadline),
        "Answer": assignment.answer,
        "RequesterFeedback": assignment.requester_feedback,
        "ActiveSeconds": assignment.active_seconds,
    }


def work_assignment_body(assignment: Assignment) -> dict:
    """An assignment as its worker sees it in their list."""
    assignment = fresh(assignment)
    job = assignment.hit.job
    return {
        "AssignmentId": assignment.assignment_id,
        "HITId": assignment.hit.hit_id,
        "Title": job.title,
        "AssignmentStatus": assignment.status,
        "Reward": str(money_quantize(job.reward)),
        "Currency": job.currency,
        "AcceptTime": iso(assignment.accepted_at),
        "SubmitTime": iso(assignment.submitted_at),
        "Deadline": iso(assignment.deadline),
        "RequesterFeedback": assignment.requester_feedback,
    }


def task_job_body(job: LabelingJob) -> dict:
    """All a worker ever sees of a job."""
    return {
        "id": job.pk,
        "title": job.title,
        "description": job.description,
        "short_instructions": job.short_instructions,
        "full_instructions": job.full_instructions,
        "labels": job.labels,
        "task_type": job.task_type,
        "reward": str(money_quantize(job.reward)),
        "currency": job.currency,
    }
