"""Compiled kernels for ``update_many``, with numba as an optional extra (``driftline[fast]``).

A kernel is one plain Python function, decorated with :func:`kernel`: the loop of a detector
over a batch, taking its state as scalars and buffers and returning the new state and the
number of drifts it wrote into a preallocated ``hits`` array. The same definition runs two
ways:

* **pure**: called as it is, over a list of Python floats (element access on a list is much
  faster in Python than on an array);
* **compiled**: ``numba.njit(cache=True)`` of that very function, over the float64 array.

There is one definition, so both paths run the same operations in the same order. numba keeps
IEEE arithmetic (no fast-math, Python's division-by-zero semantics) and calls the same C
library for ``log``, ``erfc`` and ``pow`` (``sqrt`` is correctly rounded in both), so the two
give the same hits and the same state, bit for bit; the tests check it on many streams. One
trap, and its rule: numba turns
``x ** 0.5`` with a constant exponent into a correctly rounded ``sqrt``, which differs from
the C library's ``pow`` in the last bit about once in a thousand values. A kernel that must
reproduce Python's ``x ** 0.5`` takes the exponent as an argument instead.

Nothing here imports numba at import time (importing :mod:`driftline.streaming` stays cheap).
The first time a kernel is asked for its compiled form, numba is imported and the function
compiled; its machine code is cached on disk next to the source by numba, so later processes
load it instead of compiling. numba is not used when it is not installed (or cannot
load), when :func:`use` says ``"pure"``, or while a kernel has seen fewer than :data:`COMPILE_AFTER` values
in total, since compiling costs about a second and the pure path handles small batches well
in that time. The choice changes the speed, never the result.

Examples
--------
>>> import numpy as np
>>> @kernel
... def _count_ones(xs, hits):
...     k = 0
...     for i, x in enumerate(xs):
...         if x == 1.0:
...             hits[k] = i
...             k += 1
...     return k
>>> hits = np.empty(4, dtype=np.int64)
>>> _count_ones([0.0, 1.0, 1.0, 0.0], hits), hits[:2].tolist()  # the pure function
(2, [1, 2])
>>> _count_ones.py_func is _count_ones.pure
True
>>> with use("pure"):
...     _count_ones.select(10**9) is None  # never compiled in this mode
True
"""

from __future__ import annotations

import contextlib
import functools
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["COMPILE_AFTER", "Kernel", "kernel", "numba_enabled", "use"]

#: Values a kernel sees through its pure path before it is compiled (in "auto" mode): about a
#: tenth of a second of pure work, about what importing numba and loading a cached kernel
#: take, and less than a cold compile (0.2 to 1 s a kernel).
COMPILE_AFTER = 500_000

_MODES = ("auto", "pure", "compiled")
_state: dict[str, Any] = {"mode": "auto", "numba": None}  # numba: the module, False, or None (unknown)
_lock = threading.RLock()  # re-entered when a kernel compiles the kernels it calls


def _numba() -> Any:
    """The numba module, or None when it is missing or disabled (looked up once)."""
    if _state["numba"] is None:
        found: Any = False
        try:  # core code reads no environment: numba is on when it is installed
            import numba

            found = numba
        except (ImportError, OSError):  # not installed, or its LLVM cannot load
            found = False
        _state["numba"] = found
    return _state["numba"] or None


def numba_enabled() -> bool:
    """Whether compiled kernels are available (numba is installed and loads). Imports numba
    the first time it is called."""
    return _numba() is not None


@contextlib.contextmanager
def use(mode: str) -> Iterator[None]:
    """Run the block with every kernel in ``mode``: ``"auto"`` (the default: compiled once
    worth it), ``"pure"`` (never compiled) or ``"compiled"`` (always compiled; raises
    :class:`~driftline.errors.MissingDependencyError` without numba). For tests and
    benchmarks; the results are the same in every mode."""
    if mode not in _MODES:
        from driftline.errors import ParameterError

        raise ParameterError.choice("mode", mode, _MODES)
    before = _state["mode"]
    _state["mode"] = mode
    try:
        yield
    finally:
        _state["mode"] = before


class Kernel:
    """A kernel function and, once wanted, its compiled form. Calling the kernel calls the
    pure function; :meth:`select` says which form a batch should run with."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        functools.update_wrapper(self, fn)
        self.py_func = fn
        self._compiled: Any = None  # the numba dispatcher, False when it cannot be had
        self._seen = 0

    @property
    def pure(self) -> Callable[..., Any]:
        """The pure Python function (the same object as ``py_func``)."""
        return self.py_func

    def __call__(self, *args: Any) -> Any:
        return self.py_func(*args)

    def __repr__(self) -> str:
        return f"<kernel {self.py_func.__module__}.{self.py_func.__qualname__}>"

    def compiled(self) -> Callable[..., Any] | None:
        """The numba-compiled function (compiled on the first call), or None without numba."""
        if self._compiled is None:
            with _lock:
                if self._compiled is None:
                    self._compiled = _compile(self) or False
        return self._compiled or None

    def select(self, n: int) -> Callable[..., Any] | None:
        """The compiled function to run a batch of ``n`` values with, or None for the pure
        path (see the module docstring for when)."""
        mode = _state["mode"]
        if mode == "pure":
            return None
        if mode == "compiled":
            fn = self.compiled()
            if fn is None:
                from driftline.errors import MissingDependencyError

                raise MissingDependencyError.for_extra("numba", "fast", "Compiled streaming kernels")
            return fn
        if self._compiled is None:
            self._seen += n
            if self._seen < COMPILE_AFTER:
                return None
        return self.compiled()


def kernel(fn: Callable[..., Any]) -> Kernel:
    """Declare ``fn`` a kernel: numba-compilable, and correct as plain Python. A kernel may
    call other kernels of its module; the compiled form calls their compiled forms."""
    return Kernel(fn)


def _compile(k: Kernel) -> Any:
    numba = _numba()
    if numba is None:
        return None
    fn = k.py_func
    calls = {name: fn.__globals__[name] for name in fn.__code__.co_names
             if isinstance(fn.__globals__.get(name), Kernel)}
    if calls:  # the same code, with the kernels it calls swapped for their compiled forms
        compiled = {name: callee.compiled() for name, callee in calls.items()}
        fn = types.FunctionType(fn.__code__, {**fn.__globals__, **compiled}, fn.__name__,
                                fn.__defaults__, fn.__closure__)
        fn.__qualname__, fn.__module__ = k.py_func.__qualname__, k.py_func.__module__
    try:
        return numba.njit(cache=True)(fn)
    except RuntimeError:  # no writable cache directory: compile for this process only
        return numba.njit(fn)
