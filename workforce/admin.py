"""Django admin for worker profiles, workforces (by kind) with their members and work
teams, worker blocks, and qualifications (grants and job requirements are read here and
written by services)."""

from django import forms
from django.contrib import admin

from workforce.models import (
    Qualification,
    QualificationRequirement,
    QualificationRequirementValue,
    QualificationType,
    WorkerBlock,
    WorkerProfile,
    Workforce,
    WorkforceInvitation,
    WorkforceMember,
    WorkTeam,
    WorkTeamMember,
)
from workforce.services import worker_reinstate, worker_suspend


class WorkerProfileForm(forms.ModelForm):
    """The profile, plus suspending the worker platform-wide (through the services)."""

    suspend = forms.BooleanField(
        required=False, help_text="The worker gets no new work anywhere while suspended."
    )
    reason = forms.CharField(
        required=False, max_length=1024, help_text="Shown to the worker in their profile."
    )

    class Meta:
        model = WorkerProfile
        fields = ("user", "display_name", "country", "languages")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["suspend"].initial = self.instance.suspended_at is not None
            self.fields["reason"].initial = self.instance.suspension_reason

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("suspend") and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Give the reason the worker will see.")
        return cleaned


@admin.register(WorkerProfile)
class WorkerProfileAdmin(admin.ModelAdmin):
    form = WorkerProfileForm
    list_display = ("worker_id", "user", "display_name", "country", "suspended_at", "created_at")
    list_filter = ("country", "created_at", ("suspended_at", admin.EmptyFieldListFilter))
    search_fields = ("worker_id", "user__email", "user__full_name", "display_name")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    # The worker id is public and permanent: other parties know the worker by it.
    readonly_fields = ("worker_id", "suspended_at", "created_at", "updated_at")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        suspend, reason = form.cleaned_data.get("suspend"), form.cleaned_data.get("reason")
        if suspend and (obj.suspended_at is None or obj.suspension_reason != reason.strip()):
            worker_suspend(actor=request.user, worker=obj, reason=reason)
        elif not suspend and obj.suspended_at is not None:
            worker_reinstate(actor=request.user, worker=obj)


class WorkforceMemberInline(admin.TabularInline):
    model = WorkforceMember
    extra = 0
    autocomplete_fields = ("worker",)


@admin.register(Workforce)
class WorkforceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "organization", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "organization__name")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    inlines = [WorkforceMemberInline]


class WorkTeamMemberInline(admin.TabularInline):
    model = WorkTeamMember
    extra = 0
    autocomplete_fields = ("worker",)


@admin.register(WorkTeam)
class WorkTeamAdmin(admin.ModelAdmin):
    list_display = ("name", "workforce", "workforce_kind", "created_at")
    list_filter = ("workforce__kind",)
    search_fields = ("name", "workforce__name", "workforce__organization__name")
    list_select_related = ("workforce",)
    autocomplete_fields = ("workforce",)
    inlines = [WorkTeamMemberInline]

    @admin.display(description="Kind", ordering="workforce__kind")
    def workforce_kind(self, obj: WorkTeam) -> str:
        return obj.workforce.get_kind_display()


@admin.register(WorkerBlock)
class WorkerBlockAdmin(admin.ModelAdmin):
    list_display = ("worker", "organization", "reason", "created_at")
    search_fields = ("worker__worker_id", "organization__name", "reason")
    date_hierarchy = "created_at"
    list_select_related = ("worker", "organization")
    autocomplete_fields = ("worker", "organization")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never edited here: the services keep these rows consistent."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(QualificationType)
class QualificationTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "type_id", "owner", "status", "auto_granted", "created_at")
    list_filter = ("status", "auto_granted")
    search_fields = ("name", "type_id", "owner__name", "keywords")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    readonly_fields = ("type_id", "created_at", "updated_at")


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    list_display = (
        "worker",
        "qualification_type",
        "integer_value",
        "locale_country",
        "status",
        "granted_at",
    )
    list_filter = ("status",)
    search_fields = ("worker__worker_id", "qualification_type__name", "qualification_type__type_id")
    list_select_related = ("worker", "qualification_type")


class QualificationRequirementValueInline(admin.TabularInline):
    model = QualificationRequirementValue
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(QualificationRequirement)
class QualificationRequirementAdmin(ReadOnlyAdmin):
    list_display = ("job", "position", "qualification_type", "comparator", "actions_guarded")
    search_fields = ("job__name", "qualification_type__name")
    list_select_related = ("job", "qualification_type")
    inlines = [QualificationRequirementValueInline]


@admin.register(WorkforceInvitation)
class WorkforceInvitationAdmin(ReadOnlyAdmin):
    list_display = ("email", "workforce", "status", "invited_by", "expires_at", "created_at")
    list_filter = ("status",)
    search_fields = ("email", "workforce__name", "workforce__organization__name")
    list_select_related = ("workforce", "invited_by")
