"""A tuning script with driftline's tracking: an Optuna study whose trials are nested runs
(params, objective, pruning, times), its best trial and parameter importances, and the same for
a scikit-learn grid search.

    python examples/tracking/tune.py --trials 30           # the store: DRIFTLINE_STORE_URL,
                                                           # else ./driftline.db
The studies then show on the UI's training page (``?study=<id>``).
"""

from __future__ import annotations

import argparse

import optuna
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

import driftline as dl
from driftline.datasets import make_credit_frames
from driftline.integrations import OptunaTracker, log_study
from driftline.tracking import log_search

FEATURES = ["income", "age", "debt_ratio", "has_mortgage"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", default=None, help="store URL (default: the environment)")
    parser.add_argument("--model", default="credit")
    parser.add_argument("--trials", type=int, default=30)
    args = parser.parse_args()

    frame, _ = make_credit_frames(6_000, 10, seed=4)
    X_train, X_valid, y_train, y_valid = train_test_split(
        frame[FEATURES], frame["default"], test_size=0.3, random_state=0)

    def objective(trial: optuna.Trial) -> float:
        params = {"learning_rate": trial.suggest_float("learning_rate", 0.01, 0.5, log=True),
                  "max_leaf_nodes": trial.suggest_int("max_leaf_nodes", 4, 64, log=True),
                  "l2_regularization": trial.suggest_float("l2_regularization", 1e-4, 10,
                                                           log=True)}
        model = HistGradientBoostingClassifier(max_iter=60, early_stopping=False,
                                               random_state=0, **params)
        auc = 0.0
        for step, _ in enumerate(model.fit(X_train, y_train).staged_predict_proba(X_valid)):
            if step % 10 == 9:  # report every 10 iterations: the pruner stops poor trials
                auc = roc_auc_score(y_valid, _[:, 1])
                trial.report(auc, step)
                if trial.should_prune():
                    raise optuna.TrialPruned()
        return auc

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.MedianPruner(5, 2),
                                sampler=optuna.samplers.TPESampler(seed=0))
    with dl.track(args.model, run_name="tpe: gradient boosting", kind="study",
                  store=args.store) as run:
        study.optimize(objective, n_trials=args.trials,
                       callbacks=[OptunaTracker(run, metric="roc_auc")])
        log_study(run, study, metric="roc_auc")  # best trial, best value, importances
    print(f"optuna study {run.id}: best roc_auc {study.best_value:.4f} {study.best_params}")

    scaled = StandardScaler().fit(X_train)
    search = GridSearchCV(LogisticRegression(solver="liblinear"),
                          {"C": [0.001, 0.01, 0.1, 1.0], "l1_ratio": [0.0, 1.0]},
                          scoring="roc_auc", cv=3).fit(scaled.transform(X_train), y_train)
    with dl.track(args.model, run_name="grid: logistic regression", kind="study",
                  store=args.store) as grid:
        log_search(grid, search)  # one trial per candidate, rank-1 as the best trial
    print(f"grid study {grid.id}: best {search.best_score_:.4f} {search.best_params_}")


if __name__ == "__main__":
    main()
