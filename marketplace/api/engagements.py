"""API for engagements (requesters hiring vendors), jobs routed to a vendor, and ratings."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.api.serializers import MAX_DATABASE_INTEGER, query_filters
from jobs.models import JobStatus
from jobs.tasktypes import task_type_choices
from marketplace.api.pagination import CursorPagination, paginated_response
from marketplace.api.permissions import request_bound_organization
from marketplace.api.serializers import OutputSerializer, StrictInputSerializer, error_responses
from marketplace.engagements import (
    MAX_EXPECTED_OBJECTS,
    engagement_accept,
    engagement_cancel,
    engagement_decline,
    engagement_end,
    engagement_request,
    vendor_rating_create,
)
from marketplace.models import EngagementStatus
from marketplace.selectors import organization_access, vendor_profile_get
from marketplace.vendor_selectors import (
    engagement_access,
    engagement_list,
    organization_job_access,
    vendor_job_eligible_workers,
    vendor_job_list,
    vendor_rating_get,
)


def _organization(request, organization_id, *, manage: bool = False):
    organization, _membership = organization_access(
        actor=request.user,
        organization_id=organization_id,
        manage=manage,
        only=request_bound_organization(request),
    )
    return organization


# Engagements.


class EngagementListingSerializer(OutputSerializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class EngagementOrganizationSerializer(OutputSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EngagementVendorSerializer(OutputSerializer):
    organization_id = serializers.IntegerField()
    display_name = serializers.CharField()


class EngagementSerializer(OutputSerializer):
    id = serializers.IntegerField()
    listing = EngagementListingSerializer()
    requester = EngagementOrganizationSerializer()
    vendor = EngagementVendorSerializer()
    task_type = serializers.CharField()
    price_per_object = serializers.DecimalField(
        max_digits=18, decimal_places=4, help_text="The listing's price when asked."
    )
    currency = serializers.CharField()
    expected_objects = serializers.IntegerField()
    message = serializers.CharField()
    status = serializers.ChoiceField(choices=EngagementStatus.choices)
    response_reason = serializers.CharField(help_text="The vendor's reason, when it declined.")
    responded_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class EngagementFilterSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=[("requester", "requester"), ("vendor", "vendor")],
        required=False,
        help_text="requester: engagements you asked for; vendor: requests to you. Both if absent.",
    )
    status = serializers.ChoiceField(choices=EngagementStatus.choices, required=False)


def _engagement_response(organization, engagement, *, status_code: int = 200) -> Response:
    engagement = engagement_access(organization=organization, engagement_id=engagement.pk)
    return Response(EngagementSerializer(engagement).data, status=status_code)


class EngagementListApi(APIView):
    pagination_class = CursorPagination

    class InputSerializer(StrictInputSerializer):
        listing = serializers.IntegerField(min_value=1, max_value=MAX_DATABASE_INTEGER)
        task_type = serializers.ChoiceField(choices=task_type_choices())
        expected_objects = serializers.IntegerField(min_value=1, max_value=MAX_EXPECTED_OBJECTS)
        message = serializers.CharField(max_length=2000, allow_blank=True, required=False)

    @extend_schema(
        operation_id="engagements_list",
        parameters=[EngagementFilterSerializer],
        responses={200: EngagementSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int):
        filters = query_filters(EngagementFilterSerializer, request)
        organization = _organization(request, organization_id)
        engagements = engagement_list(organization=organization, role=filters.get("role"))
        if "status" in filters:
            engagements = engagements.filter(status=filters["status"])
        return paginated_response(
            view=self, request=request, queryset=engagements, serializer_class=EngagementSerializer
        )

    @extend_schema(
        operation_id="engagements_create",
        description="Ask a vendor, on one of its published listings, to label for you.",
        request=InputSerializer,
        responses={201: EngagementSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, organization_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organization = _organization(request, organization_id)
        engagement = engagement_request(
            actor=request.user,
            requester=organization,
            listing_id=data["listing"],
            task_type=data["task_type"],
            expected_objects=data["expected_objects"],
            message=data.get("message", ""),
        )
        return _engagement_response(organization, engagement, status_code=status.HTTP_201_CREATED)


class EngagementDetailApi(APIView):
    @extend_schema(
        operation_id="engagements_retrieve",
        responses={200: EngagementSerializer, **error_responses(404)},
    )
    def get(self, request, organization_id: int, engagement_id: int):
        organization = _organization(request, organization_id)
        engagement = engagement_access(organization=organization, engagement_id=engagement_id)
        return Response(EngagementSerializer(engagement).data)


class EngagementAcceptApi(APIView):
    @extend_schema(
        operation_id="engagements_accept",
        description="The vendor's owners and admins take the request on.",
        request=None,
        responses={200: EngagementSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request, organization_id: int, engagement_id: int):
        organization = _organization(request, organization_id)
        engagement = engagement_accept(
            actor=request.user, organization=organization, engagement_id=engagement_id
        )
        return _engagement_response(organization, engagement)


class ReasonInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=1024, allow_blank=True, required=False)


class EngagementDeclineApi(APIView):
    @extend_schema(
        operation_id="engagements_decline",
        description="The vendor's owners and admins turn the request down.",
        request=ReasonInputSerializer,
        responses={200: EngagementSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, organization_id: int, engagement_id: int):
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = _organization(request, organization_id)
        engagement = engagement_decline(
            actor=request.user,
            organization=organization,
            engagement_id=engagement_id,
            reason=serializer.validated_data.get("reason", ""),
        )
        return _engagement_response(organization, engagement)


class EngagementCancelApi(APIView):
    @extend_schema(
        operation_id="engagements_cancel",
        description="The requester withdraws a request the vendor has not answered.",
        request=None,
        responses={200: EngagementSerializer, **error_responses(404, 409)},
    )
    def post(self, request, organization_id: int, engagement_id: int):
        organization = _organization(request, organization_id)
        engagement = engagement_cancel(
            actor=request.user, organization=organization, engagement_id=engagement_id
        )
        return _engagement_response(organization, engagement)


class EngagementEndApi(APIView):
    @extend_schema(
        operation_id="engagements_end",
        description="Either side ends an accepted engagement; running jobs finish.",
        request=ReasonInputSerializer,
        responses={200: EngagementSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, organization_id: int, engagement_id: int):
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = _organization(request, organization_id)
        engagement = engagement_end(
            actor=request.user,
            organization=organization,
            engagement_id=engagement_id,
            reason=serializer.validated_data.get("reason", ""),
        )
        return _engagement_response(organization, engagement)


# Jobs routed to a vendor.


class EligibleWorkerSerializer(OutputSerializer):
    worker_id = serializers.CharField()
    display_name = serializers.CharField()


class VendorJobSerializer(OutputSerializer):
    """A job routed to the vendor: its settings and counters, never its data or answers."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    task_type = serializers.CharField()
    status = serializers.CharField(help_text="The job's status: " + ", ".join(JobStatus.values))
    requester = EngagementOrganizationSerializer(source="organization")
    engagement = serializers.IntegerField(source="engagement_id")
    total_objects = serializers.IntegerField()
    human_labeled = serializers.IntegerField()
    machine_labeled = serializers.IntegerField()
    failed_objects = serializers.IntegerField()
    open_hits = serializers.IntegerField()
    launched_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    eligible_workers = serializers.SerializerMethodField()

    @extend_schema_field(EligibleWorkerSerializer(many=True))
    def get_eligible_workers(self, job) -> list:
        workers = vendor_job_eligible_workers(job=job).order_by("worker_id")
        return EligibleWorkerSerializer(workers, many=True).data


class VendorJobListApi(APIView):
    """The vendor's owners and admins see the jobs routed to it and who may do them."""

    pagination_class = CursorPagination

    @extend_schema(
        operation_id="vendor_jobs_list",
        responses={200: VendorJobSerializer(many=True), **error_responses(400, 403, 404)},
    )
    def get(self, request, organization_id: int):
        organization = _organization(request, organization_id, manage=True)
        vendor_profile_get(organization=organization)
        return paginated_response(
            view=self,
            request=request,
            queryset=vendor_job_list(organization=organization),
            serializer_class=VendorJobSerializer,
        )


# Ratings.


class VendorRatingSerializer(OutputSerializer):
    job = serializers.IntegerField(source="job_id")
    engagement = serializers.IntegerField(source="engagement_id")
    score = serializers.IntegerField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class VendorRatingApi(APIView):
    class InputSerializer(StrictInputSerializer):
        score = serializers.IntegerField(min_value=1, max_value=5)
        comment = serializers.CharField(max_length=2000, allow_blank=True, required=False)

    @extend_schema(
        operation_id="vendor_rating_retrieve",
        responses={200: VendorRatingSerializer, **error_responses(404)},
    )
    def get(self, request, organization_id: int, job_id: int):
        organization = _organization(request, organization_id)
        job = organization_job_access(organization=organization, job_id=job_id)
        return Response(VendorRatingSerializer(vendor_rating_get(job=job)).data)

    @extend_schema(
        operation_id="vendor_rating_create",
        description="Rate the vendor's work on a finished job routed through an engagement.",
        request=InputSerializer,
        responses={201: VendorRatingSerializer, **error_responses(400, 404, 409)},
    )
    def post(self, request, organization_id: int, job_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = _organization(request, organization_id)
        rating = vendor_rating_create(
            actor=request.user,
            organization=organization,
            job_id=job_id,
            score=serializer.validated_data["score"],
            comment=serializer.validated_data.get("comment", ""),
        )
        return Response(VendorRatingSerializer(rating).data, status=status.HTTP_201_CREATED)
