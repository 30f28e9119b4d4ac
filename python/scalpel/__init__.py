"""Scalpel from Python: parse graph IR, run passes (autodiff, Surgery's sink-divergence, cse,
...), compile with the LLVM JIT or the interpreter, and run on NumPy arrays.

    import numpy as np
    import scalpel

    graph = scalpel.Graph.parse(open("examples/architecture.ir").read())
    step = graph.apply("grad{of=loss wrt=w}").compile(backend="jit")
    out = step(x=np.ones((4, 3)), w=np.full((3, 2), 0.5), y=np.zeros((4, 2)))
    print(out["loss"], out["grad_w"])

A thin layer over libscalpelc (include/scalpel.h) through ctypes; every error the library
reports is raised as ScalpelError with its diagnostic.
"""

from __future__ import annotations

import ctypes
import threading
from ctypes import POINTER, byref, c_char_p, c_int, c_int64, c_void_p
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

from ._library import ScalpelError, check, lib, library_path

__version__ = "0.1.0"
__all__ = ["Executable", "Graph", "ScalpelError", "TensorSpec", "library_path", "library_version"]

_DTYPES: Dict[str, np.dtype] = {
    "f32": np.dtype(np.float32),
    "f64": np.dtype(np.float64),
    "i32": np.dtype(np.int32),
    "i64": np.dtype(np.int64),
    "i1": np.dtype(np.bool_),
}
_NAMES = {dtype: name for name, dtype in _DTYPES.items()}


def library_version() -> str:
    """The version of the loaded libscalpelc ("MAJOR.MINOR.PATCH")."""
    return lib().scalpel_version().decode()


class _Handle:
    """Owns one handle of the C API and frees it with `free` when collected."""

    def __init__(self, pointer: int, free: Callable[[int], None]) -> None:
        self.pointer = pointer
        self._free = free

    def __del__(self) -> None:
        if self.pointer:
            self._free(self.pointer)
            self.pointer = 0


class Graph:
    """One verified graph. Immutable: passes return a new graph."""

    def __init__(self, handle: _Handle) -> None:
        """Internal; use Graph.parse."""
        self._handle = handle

    @staticmethod
    def _adopt(pointer: c_void_p) -> "Graph":
        return Graph(_Handle(pointer.value or 0, lib().scalpel_graph_free))

    @classmethod
    def parse(cls, text: str) -> "Graph":
        """Parses IR text holding exactly one graph and verifies it."""
        out = c_void_p()
        check(lib().scalpel_graph_parse(text.encode("utf-8"), byref(out)))
        return cls._adopt(out)

    def apply(self, pipeline: str) -> "Graph":
        """Runs a pass pipeline in scalpel-opt's --passes syntax, e.g.
        "grad{of=loss wrt=w},cse,dce", on a copy of this graph, and returns the result."""
        out = c_void_p()
        check(lib().scalpel_graph_apply(self._handle.pointer, pipeline.encode("utf-8"), byref(out)))
        return self._adopt(out)

    def __str__(self) -> str:
        """The graph in the IR text format."""
        out = c_void_p()
        check(lib().scalpel_graph_print(self._handle.pointer, byref(out)))
        try:
            return ctypes.string_at(out.value).decode("utf-8")
        finally:
            lib().scalpel_string_free(out)

    def __repr__(self) -> str:
        return f"scalpel.Graph.parse({str(self)!r})"

    def compile(self, backend: str = "jit", threads: int | None = None) -> "Executable":
        """Prepares the graph to run: backend "jit" (LLVM) or "interpreter"; threads for the JIT
        (None: all cores)."""
        out = c_void_p()
        check(lib().scalpel_compile(
            self._handle.pointer, backend.encode("utf-8"), 0 if threads is None else threads,
            byref(out)))
        return Executable(_Handle(out.value or 0, lib().scalpel_executable_free))


@dataclass(frozen=True)
class TensorSpec:
    """A parameter or result of a compiled graph."""

    name: str
    dtype: np.dtype
    shape: Tuple[int, ...]


def _tensor_info(pointer: int) -> Tuple[np.dtype, Tuple[int, ...], int]:
    dtype, rank, shape, data = c_char_p(), c_int(), POINTER(c_int64)(), c_void_p()
    check(lib().scalpel_tensor_info(pointer, byref(dtype), byref(rank), byref(shape), byref(data)))
    return _DTYPES[dtype.value.decode()], tuple(shape[i] for i in range(rank.value)), data.value


class Executable:
    """A compiled graph: call it with one NumPy array (or array-like) per parameter, by
    keyword; it returns a dict from result name to a new numpy.ndarray.

    Arrays of another dtype are converted when NumPy's "same_kind" rule allows it (float64 to
    f32, int64 to i32), else ScalpelError. Calls on one executable are serialized."""

    def __init__(self, handle: _Handle) -> None:
        """Internal; use Graph.compile."""
        self._handle = handle
        self._lock = threading.Lock()
        n_inputs, n_outputs = c_int(), c_int()
        check(lib().scalpel_executable_counts(handle.pointer, byref(n_inputs), byref(n_outputs)))
        self.inputs: List[TensorSpec] = [
            self._spec(lib().scalpel_executable_input, i) for i in range(n_inputs.value)]
        self.outputs: List[TensorSpec] = [
            self._spec(lib().scalpel_executable_output, i) for i in range(n_outputs.value)]

    def _spec(self, describe: Any, index: int) -> TensorSpec:
        name, dtype, rank, shape = c_char_p(), c_char_p(), c_int(), POINTER(c_int64)()
        check(describe(
            self._handle.pointer, index, byref(name), byref(dtype), byref(rank), byref(shape)))
        return TensorSpec(
            name.value.decode(), _DTYPES[dtype.value.decode()],
            tuple(shape[i] for i in range(rank.value)))

    def __call__(self, **inputs: Any) -> Dict[str, np.ndarray]:
        specs = {spec.name: spec for spec in self.inputs}
        tensors: List[_Handle] = []
        for name, value in inputs.items():
            array = np.asarray(value)
            spec = specs.get(name)
            if spec is not None and array.dtype != spec.dtype:
                if not np.can_cast(array.dtype, spec.dtype, casting="same_kind"):
                    raise ScalpelError(
                        f"input '{name}': a {array.dtype} array cannot be converted to "
                        f"{_NAMES[spec.dtype]} (NumPy's same_kind rule)")
                array = array.astype(spec.dtype)
            tensors.append(_new_tensor(name, np.ascontiguousarray(array)))
        names = (c_char_p * len(inputs))(*(name.encode("utf-8") for name in inputs))
        pointers = (c_void_p * len(inputs))(*(t.pointer for t in tensors))
        count, out_names, out_tensors = c_int(), POINTER(c_void_p)(), POINTER(c_void_p)()
        with self._lock:
            check(lib().scalpel_execute(
                self._handle.pointer, len(inputs), names, pointers, byref(count),
                byref(out_names), byref(out_tensors)))
        try:
            results = {}
            for i in range(count.value):
                dtype, shape, data = _tensor_info(out_tensors[i])
                array = np.empty(shape, dtype)
                ctypes.memmove(array.ctypes.data, data, array.nbytes)
                results[ctypes.string_at(out_names[i]).decode("utf-8")] = array
            return results
        finally:
            lib().scalpel_outputs_free(count, out_names, out_tensors)


def _new_tensor(name: str, array: np.ndarray) -> _Handle:
    dtype = _NAMES.get(array.dtype)
    if dtype is None:
        raise ScalpelError(
            f"input '{name}': dtype {array.dtype} is not supported; expected one of "
            f"{', '.join(str(d) for d in _DTYPES.values())}")
    shape = (c_int64 * array.ndim)(*array.shape)
    out = c_void_p()
    check(lib().scalpel_tensor_new(
        dtype.encode(), array.ndim, shape, array.ctypes.data or None, byref(out)))
    return _Handle(out.value or 0, lib().scalpel_tensor_free)
