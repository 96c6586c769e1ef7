"""Page routes of the worker home: profile, qualifications and tests, earnings."""

urlpatterns = []
