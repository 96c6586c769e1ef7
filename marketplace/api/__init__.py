"""The REST API under /api/v1/ and its shared plumbing (errors, auth, paging, throttling)."""
