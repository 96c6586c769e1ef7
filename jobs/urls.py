"""Routes of the jobs app outside the API: task files, and later the job and task pages."""

urlpatterns: list = []
