"""Gold questions: adding them to a job or a gold set, placing them in a job as ordinary
looking objects, and scoring a worker's answer to one."""


def gold_answer_score(*, assignment_id: int) -> None:
    """Score a submitted answer on a gold HIT against its gold question (to be built)."""
