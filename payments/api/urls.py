"""API v1 routes of payments (included from marketplace/api/urls.py)."""

ORGANIZATION = "organizations/<int:organization_id>/"

urlpatterns: list = []
