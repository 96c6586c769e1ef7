"""Views of the web pages: each validates a form, calls a service or selector, then redirects."""

import secrets
from collections.abc import Callable
from functools import wraps

from allauth.account.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from marketplace import services
from marketplace.exceptions import Conflict, DomainError, NotFound
from marketplace.models import MANAGER_ROLES, InvitationStatus, MembershipRole
from marketplace.pages.forms import (
    ApiKeyForm,
    InvitationForm,
    OrganizationForm,
    RoleForm,
    VendorProfileForm,
)
from marketplace.selectors import (
    api_key_access,
    api_key_list,
    invitation_access,
    invitation_from_token,
    invitation_list,
    member_access,
    member_list,
    organization_access,
    organization_list,
    vendor_profile_get,
)
from workforce import private_workforces
from workforce.selectors import worker_profile_get

# A new API key's secret is shown on the next page render only. It waits in the cache (not
# the database-backed session) so the database never holds it in clear, even briefly.
NEW_API_KEY_SECONDS = 300
NEW_API_KEY_SESSION_KEY = "pages.new_api_key"

# Why an invitation can no longer be used, as an HTTP status.
INVITATION_ERROR_STATUS = {"invitation_expired": 410, "invitation_revoked": 410}


def _error_page(request, error: DomainError, *, status: int | None = None):
    return render(request, "pages/error.html", {"error": error}, status=status or error.status_code)


def domain_errors_as_pages(view):
    """A domain error that escapes a view becomes a page with its status (404, 403, 409...)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            return _error_page(request, error)

    return wrapper


def _submit(form, call: Callable[[dict], object]) -> tuple[int | None, object]:
    """Call `call(cleaned_data)` if `form` is valid; domain errors become form errors.

    Returns (None, result) on success, else (the status to re-render the form with, None):
    200 for invalid input, the domain error's own status otherwise.
    """
    if not form.is_valid():
        return 200, None
    try:
        return None, call(form.cleaned_data)
    except DomainError as error:
        for field, field_messages in error.fields.items():
            form.add_error(field if field in form.fields else None, field_messages)
        if not error.fields:
            form.add_error(None, error.message)
        return error.status_code, None


def _posted(request):
    """The submitted data for a bound form, even when a POST is empty; None for a GET."""
    return request.POST if request.method == "POST" else None


def home(request):
    if not request.user.is_authenticated:
        return render(request, "pages/landing.html")
    try:
        worker = worker_profile_get(actor=request.user)
    except NotFound:
        worker = None
    return render(
        request,
        "pages/dashboard.html",
        {
            "organizations": organization_list(actor=request.user),
            "worker": worker,
            "two_factor_enabled": is_mfa_enabled(request.user, [Authenticator.Type.TOTP]),
        },
    )


@login_required
def organization_list_page(request):
    return render(
        request,
        "pages/organization_list.html",
        {"organizations": organization_list(actor=request.user)},
    )


@login_required
def organization_create(request):
    form = OrganizationForm(_posted(request))
    status = 200
    if request.method == "POST":
        status, organization = _submit(
            form, lambda data: services.organization_create(actor=request.user, name=data["name"])
        )
        if status is None:
            messages.success(request, f"{organization.name} is ready. Invite your team.")
            return redirect("organization_detail", organization_id=organization.pk)
    return render(request, "pages/organization_new.html", {"form": form}, status=status)


def _remember_new_api_key(request, api_key, raw_key: str) -> None:
    token = secrets.token_urlsafe(16)
    cache.set(f"pages:new-api-key:{token}", raw_key, NEW_API_KEY_SECONDS)
    request.session[NEW_API_KEY_SESSION_KEY] = {
        "token": token,
        "api_key_id": api_key.pk,
        "organization_id": api_key.organization_id,
    }


def _pop_new_api_key(request, organization) -> dict | None:
    pending = request.session.get(NEW_API_KEY_SESSION_KEY)
    if not pending or pending["organization_id"] != organization.pk:
        return None
    del request.session[NEW_API_KEY_SESSION_KEY]
    cache_key = f"pages:new-api-key:{pending['token']}"
    secret = cache.get(cache_key)
    cache.delete(cache_key)
    if secret is None:
        return None
    return {"api_key_id": pending["api_key_id"], "secret": secret}


def _render_detail(request, organization, membership, *, status: int = 200, **extra):
    try:
        vendor_profile = vendor_profile_get(organization=organization)
    except NotFound:
        vendor_profile = None
    context = {
        "organization": organization,
        "membership": membership,
        "can_manage": membership.role in MANAGER_ROLES,
        "members": member_list(organization=organization).order_by("created_at"),
        "invitations": invitation_list(organization=organization)
        .filter(status=InvitationStatus.PENDING)
        .order_by("-created_at"),
        "api_keys": api_key_list(organization=organization).order_by("-created_at"),
        "events": organization.events.select_related("actor").order_by("-created_at")[:15],
        "vendor_profile": vendor_profile,
        "role_choices": MembershipRole.choices,
        "new_api_key": _pop_new_api_key(request, organization),
        "invite_form": InvitationForm(),
        "api_key_form": ApiKeyForm(),
        **extra,
    }
    return render(request, "pages/organization_detail.html", context, status=status)


def _detail_url(organization) -> str:
    return reverse("organization_detail", kwargs={"organization_id": organization.pk})


@login_required
@domain_errors_as_pages
def organization_detail(request, organization_id):
    organization, membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    return _render_detail(request, organization, membership)


@login_required
@require_POST
@domain_errors_as_pages
def organization_invite(request, organization_id):
    organization, membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    form = InvitationForm(request.POST)
    status, invitation = _submit(
        form,
        lambda data: services.invitation_create(
            actor=request.user, organization=organization, email=data["email"], role=data["role"]
        ),
    )
    if status is None:
        messages.success(request, f"Invitation sent to {invitation.email}.")
        return redirect(_detail_url(organization))
    return _render_detail(request, organization, membership, status=status, invite_form=form)


@login_required
@require_POST
@domain_errors_as_pages
def invitation_revoke(request, organization_id, invitation_id):
    organization, _membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    invitation = invitation_access(organization=organization, invitation_id=invitation_id)
    services.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect(_detail_url(organization))


@login_required
@require_POST
@domain_errors_as_pages
def member_role(request, organization_id, membership_id):
    organization, membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    target = member_access(organization=organization, membership_id=membership_id)
    form = RoleForm(request.POST)
    status, _result = _submit(
        form,
        lambda data: services.membership_change_role(
            actor=request.user, membership=target, role=data["role"]
        ),
    )
    if status is None:
        messages.success(request, f"{target.user.email} is now {form.cleaned_data['role']}.")
        return redirect(_detail_url(organization))
    errors = [error for field_errors in form.errors.values() for error in field_errors]
    return _render_detail(request, organization, membership, status=status, action_errors=errors)


@login_required
@require_POST
@domain_errors_as_pages
def member_remove(request, organization_id, membership_id):
    organization, membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    target = member_access(organization=organization, membership_id=membership_id)
    try:
        services.membership_remove(actor=request.user, membership=target)
    except Conflict as error:
        return _render_detail(
            request, organization, membership, status=error.status_code, action_errors=[error]
        )
    if target.user_id == request.user.pk:
        messages.success(request, f"You left {organization.name}.")
        return redirect("home")
    messages.success(request, f"{target.user.email} was removed.")
    return redirect(_detail_url(organization))


@login_required
@require_POST
@domain_errors_as_pages
def api_key_create(request, organization_id):
    organization, membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    form = ApiKeyForm(request.POST)
    status, created = _submit(
        form,
        lambda data: services.api_key_create(
            actor=request.user, organization=organization, name=data["name"]
        ),
    )
    if status is None:
        api_key, raw_key = created
        _remember_new_api_key(request, api_key, raw_key)
        return redirect(_detail_url(organization) + "#api-keys")
    return _render_detail(request, organization, membership, status=status, api_key_form=form)


@login_required
@require_POST
@domain_errors_as_pages
def api_key_revoke(request, organization_id, api_key_id):
    organization, _membership = organization_access(
        actor=request.user, organization_id=organization_id
    )
    api_key = api_key_access(organization=organization, api_key_id=api_key_id)
    services.api_key_revoke(actor=request.user, api_key=api_key, reason="Revoked on the web.")
    messages.success(request, f"The key {api_key.prefix}… was revoked.")
    return redirect(_detail_url(organization) + "#api-keys")


@login_required
@domain_errors_as_pages
def vendor_profile(request, organization_id):
    organization, _membership = organization_access(
        actor=request.user, organization_id=organization_id, manage=True
    )
    try:
        profile = vendor_profile_get(organization=organization)
    except NotFound:
        profile = None
    initial = (
        {name: getattr(profile, name) for name in services.VENDOR_PROFILE_FIELDS}
        if profile
        else {"display_name": organization.name, "contact_email": request.user.email}
    )
    form = VendorProfileForm(_posted(request), initial=initial)
    status = 200
    if request.method == "POST":
        if profile is None:
            status, _result = _submit(
                form,
                lambda data: services.vendor_profile_create(
                    actor=request.user, organization=organization, **data
                ),
            )
        else:
            status, _result = _submit(
                form,
                lambda data: services.vendor_profile_update(
                    actor=request.user, profile=profile, **data
                ),
            )
        if status is None:
            messages.success(request, "The vendor profile was saved.")
            return redirect(_detail_url(organization))
    return render(
        request,
        "pages/vendor_profile.html",
        {"organization": organization, "profile": profile, "form": form},
        status=status,
    )


def _invitation_page(request, *, invitation, check_usable, accept, template):
    """An invitation link's page (to an organization or a workforce): a reason it can no
    longer be used, or its details; a POST by the invited, logged-in person calls
    `accept`, which returns where to go next."""
    try:
        check_usable(invitation)
    except Conflict as error:
        return _error_page(request, error, status=INVITATION_ERROR_STATUS.get(error.code))
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")
        return accept()
    context = {"invitation": invitation}
    if not request.user.is_authenticated:
        # Whoever opened the emailed link controls the address: signing up with it from here
        # needs no second verification email (allauth honours the stash on signup).
        get_adapter(request).stash_verified_email(request, invitation.email)
        context["signup_url"] = (
            f"{reverse('account_signup')}?"
            f"{urlencode({'next': request.path, 'email': invitation.email})}"
        )
        context["login_url"] = f"{reverse('account_login')}?{urlencode({'next': request.path})}"
    return render(request, template, context)


@domain_errors_as_pages
def invitation_detail(request, token):
    """The page an invitation email links to; a POST by the invited user accepts it."""
    invitation = invitation_from_token(token=token)

    def accept():
        membership = services.invitation_accept(actor=request.user, token=token)
        messages.success(request, f"Welcome to {invitation.organization.name}.")
        return redirect("organization_detail", organization_id=membership.organization_id)

    return _invitation_page(
        request,
        invitation=invitation,
        check_usable=services.invitation_check_usable,
        accept=accept,
        template="pages/invitation_detail.html",
    )


@domain_errors_as_pages
def workforce_invitation_detail(request, token):
    """The page a workforce invitation email links to; a POST by the invited person
    accepts it (making them a worker if they were not)."""
    invitation = private_workforces.invitation_from_token(token)

    def accept():
        private_workforces.workforce_invitation_accept(actor=request.user, token=token)
        messages.success(request, f"You now work in {invitation.workforce.name}.")
        return redirect("work_list")

    return _invitation_page(
        request,
        invitation=invitation,
        check_usable=private_workforces.workforce_invitation_check_usable,
        accept=accept,
        template="pages/workforce_invitation_detail.html",
    )
