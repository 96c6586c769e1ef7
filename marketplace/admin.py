"""Django admin for users, organizations, members, invitations, API keys and their audit rows,
and for the vendor marketplace: listings (moderated through the services), engagements and
ratings."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import models
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html

from jobs.tasktypes import task_type_choices
from marketplace.exceptions import DomainError
from marketplace.listings import (
    listing_approve,
    listing_reinstate,
    listing_reject,
    listing_suspend,
)
from marketplace.models import (
    ApiKey,
    ApiKeyUse,
    Engagement,
    EngagementEvent,
    Invitation,
    InvitationStatus,
    ListingEvent,
    ListingStatus,
    Membership,
    Organization,
    OrganizationEvent,
    User,
    VendorListing,
    VendorListingPrice,
    VendorProfile,
    VendorRating,
)
from marketplace.services import api_key_revoke, invitation_revoke

REVOKE_REASON = "Revoked by staff in the admin."


class ReadOnlyAdmin(admin.ModelAdmin):
    """For audit rows: they are written by services only and never edited or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def run_service_action(
    model_admin, request, queryset, service, keyword: str, verb: str, **extra
) -> None:
    """Call `service(actor=request.user, <keyword>=obj, **extra)` per object; report each."""
    done = 0
    for obj in queryset:
        try:
            service(actor=request.user, **{keyword: obj}, **extra)
        except DomainError as error:
            model_admin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        else:
            done += 1
    if done:
        model_admin.message_user(request, f"{verb} {done} of {len(queryset)}.", messages.SUCCESS)


class EmailUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin with the email as the login and no username."""

    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("email", "full_name", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    date_hierarchy = "date_joined"


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)
    fields = ("user", "role", "created_at")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "member_count", "is_vendor", "created_by", "created_at")
    list_filter = (("vendor_profile", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("name", "slug", "created_by__email")
    date_hierarchy = "created_at"
    list_select_related = ("created_by", "vendor_profile")
    autocomplete_fields = ("created_by",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at")
    inlines = (MembershipInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj: Organization) -> int:
        return obj.member_count

    @admin.display(description="Vendor", boolean=True)
    def is_vendor(self, obj: Organization) -> bool:
        return hasattr(obj, "vendor_profile")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "user__full_name", "organization__name")
    date_hierarchy = "created_at"
    list_select_related = ("user", "organization")
    autocomplete_fields = ("user", "organization")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are sent through the service (so the email goes out); here they are
    watched, their expiry extended, or revoked."""

    list_display = ("email", "organization", "role", "status", "invited_by", "expires_at")
    list_filter = ("status", "role", "expires_at")
    search_fields = ("email", "organization__name", "invited_by__email")
    date_hierarchy = "created_at"
    list_select_related = ("organization", "invited_by")
    readonly_fields = (
        "organization",
        "email",
        "role",
        "status",
        "invited_by",
        "accepted_by",
        "accepted_at",
        "created_at",
        "updated_at",
    )
    actions = ("revoke",)

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected invitations", permissions=("change",))
    def revoke(self, request, queryset):
        pending = queryset.filter(status=InvitationStatus.PENDING).select_related("organization")
        run_service_action(self, request, pending, invitation_revoke, "invitation", "Revoked")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created through the service (the secret is shown once) and revoked, never
    deleted, so their use history stays."""

    list_display = (
        "prefix",
        "name",
        "organization",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("prefix", "name", "organization__name", "created_by__email")
    date_hierarchy = "created_at"
    list_select_related = ("organization", "created_by")
    readonly_fields = (
        "organization",
        "created_by",
        "prefix",
        "key_hash",
        "last_used_at",
        "uses",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
        "created_at",
        "updated_at",
    )
    actions = ("revoke",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Uses")
    def uses(self, obj: ApiKey) -> str:
        url = reverse("admin:marketplace_apikeyuse_changelist") + f"?api_key__id__exact={obj.pk}"
        return format_html('<a href="{}">Every use of this key</a>', url)

    @admin.action(description="Revoke selected keys", permissions=("change",))
    def revoke(self, request, queryset):
        active = queryset.filter(revoked_at__isnull=True).select_related("organization")
        run_service_action(
            self, request, active, api_key_revoke, "api_key", "Revoked", reason=REVOKE_REASON
        )


@admin.register(ApiKeyUse)
class ApiKeyUseAdmin(ReadOnlyAdmin):
    list_display = ("used_at", "api_key", "organization", "method", "path", "ip_address")
    list_filter = ("method", "used_at")
    search_fields = ("path", "ip_address", "api_key__prefix", "api_key__organization__name")
    date_hierarchy = "used_at"
    list_select_related = ("api_key", "api_key__organization")

    @admin.display(description="Organization", ordering="api_key__organization__name")
    def organization(self, obj: ApiKeyUse) -> Organization:
        return obj.api_key.organization


@admin.register(VendorProfile)
class VendorProfileAdmin(admin.ModelAdmin):
    list_display = ("display_name", "organization", "contact_email", "website", "created_at")
    search_fields = ("display_name", "organization__name", "contact_email")
    date_hierarchy = "created_at"
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    readonly_fields = ("created_at", "updated_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(OrganizationEvent)
class OrganizationEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "organization", "kind", "actor")
    list_filter = ("kind", "created_at")
    search_fields = ("organization__name", "actor__email")
    date_hierarchy = "created_at"
    list_select_related = ("organization", "actor")


# The vendor marketplace.


class ReasonForm(forms.Form):
    """The intermediate page of the reject and suspend actions: the vendor reads the reason."""

    reason = forms.CharField(
        max_length=1024,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="The vendor sees this reason on its listings page.",
    )


class VendorListingPriceForm(forms.ModelForm):
    task_type = forms.ChoiceField(choices=task_type_choices)
    # The database refuses a negative price; the form says so first.
    price_per_object = forms.DecimalField(min_value=0, max_digits=18, decimal_places=4)

    class Meta:
        model = VendorListingPrice
        fields = ("task_type", "price_per_object", "currency")


class VendorListingPriceInline(admin.TabularInline):
    model = VendorListingPrice
    form = VendorListingPriceForm
    extra = 0
    min_num = 1


class ListingEventInline(admin.TabularInline):
    """The listing's status history, as the moderation services wrote it."""

    model = ListingEvent
    extra = 0
    fields = ("created_at", "from_status", "to_status", "reason", "actor")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(VendorListing)
class VendorListingAdmin(admin.ModelAdmin):
    """Listings are moderated here with the actions (approve, reject, suspend, reinstate),
    which call the services; the status itself is never edited."""

    list_display = (
        "title",
        "vendor",
        "status",
        "published_at",
        "rating_count",
        "turnaround_hours",
        "created_at",
    )
    list_filter = ("status", "published_at", "created_at")
    search_fields = ("title", "description", "vendor__display_name", "vendor__organization__name")
    date_hierarchy = "created_at"
    list_select_related = ("vendor",)
    readonly_fields = (
        "vendor",
        "status",
        "status_reason",
        "status_changed_at",
        "published_at",
        "rating_count",
        "rating_total",
        "created_at",
        "updated_at",
    )
    inlines = (VendorListingPriceInline, ListingEventInline)
    actions = ("approve", "reject", "suspend", "reinstate")

    def has_add_permission(self, request):
        return False  # vendors create listings; staff review them

    @admin.action(description="Approve (publish) selected listings", permissions=("change",))
    def approve(self, request, queryset):
        pending = queryset.filter(status=ListingStatus.PENDING_REVIEW)
        run_service_action(self, request, pending, listing_approve, "listing", "Approved")

    @admin.action(description="Reinstate selected suspended listings", permissions=("change",))
    def reinstate(self, request, queryset):
        suspended = queryset.filter(status=ListingStatus.SUSPENDED)
        run_service_action(self, request, suspended, listing_reinstate, "listing", "Reinstated")

    def _with_reason(self, request, queryset, *, service, verb: str, status: str, title: str):
        """Ask for the reason on an intermediate page, then call `service` per listing."""
        eligible = queryset.filter(status=status)
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            run_service_action(
                self,
                request,
                eligible,
                service,
                "listing",
                verb,
                reason=form.cleaned_data["reason"],
            )
            return None
        return render(
            request,
            "vendors/admin_reason.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "form": form,
                "listings": eligible,
                "skipped": queryset.exclude(status=status),
                "action": request.POST.get("action"),
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Reject selected listings (back to draft)…", permissions=("change",))
    def reject(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            service=listing_reject,
            verb="Rejected",
            status=ListingStatus.PENDING_REVIEW,
            title="Reject listings",
        )

    @admin.action(description="Suspend selected listings…", permissions=("change",))
    def suspend(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            service=listing_suspend,
            verb="Suspended",
            status=ListingStatus.PUBLISHED,
            title="Suspend listings",
        )


class EngagementEventInline(admin.TabularInline):
    model = EngagementEvent
    extra = 0
    fields = ("created_at", "from_status", "to_status", "reason", "actor")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Engagement)
class EngagementAdmin(ReadOnlyAdmin):
    """Engagements change through their two sides' services only."""

    list_display = (
        "id",
        "requester",
        "vendor",
        "listing",
        "task_type",
        "price_per_object",
        "expected_objects",
        "status",
        "created_at",
    )
    list_filter = ("status", "task_type", "created_at")
    search_fields = ("requester__name", "vendor__display_name", "listing__title")
    date_hierarchy = "created_at"
    list_select_related = ("requester", "vendor", "listing")
    inlines = (EngagementEventInline,)


@admin.register(VendorRating)
class VendorRatingAdmin(ReadOnlyAdmin):
    list_display = ("job", "engagement", "score", "rated_by", "created_at")
    list_filter = ("score", "created_at")
    search_fields = ("job__name", "engagement__vendor__display_name", "comment")
    date_hierarchy = "created_at"
    list_select_related = ("job", "engagement__vendor", "engagement__requester", "rated_by")
