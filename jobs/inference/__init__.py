"""Truth inference for crowd answers: voting, Dawid-Skene, multi-label, agreement and skill."""

from jobs.inference.agreement import (
    fleiss_kappa,
    krippendorff_alpha,
    per_label_agreement,
    percent_agreement,
    worker_agreement,
)
from jobs.inference.dawid_skene_em import dawid_skene, one_coin_dawid_skene
from jobs.inference.encoding import Answers, Gold, encode
from jobs.inference.multilabel import multilabel_consolidate
from jobs.inference.overlap import object_posterior
from jobs.inference.result import Result
from jobs.inference.skill import beta_skill
from jobs.inference.voting import majority_vote, weighted_vote

METHODS = {
    "majority-vote": majority_vote,
    "weighted-majority-vote": weighted_vote,
    "dawid-skene": dawid_skene,
    "one-coin-dawid-skene": one_coin_dawid_skene,
}
DEFAULT_METHOD = "dawid-skene"


def consolidate(method: str, answers: Answers, *, gold: Gold | None = None, **options) -> Result:
    """Run the named method (a key of METHODS) with its options."""
    try:
        function = METHODS[method]
    except KeyError:
        raise ValueError(
            f"unknown consolidation method {method!r}; choose one of {', '.join(METHODS)}"
        ) from None
    return function(answers, gold=gold, **options)


__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "Answers",
    "Gold",
    "Result",
    "beta_skill",
    "consolidate",
    "dawid_skene",
    "encode",
    "fleiss_kappa",
    "krippendorff_alpha",
    "majority_vote",
    "multilabel_consolidate",
    "object_posterior",
    "one_coin_dawid_skene",
    "per_label_agreement",
    "percent_agreement",
    "weighted_vote",
    "worker_agreement",
]
