"""The example project's training function (the same as docs/serving.md's)."""

from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def train(data, *, previous=None, params):
    prep = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["region", "purpose"]),
                                   remainder=StandardScaler())
    return make_pipeline(prep, LogisticRegression(C=params["C"])).fit(data.X, data.y)
