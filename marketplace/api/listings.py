"""API for vendor listings: browsing the published ones, and a vendor managing its own."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.api.serializers import MAX_DATABASE_INTEGER, query_filters
from jobs.tasktypes import task_type_choices
from marketplace.api.pagination import CursorPagination
from marketplace.api.permissions import request_bound_organization
from marketplace.api.serializers import (
    LanguagesField,
    OutputSerializer,
    StrictInputSerializer,
    error_responses,
)
from marketplace.listings import (
    listing_create,
    listing_submit,
    listing_update,
    listing_withdraw,
)
from marketplace.models import (
    LANGUAGE_TAG_REGEX,
    ListingStatus,
    VendorListing,
)
from marketplace.models.vendors import (
    MAX_SAMPLE_OUTPUTS,
    SAMPLE_DESCRIPTION_LENGTH,
    SAMPLE_TITLE_LENGTH,
    SAMPLE_URL_LENGTH,
)
from marketplace.selectors import organization_access, vendor_profile_get
from marketplace.vendor_selectors import (
    DEFAULT_LISTING_ORDERING,
    LISTING_ORDERINGS,
    listing_access,
    listing_browse,
    listing_turnarounds,
    vendor_listing_access,
    vendor_listing_list,
)

MAX_TURNAROUND_HOURS = 24 * 365


# Output.


class ListingPriceSerializer(OutputSerializer):
    task_type = serializers.CharField()
    price_per_object = serializers.DecimalField(max_digits=18, decimal_places=4)
    currency = serializers.CharField()


class ListingVendorSerializer(OutputSerializer):
    organization_id = serializers.IntegerField()
    display_name = serializers.CharField()
    website = serializers.CharField()
    certifications = serializers.ListField(child=serializers.CharField())


class SampleOutputSerializer(OutputSerializer):
    title = serializers.CharField()
    description = serializers.CharField()
    url = serializers.CharField()


class RatingSummarySerializer(OutputSerializer):
    count = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True, help_text="From 1 to 5; null if unrated.")


class TurnaroundSerializer(OutputSerializer):
    promised_hours = serializers.IntegerField()
    jobs_measured = serializers.IntegerField(help_text="Completed jobs through the listing.")
    median_hours = serializers.FloatField(allow_null=True)
    on_time_share = serializers.FloatField(
        allow_null=True, help_text="Share of measured jobs finished within the promise, 0-1."
    )


class ListingSerializer(OutputSerializer):
    """A listing; `turnarounds` in the context holds listing_turnarounds() of the rows."""

    id = serializers.IntegerField()
    vendor = ListingVendorSerializer()
    title = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=ListingStatus.choices)
    status_reason = serializers.CharField(help_text="Why staff rejected or suspended it.")
    prices = ListingPriceSerializer(many=True)
    minimum_order_objects = serializers.IntegerField()
    turnaround_hours = serializers.IntegerField()
    capacity_objects_per_day = serializers.IntegerField()
    languages = serializers.ListField(child=serializers.CharField())
    sample_outputs = SampleOutputSerializer(many=True)
    rating = serializers.SerializerMethodField()
    turnaround = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(RatingSummarySerializer)
    def get_rating(self, listing: VendorListing) -> dict:
        average = listing.rating_average
        return {
            "count": listing.rating_count,
            "average": round(average, 2) if average is not None else None,
        }

    @extend_schema_field(TurnaroundSerializer)
    def get_turnaround(self, listing: VendorListing) -> dict:
        turnaround = self.context["turnarounds"][listing.pk]
        return {
            "promised_hours": turnaround.promised_hours,
            "jobs_measured": turnaround.jobs_measured,
            "median_hours": turnaround.median_hours,
            "on_time_share": turnaround.on_time_share,
        }


def listing_data(listing: VendorListing) -> dict:
    return ListingSerializer(listing, context={"turnarounds": listing_turnarounds([listing])}).data


def listing_page(*, view, request, queryset, ordering: tuple) -> Response:
    """One cursor page of listings, with their turnarounds in one more query."""
    paginator = view.pagination_class()
    paginator.ordering = ordering
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = ListingSerializer(
        page, many=True, context={"turnarounds": listing_turnarounds(page)}
    ).data
    return paginator.get_paginated_response(data)


# Input.


class ListingPriceInputSerializer(StrictInputSerializer):
    task_type = serializers.ChoiceField(choices=task_type_choices())
    price_per_object = serializers.DecimalField(
        max_digits=18,
        decimal_places=4,
        min_value=0,
        help_text='Per data object, as a decimal string ("0.0800"), at most 4 places.',
    )


class SampleOutputInputSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=SAMPLE_TITLE_LENGTH)
    description = serializers.CharField(
        max_length=SAMPLE_DESCRIPTION_LENGTH, allow_blank=True, required=False
    )
    url = serializers.URLField(max_length=SAMPLE_URL_LENGTH, allow_blank=True, required=False)


class ListingInputSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    # ListFields, not many=True: a list-level error then belongs to the field itself.
    prices = serializers.ListField(
        child=ListingPriceInputSerializer(),
        allow_empty=False,
        max_length=len(task_type_choices()),
        help_text="One price per task type offered; at least one.",
    )
    currency = serializers.RegexField(
        r"^[A-Z]{3}$", required=False, help_text="One currency for all prices (default USD)."
    )
    minimum_order_objects = serializers.IntegerField(
        min_value=1, max_value=MAX_DATABASE_INTEGER, required=False
    )
    turnaround_hours = serializers.IntegerField(min_value=1, max_value=MAX_TURNAROUND_HOURS)
    capacity_objects_per_day = serializers.IntegerField(min_value=1, max_value=MAX_DATABASE_INTEGER)
    languages = LanguagesField(required=False)
    sample_outputs = serializers.ListField(
        child=SampleOutputInputSerializer(), required=False, max_length=MAX_SAMPLE_OUTPUTS
    )


def _plain(validated: dict) -> dict:
    """Nested serializer output as plain dicts and lists, as the services take them."""
    fields = dict(validated)
    if "prices" in fields:
        fields["prices"] = [dict(price) for price in fields["prices"]]
    if "sample_outputs" in fields:
        fields["sample_outputs"] = [dict(sample) for sample in fields["sample_outputs"]]
    return fields


class ListingFilterSerializer(serializers.Serializer):
    task_type = serializers.ChoiceField(choices=task_type_choices(), required=False)
    language = serializers.RegexField(LANGUAGE_TAG_REGEX.pattern, max_length=35, required=False)
    max_price = serializers.DecimalField(
        max_digits=18,
        decimal_places=4,
        min_value=0,
        required=False,
        help_text="Highest price per object (for task_type, or any of the listing's prices).",
    )
    min_rating = serializers.DecimalField(
        max_digits=3, decimal_places=2, min_value=1, max_value=5, required=False
    )
    q = serializers.CharField(
        max_length=200, required=False, help_text="Words in the title, description or vendor."
    )
    ordering = serializers.ChoiceField(
        choices=list(LISTING_ORDERINGS), required=False, default=DEFAULT_LISTING_ORDERING
    )


# Browsing.


class ListingBrowseApi(APIView):
    """Published listings of every vendor, filtered and ordered."""

    pagination_class = CursorPagination

    @extend_schema(
        operation_id="listings_browse",
        parameters=[ListingFilterSerializer],
        responses={200: ListingSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        filters = dict(query_filters(ListingFilterSerializer, request))
        ordering = filters.pop("ordering")
        queryset = listing_browse(ordering=ordering, **filters)
        return listing_page(
            view=self, request=request, queryset=queryset, ordering=LISTING_ORDERINGS[ordering]
        )


class ListingDetailApi(APIView):
    """A published listing, or one of your own organization's in any status."""

    @extend_schema(
        operation_id="listings_retrieve",
        responses={200: ListingSerializer, **error_responses(404)},
    )
    def get(self, request, listing_id: int):
        listing = listing_access(
            actor=request.user, listing_id=listing_id, only=request_bound_organization(request)
        )
        return Response(listing_data(listing))


# The vendor's own listings.


def _vendor(request, organization_id, *, manage: bool):
    organization, _membership = organization_access(
        actor=request.user,
        organization_id=organization_id,
        manage=manage,
        only=request_bound_organization(request),
    )
    return vendor_profile_get(organization=organization)


class VendorListingListApi(APIView):
    """Members read all of their vendor's listings; owners and admins create them."""

    pagination_class = CursorPagination

    @extend_schema(
        operation_id="organization_listings_list",
        responses={200: ListingSerializer(many=True), **error_responses(400, 404)},
    )
    def get(self, request, organization_id: int):
        vendor = _vendor(request, organization_id, manage=False)
        return listing_page(
            view=self,
            request=request,
            queryset=vendor_listing_list(vendor=vendor),
            ordering=("-created_at", "-id"),
        )

    @extend_schema(
        operation_id="organization_listings_create",
        description="Create a draft listing; submit it for review to publish it.",
        request=ListingInputSerializer,
        responses={201: ListingSerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request, organization_id: int):
        serializer = ListingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vendor = _vendor(request, organization_id, manage=True)
        listing = listing_create(
            actor=request.user, vendor=vendor, **_plain(serializer.validated_data)
        )
        listing = vendor_listing_access(vendor=vendor, listing_id=listing.pk)
        return Response(listing_data(listing), status=status.HTTP_201_CREATED)


class VendorListingDetailApi(APIView):
    @extend_schema(
        operation_id="organization_listings_retrieve",
        responses={200: ListingSerializer, **error_responses(404)},
    )
    def get(self, request, organization_id: int, listing_id: int):
        vendor = _vendor(request, organization_id, manage=False)
        return Response(listing_data(vendor_listing_access(vendor=vendor, listing_id=listing_id)))

    @extend_schema(
        operation_id="organization_listings_update",
        description="Change a listing. A published listing goes back to review.",
        request=ListingInputSerializer,
        responses={200: ListingSerializer, **error_responses(400, 403, 404)},
    )
    def patch(self, request, organization_id: int, listing_id: int):
        serializer = ListingInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        vendor = _vendor(request, organization_id, manage=True)
        listing = vendor_listing_access(vendor=vendor, listing_id=listing_id)
        listing_update(actor=request.user, listing=listing, **_plain(serializer.validated_data))
        return Response(listing_data(vendor_listing_access(vendor=vendor, listing_id=listing_id)))


class _ListingActionApi(APIView):
    service = None

    def post(self, request, organization_id: int, listing_id: int):
        vendor = _vendor(request, organization_id, manage=True)
        listing = vendor_listing_access(vendor=vendor, listing_id=listing_id)
        type(self).service(actor=request.user, listing=listing)
        return Response(listing_data(vendor_listing_access(vendor=vendor, listing_id=listing_id)))


class VendorListingSubmitApi(_ListingActionApi):
    service = listing_submit

    @extend_schema(
        operation_id="organization_listings_submit",
        description="Send a draft for staff review (pending_review).",
        request=None,
        responses={200: ListingSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request, organization_id: int, listing_id: int):
        return super().post(request, organization_id, listing_id)


class VendorListingWithdrawApi(_ListingActionApi):
    service = listing_withdraw

    @extend_schema(
        operation_id="organization_listings_withdraw",
        description="Back to draft: out of review, or off the marketplace.",
        request=None,
        responses={200: ListingSerializer, **error_responses(403, 404, 409)},
    )
    def post(self, request, organization_id: int, listing_id: int):
        return super().post(request, organization_id, listing_id)
