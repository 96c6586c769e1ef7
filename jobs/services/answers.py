"""What follows an answer's arrival, after its submit committed: scoring it when it was a
gold question, and running the job's quality rules for its worker."""

from jobs.models import Assignment
from jobs.services import gold, quality_rules


def answer_arrived(*, assignment_id: int) -> None:
    """Idempotent: scoring skips an answer already scored, and a rule acts on a worker at
    most once, so a retried task changes nothing more."""
    row = (
        Assignment.objects.filter(pk=assignment_id)
        .values("hit__job_id", "hit__is_gold", "worker_id")
        .first()
    )
    if row is None:
        return
    if row["hit__is_gold"]:
        gold.gold_answer_score(assignment_id=assignment_id)
    quality_rules.rules_check_worker(job_id=row["hit__job_id"], worker_id=row["worker_id"])
