"""Quality rules per job (Toloka's collector + condition -> action): checking a worker
against the job's rules as their answers arrive, and acting with the evidence logged."""


def rules_check_worker(*, job_id: int, worker_id: int) -> None:
    """Run the job's active rules for one worker (to be built)."""
