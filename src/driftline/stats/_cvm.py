"""STUB: to be replaced by the real implementation of cramer_von_mises."""


def cramer_von_mises(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("cramer_von_mises is not implemented yet")
