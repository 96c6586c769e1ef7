"""Page routes for managing private and vendor workforces, their teams and members."""

urlpatterns = []
