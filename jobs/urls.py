"""Routes of the jobs app outside the API: task files, and the job, work and task pages."""

from django.urls import include, path

from jobs.files import serve_task_file

urlpatterns = [
    path("task-files/<str:token>/", serve_task_file, name="task_file"),
    path("", include("jobs.pages.urls")),
]
