"""Middleware: staff must turn on two-factor authentication before using the site."""

from allauth.mfa.models import Authenticator
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

# Paths a staff user without two-factor may still reach: setting it up, logging out, static.
ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and not request.path.startswith(ALLOWED_PREFIXES)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            message = "Staff accounts must turn on two-factor authentication first."
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "two_factor_required", "message": message, "fields": {}}, status=403
                )
            return redirect(reverse("mfa_activate_totp") + "?next=" + request.get_full_path())
        return self.get_response(request)
