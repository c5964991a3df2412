"""STUB: to be replaced by the real implementation of cramers_v."""


def cramers_v(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("cramers_v is not implemented yet")
