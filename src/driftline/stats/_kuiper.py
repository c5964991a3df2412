"""STUB: to be replaced by the real implementation of kuiper."""


def kuiper(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("kuiper is not implemented yet")
