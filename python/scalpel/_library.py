"""Loading libscalpelc and declaring the C functions of include/scalpel.h for ctypes."""

from __future__ import annotations

import ctypes
import os
from ctypes import POINTER, c_char_p, c_int, c_int64, c_void_p
from pathlib import Path
from typing import List

LIBRARY_NAME = "libscalpelc.so"

#: Names of the C API's status codes (include/scalpel.h, `scalpel_status`).
STATUS_NAMES = {
    1: "invalid argument",
    2: "parse error",
    3: "verification error",
    4: "pass error",
    5: "compile error",
    6: "execution error",
}


class ScalpelError(Exception):
    """A failed call into Scalpel: the library's diagnostic (with its `<input>:line:column`
    where the problem is in IR text) and the C status code (None for errors found in Python)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _checkouts() -> List[Path]:
    """The checkouts to look in: the one this package was installed from, then the one this
    file sits in (a source or editable install)."""
    found = []
    try:
        from ._checkout import CHECKOUT  # written at build time by setup.py

        found.append(Path(CHECKOUT))
    except ImportError:
        pass
    found.append(Path(__file__).resolve().parent.parent.parent)
    return found


def library_path() -> Path:
    """Where libscalpelc is: $SCALPEL_LIBRARY if set, else the checkout's release build
    (`.build/release/libscalpelc.so`, made by `swift build -c release --product scalpelc`)."""
    explicit = os.environ.get("SCALPEL_LIBRARY")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ScalpelError(f"SCALPEL_LIBRARY is {explicit}, which is not a file")
        return path
    tried = [c / ".build" / "release" / LIBRARY_NAME for c in _checkouts()]
    for path in tried:
        if path.is_file():
            return path
    raise ScalpelError(
        f"cannot find {LIBRARY_NAME}: set SCALPEL_LIBRARY, or build it in the checkout with "
        f"`swift build -c release --product scalpelc` (looked at {', '.join(map(str, tried))})"
    )


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Argument and result types of every function, as include/scalpel.h declares them."""
    out = POINTER(c_void_p)
    signatures = {
        "scalpel_version": (c_char_p, []),
        "scalpel_last_error": (c_char_p, []),
        "scalpel_graph_parse": (c_int, [c_char_p, out]),
        "scalpel_graph_apply": (c_int, [c_void_p, c_char_p, out]),
        "scalpel_graph_print": (c_int, [c_void_p, out]),
        "scalpel_compile": (c_int, [c_void_p, c_char_p, c_int, out]),
        "scalpel_executable_counts": (c_int, [c_void_p, POINTER(c_int), POINTER(c_int)]),
        "scalpel_executable_input": (
            c_int,
            [c_void_p, c_int, POINTER(c_char_p), POINTER(c_char_p), POINTER(c_int),
             POINTER(POINTER(c_int64))],
        ),
        "scalpel_executable_output": (
            c_int,
            [c_void_p, c_int, POINTER(c_char_p), POINTER(c_char_p), POINTER(c_int),
             POINTER(POINTER(c_int64))],
        ),
        "scalpel_tensor_new": (c_int, [c_char_p, c_int, POINTER(c_int64), c_void_p, out]),
        "scalpel_tensor_info": (
            c_int,
            [c_void_p, POINTER(c_char_p), POINTER(c_int), POINTER(POINTER(c_int64)),
             POINTER(c_void_p)],
        ),
        "scalpel_execute": (
            c_int,
            [c_void_p, c_int, POINTER(c_char_p), POINTER(c_void_p), POINTER(c_int),
             POINTER(POINTER(c_void_p)), POINTER(POINTER(c_void_p))],
        ),
        "scalpel_graph_free": (None, [c_void_p]),
        "scalpel_executable_free": (None, [c_void_p]),
        "scalpel_tensor_free": (None, [c_void_p]),
        "scalpel_string_free": (None, [c_void_p]),
        "scalpel_outputs_free": (None, [c_int, POINTER(c_void_p), POINTER(c_void_p)]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


_lib: ctypes.CDLL | None = None


def lib() -> ctypes.CDLL:
    """The loaded library (loaded on first use)."""
    global _lib
    if _lib is None:
        path = library_path()
        try:
            _lib = _declare(ctypes.CDLL(str(path)))
        except OSError as error:
            raise ScalpelError(f"cannot load {path}: {error}") from error
    return _lib


def check(status: int) -> None:
    """Raises ScalpelError with the library's last error if `status` is not 0."""
    if status != 0:
        message = (lib().scalpel_last_error() or b"").decode("utf-8", "replace")
        kind = STATUS_NAMES.get(status, f"status {status}")
        raise ScalpelError(f"{kind}: {message}", status)
