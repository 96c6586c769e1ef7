"""API v1 routes for qualifications and worker blocks (included from marketplace.api.urls)."""

from django.urls import path

from workforce.apis import WorkerBlockDetailApi, WorkerBlockListApi
from workforce.qualification_apis import (
    JobRequirementsApi,
    QualificationGrantListApi,
    QualificationRevokeApi,
    QualificationTypeDetailApi,
    QualificationTypeListApi,
    SystemQualificationTypeListApi,
    WorkQualificationListApi,
)

TYPES = "organizations/<int:organization_id>/qualification-types/"
TYPE = f"{TYPES}<str:type_id>/"

urlpatterns = [
    path(TYPES, QualificationTypeListApi.as_view(), name="api-qualification-types"),
    path(TYPE, QualificationTypeDetailApi.as_view(), name="api-qualification-type"),
    path(f"{TYPE}grants/", QualificationGrantListApi.as_view(), name="api-qualification-grants"),
    path(
        f"{TYPE}grants/<str:worker_id>/revoke/",
        QualificationRevokeApi.as_view(),
        name="api-qualification-revoke",
    ),
    path(
        "qualification-types/system/",
        SystemQualificationTypeListApi.as_view(),
        name="api-system-qualification-types",
    ),
    path(
        "jobs/<int:job_id>/qualification-requirements/",
        JobRequirementsApi.as_view(),
        name="api-job-qualification-requirements",
    ),
    path(
        "work/qualifications/", WorkQualificationListApi.as_view(), name="api-work-qualifications"
    ),
    path(
        "organizations/<int:organization_id>/worker-blocks/",
        WorkerBlockListApi.as_view(),
        name="api-worker-blocks",
    ),
    path(
        "organizations/<int:organization_id>/worker-blocks/<str:worker_id>/",
        WorkerBlockDetailApi.as_view(),
        name="api-worker-block",
    ),
]
