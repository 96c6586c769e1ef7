"""Runs crowd-kit's aggregation methods on one crowd for the consolidation benchmark; run
inside crowd-kit's own virtual environment (.venv-crowdkit), never imported by the project.

Usage: .venv-crowdkit/bin/python tests/benchmarks/crowdkit_runner.py CROWD.npz METHOD...

CROWD.npz holds integer arrays ``tasks``, ``workers``, ``labels`` (one row per answer),
``n_tasks`` and, for the gold methods, ``gold_tasks`` and ``gold_labels``. Prints one JSON
object: ``{"version": ..., "methods": {METHOD: {"seconds": wall time of fit_predict,
"labels": [label per task index, -1 where none]} or {"error": "..."}}}``.
"""

import json
import sys
import time

import numpy as np
import pandas as pd


def _methods():
    from crowdkit.aggregation import (
        GLAD,
        MACE,
        DawidSkene,
        GoldMajorityVote,
        MajorityVote,
        OneCoinDawidSkene,
        Wawa,
        ZeroBasedSkill,
    )

    def gold_majority_vote(data, true_labels):
        # GoldMajorityVote needs a gold answer from every worker (its predict raises
        # otherwise); workers without one vote with the mean gold accuracy of the others. A
        # task whose every voter scored 0 on gold gets no label (pandas raises "all NA"), so
        # skills are floored at a weight too small to change any other task.
        skills = GoldMajorityVote().fit(data, true_labels).skills_.clip(lower=1e-6)
        voting = MajorityVote(on_missing_skill="value", default_skill=float(skills.mean()))
        return voting.fit_predict(data, skills)

    return {
        "MajorityVote": lambda data, gold: MajorityVote().fit_predict(data),
        "Wawa": lambda data, gold: Wawa().fit_predict(data),
        "DawidSkene": lambda data, gold: DawidSkene(n_iter=100).fit_predict(data),
        "OneCoinDawidSkene": lambda data, gold: OneCoinDawidSkene(n_iter=100).fit_predict(data),
        "ZeroBasedSkill": lambda data, gold: ZeroBasedSkill().fit_predict(data),
        "GLAD": lambda data, gold: GLAD().fit_predict(data),
        "MACE": lambda data, gold: MACE().fit_predict(data),
        # DawidSkene.fit(data, true_labels=...) clamps gold tasks' posteriors every iteration.
        "DawidSkene+gold": lambda data, gold: DawidSkene(n_iter=100).fit_predict(data, gold),
        "GoldMajorityVote": gold_majority_vote,
    }


def main(arguments: list[str]) -> int:
    import crowdkit

    path, names = arguments[0], arguments[1:]
    with np.load(path) as crowd:
        data = pd.DataFrame(
            {"task": crowd["tasks"], "worker": crowd["workers"], "label": crowd["labels"]}
        )
        n_tasks = int(crowd["n_tasks"])
        gold = None
        if "gold_tasks" in crowd.files:
            gold = pd.Series(crowd["gold_labels"], index=crowd["gold_tasks"])
    methods = _methods()
    results = {}
    for name in names:
        if name not in methods:
            results[name] = {"error": f"unknown method {name}"}
            continue
        if name in {"DawidSkene+gold", "GoldMajorityVote"} and gold is None:
            results[name] = {"error": "no gold in the input"}
            continue
        try:
            start = time.perf_counter()
            labels = methods[name](data, gold)
            seconds = time.perf_counter() - start
        except Exception as error:  # reported per method; the others still run
            results[name] = {"error": f"{type(error).__name__}: {error}"}
            continue
        per_task = labels.reindex(pd.RangeIndex(n_tasks)).fillna(-1).astype(np.int64)
        results[name] = {"seconds": seconds, "labels": per_task.to_numpy().tolist()}
    json.dump({"version": crowdkit.__version__, "methods": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
