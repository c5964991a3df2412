"""STUB: to be replaced by the real implementation of epps_singleton."""


def epps_singleton(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("epps_singleton is not implemented yet")
