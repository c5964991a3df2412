"""STUB: to be replaced by the real implementation of hellinger."""


def hellinger(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("hellinger is not implemented yet")
