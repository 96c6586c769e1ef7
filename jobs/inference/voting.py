"""Majority vote and skill-weighted (log-odds) majority vote."""

import numpy as np

from jobs.inference.encoding import Answers, Gold
from jobs.inference.result import (
    Layout,
    Result,
    agreement_skills,
    argmax_lowest,
    clamp,
    finish,
    softmax_columns,
)

# A skill estimated from gold is Beta-smoothed toward the worker's agreement with the majority
# vote: (gold correct + s * agreement) / (gold answered + s), the prior worth s = the worker's
# number of other answers, at least 1 and at most GOLD_PRIOR_CAP. One or two gold answers then
# refine, rather than replace, what a hundred agreement answers say.
GOLD_PRIOR_CAP = 10.0
# Skills are clipped to [1/K + SKILL_MARGIN, 1 - SKILL_MARGIN] before they become log-odds
# weights, so no worker votes against a label and no worker's vote is infinitely strong.
SKILL_MARGIN = 1e-3


def majority_vote(answers: Answers, *, gold: Gold | None = None) -> Result:
    """Each task gets its most frequent label (ties: lowest label index); the posterior is the
    share of votes. Gold tasks are clamped; skills are agreement with the result."""
    layout = Layout(answers)
    posteriors = _vote_shares(layout)
    gold_positions, gold_labels = layout.gold_positions(gold)
    clamp(posteriors, gold_positions, gold_labels)
    return finish(
        layout,
        posteriors,
        gold=gold,
        skills=agreement_skills(layout, argmax_lowest(posteriors)),
        priors=posteriors.mean(axis=1),
    )


def weighted_vote(
    answers: Answers, *, skills: np.ndarray | None = None, gold: Gold | None = None
) -> Result:
    """Votes weighted by log(q (K-1) / (1-q)), q a worker's accuracy: the one-coin posterior
    under uniform priors. ``skills`` None: estimated from gold where a worker answered gold
    tasks (Beta-smoothed toward their agreement with the majority vote, see GOLD_PRIOR_CAP),
    else agreement with the majority vote (as in Wawa)."""
    layout = Layout(answers)
    gold_positions, gold_labels = layout.gold_positions(gold)
    if skills is None:
        skills = estimate_skills(layout, gold_positions, gold_labels)
    else:
        skills = np.asarray(skills, dtype=np.float64)
        if skills.shape != (answers.n_workers,):
            raise ValueError(f"skills must have shape ({answers.n_workers},), got {skills.shape}")
    posteriors = _weighted_posteriors(layout, skills)
    clamp(posteriors, gold_positions, gold_labels)
    return finish(layout, posteriors, gold=gold, skills=skills, priors=posteriors.mean(axis=1))


def log_odds_weights(skills: np.ndarray, n_labels: int) -> np.ndarray:
    """log(q (K-1) / (1-q)) per worker, q clipped to [1/K + margin, 1 - margin]."""
    if n_labels < 2:
        return np.ones_like(skills, dtype=np.float64)
    low = 1.0 / n_labels + SKILL_MARGIN
    q = np.clip(np.nan_to_num(skills, nan=low), low, 1.0 - SKILL_MARGIN)
    return np.log(q * (n_labels - 1) / (1.0 - q))


def estimate_skills(
    layout: Layout, gold_positions: np.ndarray, gold_labels: np.ndarray
) -> np.ndarray:
    """Worker accuracies: agreement with the majority vote, refined by gold answers."""
    shares = _vote_shares(layout)
    clamp(shares, gold_positions, gold_labels)
    skills = agreement_skills(layout, argmax_lowest(shares))
    if gold_positions.size == 0:
        return skills
    truth = np.full(layout.n_answered, -1, dtype=layout.labels.dtype)
    truth[gold_positions] = gold_labels
    answer_truth = truth[layout.positions]
    on_gold = answer_truth >= 0
    answered = np.bincount(layout.workers[on_gold], minlength=layout.n_workers)
    correct = np.bincount(
        layout.workers[on_gold & (layout.labels == answer_truth)], minlength=layout.n_workers
    )
    other_answers = np.bincount(layout.workers, minlength=layout.n_workers) - answered
    strength = np.clip(other_answers, 1.0, GOLD_PRIOR_CAP)
    return (correct + strength * skills) / (answered + strength)


def _vote_shares(layout: Layout) -> np.ndarray:
    counts = layout.counts()
    return counts / layout.per_task


def _weighted_posteriors(layout: Layout, skills: np.ndarray) -> np.ndarray:
    weights = log_odds_weights(skills, layout.n_labels)
    scores = layout.counts(weights[layout.workers])
    posteriors, _ = softmax_columns(scores)
    return posteriors
