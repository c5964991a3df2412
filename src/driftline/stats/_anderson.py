"""STUB: to be replaced by the real implementation of anderson_darling."""


def anderson_darling(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("anderson_darling is not implemented yet")
