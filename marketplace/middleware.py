"""Middleware: staff must turn on two-factor authentication before using the site."""

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect

from marketplace.api.errors import error_body

# What a staff user without two-factor may still reach: the account pages (where two-factor
# is set up, and logout), static files, and the health check.
ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz")
MESSAGE = "Staff accounts must turn on two-factor authentication first."


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and not request.path_info.startswith(ALLOWED_PREFIXES)
            and not is_mfa_enabled(user, [Authenticator.Type.TOTP])
        ):
            if request.path_info.startswith("/api/"):
                return JsonResponse(error_body("two_factor_required", MESSAGE), status=403)
            messages.warning(request, MESSAGE)
            return redirect("mfa_activate_totp")
        return self.get_response(request)
