"""STUB: to be replaced by the real implementation of mann_whitney."""


def mann_whitney(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("mann_whitney is not implemented yet")
