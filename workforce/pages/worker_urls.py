"""Page routes of the worker home: profile, qualifications and tests, earnings."""

from django.urls import path

from workforce.pages import worker_home

urlpatterns = [
    path("worker/", worker_home.worker_profile, name="worker_profile"),
    path(
        "worker/qualifications/",
        worker_home.qualification_list_page,
        name="worker_qualifications",
    ),
    path(
        "worker/qualifications/requests/<str:request_id>/",
        worker_home.qualification_request_page,
        name="worker_qualification_request",
    ),
    path(
        "worker/qualifications/<str:type_id>/request/",
        worker_home.qualification_request,
        name="worker_qualification_start",
    ),
    path(
        "worker/qualifications/<str:type_id>/test/",
        worker_home.qualification_test_page,
        name="worker_qualification_test",
    ),
    path("worker/earnings/", worker_home.earnings_page, name="worker_earnings"),
]
