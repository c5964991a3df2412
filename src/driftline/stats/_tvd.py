"""STUB: to be replaced by the real implementation of total_variation."""


def total_variation(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("total_variation is not implemented yet")
