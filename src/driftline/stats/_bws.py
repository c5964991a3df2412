"""STUB: to be replaced by the real implementation of bws."""


def bws(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("bws is not implemented yet")
