"""STUB: to be replaced by the real implementation of welch_t."""


def welch_t(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("welch_t is not implemented yet")
