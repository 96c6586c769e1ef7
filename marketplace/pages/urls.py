"""Page routes."""

from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path(
        "invitations/<str:token>/",
        TemplateView.as_view(template_name="home.html"),
        name="invitation_detail",
    ),
]
