"""STUB: to be replaced by the real implementation of bhattacharyya."""


def bhattacharyya(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("bhattacharyya is not implemented yet")
