"""STUB: to be replaced by the real implementation of hist_intersection."""


def hist_intersection(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("hist_intersection is not implemented yet")
