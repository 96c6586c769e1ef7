"""Root URLs: pages, accounts (allauth), admin, the API and its docs, health."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from marketplace.api.errors import json_or_html
from marketplace.health import healthz

# Staff log in through allauth (which enforces two-factor), never the bare admin form.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Groundwork administration"
admin.site.site_title = "Groundwork admin"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("marketplace.api.urls")),
    path("", include("jobs.urls")),
    path("", include("marketplace.pages.urls")),
    path("", include("workforce.pages.worker_urls")),
    path("", include("workforce.pages.workforce_urls")),
    path("", include("payments.pages.urls")),
]

handler400 = json_or_html(defaults.bad_request, 400, "bad_request", "Bad request.")
handler403 = json_or_html(defaults.permission_denied, 403, "permission_denied", "Forbidden.")
handler404 = json_or_html(defaults.page_not_found, 404, "not_found", "Not found.")
handler500 = json_or_html(
    defaults.server_error, 500, "server_error", "Something went wrong on our side."
)
