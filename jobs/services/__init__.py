"""Writes of the jobs app; callers import from its modules (jobs, dispatch, review, ...)."""
