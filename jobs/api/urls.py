"""API v1 routes of the jobs app: requesters' jobs, HITs and review; the workers' side."""

from django.urls import path, register_converter

from jobs.api.chaining import JobChainApi
from jobs.api.gold import (
    GoldSetDetailApi,
    GoldSetListApi,
    GoldSetQuestionDetailApi,
    GoldSetQuestionListApi,
    JobGoldDetailApi,
    JobGoldListApi,
)
from jobs.api.jobs import (
    HITDetailApi,
    JobDataFileApi,
    JobDataObjectListApi,
    JobDetailApi,
    JobHITListApi,
    JobLaunchApi,
    JobListApi,
    JobManifestApi,
    JobOutputApi,
    JobPauseApi,
    JobResponsesApi,
    JobResumeApi,
    JobStopApi,
)
from jobs.api.quality import JobQualityApi, JobQualityWorkerListApi
from jobs.api.quality_rules import QualityActionListApi, QualityRuleDetailApi, QualityRuleListApi
from jobs.api.review import (
    AssignmentApproveApi,
    AssignmentDetailApi,
    AssignmentListApi,
    AssignmentRejectApi,
    AssignmentsApproveApi,
    AssignmentsRejectApi,
)
from jobs.api.serializers import EntityIdConverter
from jobs.api.work import (
    WorkAssignmentDetailApi,
    WorkAssignmentListApi,
    WorkAssignmentReturnApi,
    WorkAssignmentSubmitApi,
    WorkEarningsApi,
    WorkHITAcceptApi,
    WorkJobListApi,
    WorkJobPreviewApi,
    WorkNextApi,
)
from jobs.api.work_notices import WorkNoticeListApi

register_converter(EntityIdConverter, "entity_id")

JOB = "jobs/<int:job_id>/"
ASSIGNMENT = "assignments/<entity_id:assignment_id>/"
WORK_ASSIGNMENT = "work/assignments/<entity_id:assignment_id>/"

urlpatterns = [
    # Requesters.
    path("jobs/", JobListApi.as_view(), name="api-jobs"),
    path(JOB, JobDetailApi.as_view(), name="api-job"),
    path(f"{JOB}manifest/", JobManifestApi.as_view(), name="api-job-manifest"),
    path(f"{JOB}files/", JobDataFileApi.as_view(), name="api-job-files"),
    path(f"{JOB}launch/", JobLaunchApi.as_view(), name="api-job-launch"),
    path(f"{JOB}pause/", JobPauseApi.as_view(), name="api-job-pause"),
    path(f"{JOB}resume/", JobResumeApi.as_view(), name="api-job-resume"),
    path(f"{JOB}stop/", JobStopApi.as_view(), name="api-job-stop"),
    path(f"{JOB}objects/", JobDataObjectListApi.as_view(), name="api-job-objects"),
    path(f"{JOB}hits/", JobHITListApi.as_view(), name="api-job-hits"),
    path(f"{JOB}output/", JobOutputApi.as_view(), name="api-job-output"),
    path(f"{JOB}responses/", JobResponsesApi.as_view(), name="api-job-responses"),
    path(f"{JOB}chain/", JobChainApi.as_view(), name="api-job-chain"),
    path(f"{JOB}gold/", JobGoldListApi.as_view(), name="api-job-gold"),
    path(f"{JOB}gold/<int:gold_id>/", JobGoldDetailApi.as_view(), name="api-job-gold-detail"),
    path("gold-sets/", GoldSetListApi.as_view(), name="api-gold-sets"),
    path("gold-sets/<int:gold_set_id>/", GoldSetDetailApi.as_view(), name="api-gold-set"),
    path(
        "gold-sets/<int:gold_set_id>/questions/",
        GoldSetQuestionListApi.as_view(),
        name="api-gold-set-questions",
    ),
    path(
        "gold-sets/<int:gold_set_id>/questions/<int:gold_id>/",
        GoldSetQuestionDetailApi.as_view(),
        name="api-gold-set-question",
    ),
    path(f"{JOB}quality/", JobQualityApi.as_view(), name="api-job-quality"),
    path(
        f"{JOB}quality/workers/", JobQualityWorkerListApi.as_view(), name="api-job-quality-workers"
    ),
    path(f"{JOB}quality-rules/", QualityRuleListApi.as_view(), name="api-job-quality-rules"),
    path(
        f"{JOB}quality-rules/<int:rule_id>/",
        QualityRuleDetailApi.as_view(),
        name="api-job-quality-rule",
    ),
    path(f"{JOB}quality-actions/", QualityActionListApi.as_view(), name="api-job-quality-actions"),
    path("hits/<entity_id:hit_id>/", HITDetailApi.as_view(), name="api-hit"),
    path("assignments/", AssignmentListApi.as_view(), name="api-assignments"),
    path("assignments/approve/", AssignmentsApproveApi.as_view(), name="api-assignments-approve"),
    path("assignments/reject/", AssignmentsRejectApi.as_view(), name="api-assignments-reject"),
    path(ASSIGNMENT, AssignmentDetailApi.as_view(), name="api-assignment"),
    path(f"{ASSIGNMENT}approve/", AssignmentApproveApi.as_view(), name="api-assignment-approve"),
    path(f"{ASSIGNMENT}reject/", AssignmentRejectApi.as_view(), name="api-assignment-reject"),
    # Workers.
    path("work/jobs/", WorkJobListApi.as_view(), name="api-work-jobs"),
    path("work/jobs/<int:job_id>/", WorkJobPreviewApi.as_view(), name="api-work-job"),
    path("work/next/", WorkNextApi.as_view(), name="api-work-next"),
    path(
        "work/hits/<entity_id:hit_id>/accept/", WorkHITAcceptApi.as_view(), name="api-work-accept"
    ),
    path("work/assignments/", WorkAssignmentListApi.as_view(), name="api-work-assignments"),
    path("work/earnings/", WorkEarningsApi.as_view(), name="api-work-earnings"),
    path("work/notices/", WorkNoticeListApi.as_view(), name="api-work-notices"),
    path(WORK_ASSIGNMENT, WorkAssignmentDetailApi.as_view(), name="api-work-assignment"),
    path(
        f"{WORK_ASSIGNMENT}submit/",
        WorkAssignmentSubmitApi.as_view(),
        name="api-work-assignment-submit",
    ),
    path(
        f"{WORK_ASSIGNMENT}return/",
        WorkAssignmentReturnApi.as_view(),
        name="api-work-assignment-return",
    ),
]
