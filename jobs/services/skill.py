"""Worker skill as a Beta posterior of accuracy, with its 95% interval: per worker per job
and across jobs, from gold answers and from agreement with the consolidated labels."""

from dataclasses import asdict, dataclass

import numpy as np
from django.conf import settings
from django.db.models import Sum

from jobs.inference import beta_skill
from jobs.models import JobWorker

# The prior, Beta(2, 1) by default: before any evidence a worker is taken to be right about
# two times in three (mean 0.67, a wide interval), so a new worker is neither trusted nor
# written off, and a few lucky answers move the mean but barely the lower bound.
# settings.WORKER_SKILL_PRIOR = (correct, wrong) overrides it.
DEFAULT_PRIOR = (2.0, 1.0)

GOLD = "gold"
AGREEMENT = "agreement"
NO_EVIDENCE = "prior"


def skill_prior() -> tuple[float, float]:
    correct, wrong = getattr(settings, "WORKER_SKILL_PRIOR", DEFAULT_PRIOR)
    return float(correct), float(wrong)


@dataclass(frozen=True)
class SkillEstimate:
    """An accuracy's Beta posterior from `correct` out of `total` judged answers."""

    correct: int
    total: int
    mean: float
    low: float
    high: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class WorkerSkill:
    """A worker's skill from gold, from agreement, and the one that counts (`combined`):
    the gold posterior when the worker answered any gold, else the agreement posterior
    (`basis` says which; "prior" when there is no evidence at all)."""

    gold: SkillEstimate
    agreement: SkillEstimate
    combined: SkillEstimate
    basis: str

    def as_dict(self) -> dict:
        return {
            "basis": self.basis,
            "combined": self.combined.as_dict(),
            "gold": self.gold.as_dict(),
            "agreement": self.agreement.as_dict(),
        }


def skill_estimates(correct, total) -> list[SkillEstimate]:
    """The Beta posteriors of many (correct, total) pairs at once."""
    correct = np.asarray(correct, dtype=np.int64).reshape(-1)
    total = np.asarray(total, dtype=np.int64).reshape(-1)
    if correct.size == 0:
        return []
    prior_correct, prior_wrong = skill_prior()
    mean, low, high = beta_skill(
        correct.astype(float),
        total.astype(float),
        prior_correct=prior_correct,
        prior_wrong=prior_wrong,
    )
    mean, low, high = (
        np.broadcast_to(np.asarray(v, dtype=float), correct.shape) for v in (mean, low, high)
    )
    return [
        SkillEstimate(correct=int(c), total=int(t), mean=float(m), low=float(lo), high=float(hi))
        for c, t, m, lo, hi in zip(correct, total, mean, low, high, strict=True)
    ]


def skill_estimate(correct: int, total: int) -> SkillEstimate:
    return skill_estimates([correct], [total])[0]


def worker_skills(
    *, gold_correct, gold_answered, agreement_matched, agreement_answered
) -> list[WorkerSkill]:
    """WorkerSkill per position of the four equally long count sequences."""
    gold = skill_estimates(gold_correct, gold_answered)
    agreement = skill_estimates(agreement_matched, agreement_answered)
    skills = []
    for gold_estimate, agreement_estimate in zip(gold, agreement, strict=True):
        if gold_estimate.total > 0:
            combined, basis = gold_estimate, GOLD
        elif agreement_estimate.total > 0:
            combined, basis = agreement_estimate, AGREEMENT
        else:
            combined, basis = agreement_estimate, NO_EVIDENCE
        skills.append(
            WorkerSkill(
                gold=gold_estimate, agreement=agreement_estimate, combined=combined, basis=basis
            )
        )
    return skills


def job_worker_skills(
    *,
    job_id: int,
    agreement_counts: dict[int, tuple[int, int]] | None = None,
    gold_counts: dict[int, tuple[int, int]] | None = None,
) -> dict[int, WorkerSkill]:
    """Each worker's skill in one job (by worker row id) from its JobWorker counters.

    The gold counters are kept by gold scoring and the agreement counters by
    consolidation's refit. Where a worker's are still zero, `gold_counts` and
    `agreement_counts` ((answered, correct) per worker id, computed from the answers by
    jobs.quality_report) stand in for them; workers found only there are included.
    """
    rows = {
        worker_id: [gold_answered, gold_correct, agreement_answered, agreement_matched]
        for worker_id, gold_answered, gold_correct, agreement_answered, agreement_matched in (
            JobWorker.objects.filter(job_id=job_id).values_list(
                "worker_id",
                "gold_answered",
                "gold_correct",
                "agreement_answered",
                "agreement_matched",
            )
        )
    }
    for offset, stand_ins in ((0, gold_counts or {}), (2, agreement_counts or {})):
        for worker_id, (answered, correct) in stand_ins.items():
            counts = rows.setdefault(worker_id, [0, 0, 0, 0])
            if counts[offset] == 0:
                counts[offset], counts[offset + 1] = answered, correct
    ids = sorted(rows)
    skills = worker_skills(
        gold_correct=[rows[i][1] for i in ids],
        gold_answered=[rows[i][0] for i in ids],
        agreement_matched=[rows[i][3] for i in ids],
        agreement_answered=[rows[i][2] for i in ids],
    )
    return dict(zip(ids, skills, strict=True))


def cross_job_counts(*, worker_ids: list[int]) -> dict[int, tuple[int, int, int, int]]:
    """(gold correct, gold answered, agreement matched, agreement answered) per worker id,
    summed over all their jobs in one GROUP BY; zeros for a worker with no job."""
    sums = (
        JobWorker.objects.filter(worker_id__in=worker_ids)
        .values("worker_id")
        .annotate(
            gold_correct_sum=Sum("gold_correct"),
            gold_answered_sum=Sum("gold_answered"),
            agreement_matched_sum=Sum("agreement_matched"),
            agreement_answered_sum=Sum("agreement_answered"),
        )
        .order_by()
        .values_list(
            "worker_id",
            "gold_correct_sum",
            "gold_answered_sum",
            "agreement_matched_sum",
            "agreement_answered_sum",
        )
    )
    counts = {worker_id: (0, 0, 0, 0) for worker_id in worker_ids}
    for worker_id, *figures in sums:
        counts[worker_id] = tuple(int(value or 0) for value in figures)
    return counts


def cross_job_skills(*, worker_ids: list[int]) -> dict[int, WorkerSkill]:
    """Each worker's skill over all their jobs: the sums of their per-job counters."""
    counts = cross_job_counts(worker_ids=worker_ids)
    ids = list(counts)
    skills = worker_skills(
        gold_correct=[counts[i][0] for i in ids],
        gold_answered=[counts[i][1] for i in ids],
        agreement_matched=[counts[i][2] for i in ids],
        agreement_answered=[counts[i][3] for i in ids],
    )
    return dict(zip(ids, skills, strict=True))
