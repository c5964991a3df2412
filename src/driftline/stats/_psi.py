"""STUB: to be replaced by the real implementation of psi."""


def psi(reference, current, **params):  # type: ignore[no-untyped-def]
    raise NotImplementedError("psi is not implemented yet")
