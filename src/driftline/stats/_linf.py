"""STUB: to be replaced by the real implementation of linf."""


def linf(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("linf is not implemented yet")
