"""A training script with driftline's tracking: hyperparameters, a LightGBM training curve, the
full evaluation on a validation split, and the learned-parameter summary, in one run.

    python examples/tracking/train.py                      # the store: DRIFTLINE_STORE_URL,
    DRIFTLINE_STORE_URL=sqlite:///runs.db python examples/tracking/train.py   # or ./driftline.db

The run then shows on the UI's training page (``driftline serve`` on a project with that store).
"""

from __future__ import annotations

import argparse

import lightgbm as lgb
from sklearn.model_selection import train_test_split

import driftline as dl
from driftline.datasets import make_credit_frames
from driftline.tracking import lightgbm_callback

FEATURES = ["income", "age", "debt_ratio", "has_mortgage"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", default=None, help="store URL (default: the environment)")
    parser.add_argument("--model", default="credit")
    args = parser.parse_args()

    frame, _ = make_credit_frames(8_000, 10, seed=3)
    X_train, X_valid, y_train, y_valid = train_test_split(
        frame[FEATURES], frame["default"], test_size=0.25, random_state=0)
    params = {"n_estimators": 150, "learning_rate": 0.05, "num_leaves": 15, "verbose": -1}

    with dl.track(args.model, run_name="lightgbm baseline", params=params, store=args.store,
                  tags={"script": "examples/tracking/train.py"}) as run:
        model = lgb.LGBMClassifier(**params).fit(
            X_train, y_train, eval_X=(X_valid,), eval_y=(y_valid,),
            callbacks=[lightgbm_callback(run)])            # one point per boosting round
        evaluation = run.evaluate(model, X_valid, y_valid)  # metrics, confusion matrix, report
    print(f"run {run.id}: " + ", ".join(f"{k} {v:.4f}" for k, v in
                                        sorted(evaluation.metrics.items())))


if __name__ == "__main__":
    main()
