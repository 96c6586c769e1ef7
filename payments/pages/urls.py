"""Page routes of payments (included from marketplace/urls.py)."""

ORGANIZATION = "organizations/<int:organization_id>/"

urlpatterns: list = []
