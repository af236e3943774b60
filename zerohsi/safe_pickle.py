"""Reading pickles written by external tools without letting them run code.

A pickle can name any importable callable and have it called while loading. The unpicklers here resolve only the
names needed to rebuild numpy arrays, numpy scalars and builtin containers (plus, for model files, scipy's sparse
matrices); anything else stops the load with a :class:`UserError`. joblib's format (arrays written as raw buffers
after the pickle stream) is read through the same allow-list, with object arrays refused.
"""

from __future__ import annotations

import importlib
import os
import pickle
from pathlib import Path
from typing import Any

from zerohsi.errors import UserError

#: (module, name) pairs a numpy/builtin pickle needs; both numpy 1 (numpy.core) and numpy 2 (numpy._core) spellings.
_NUMPY_GLOBALS = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
}
_BUILTIN_GLOBALS = {
    ("builtins", n) for n in ("dict", "list", "tuple", "set", "frozenset", "complex", "bytearray", "slice")
} | {("collections", "OrderedDict"), ("_codecs", "encode")}
_SPARSE_GLOBALS = {
    ("copyreg", "_reconstructor"), ("builtins", "object"),
    *{(m, c) for m in ("scipy.sparse.csc", "scipy.sparse._csc") for c in ("csc_matrix",)},
    *{(m, c) for m in ("scipy.sparse.csr", "scipy.sparse._csr") for c in ("csr_matrix",)},
}
_JOBLIB_GLOBALS = {("joblib.numpy_pickle", "NumpyArrayWrapper")}


def _is_numpy_dtype_class(module: str, name: str) -> bool:
    # numpy >= 1.25 pickles dtypes of concrete classes as numpy.dtypes.Float64DType etc.
    return module == "numpy.dtypes" and name.endswith("DType")


class _Refused(pickle.UnpicklingError):
    pass


def _make_find_class(allowed: set[tuple[str, str]]):
    def find_class(self, module: str, name: str):
        if (module, name) in allowed or _is_numpy_dtype_class(module, name):
            return getattr(importlib.import_module(module), name)
        raise _Refused(f"{module}.{name}")

    return find_class


class RestrictedUnpickler(pickle.Unpickler):
    """pickle.Unpickler that rebuilds numpy arrays and builtin containers only."""

    allowed = _NUMPY_GLOBALS | _BUILTIN_GLOBALS
    find_class = _make_find_class(allowed)


class _SparseUnpickler(pickle.Unpickler):
    allowed = _NUMPY_GLOBALS | _BUILTIN_GLOBALS | _SPARSE_GLOBALS
    find_class = _make_find_class(allowed)


def _refusal(path: Path, what: str) -> UserError:
    return UserError(f"{path} is not a plain numpy/joblib pickle (it references {what}); zerohsi only reads pickles "
                     "holding arrays and containers, so re-export it with numpy arrays only.")


def _corrupt(path: Path, exc: BaseException) -> UserError:
    return UserError(f"{path} could not be read as a pickle ({type(exc).__name__}: {exc}); it is corrupt or "
                     "truncated, so re-run the tool that wrote it.")


def load_pickle(path: str | os.PathLike, *, allow_sparse: bool = False, encoding: str = "ASCII") -> Any:
    """Load a plain pickle (numpy arrays, builtin containers; scipy sparse matrices with ``allow_sparse``)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path} does not exist; check the path.")
    cls = _SparseUnpickler if allow_sparse else RestrictedUnpickler
    try:
        with open(path, "rb") as f:
            return cls(f, encoding=encoding).load()
    except _Refused as exc:
        raise _refusal(path, str(exc)) from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
            UnicodeDecodeError) as exc:
        raise _corrupt(path, exc) from None


def load_joblib(path: str | os.PathLike) -> Any:
    """Load a file written by ``joblib.dump`` (or plain ``pickle.dump``) through the same allow-list.

    joblib stores each array as a ``NumpyArrayWrapper`` followed by its raw buffer; object arrays would be read with
    an unrestricted pickle, so they are refused.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path} does not exist; check the path.")
    try:
        from joblib import numpy_pickle as jnp
    except ImportError:
        return load_pickle(path)
    class _JoblibUnpickler(jnp.NumpyUnpickler):
        allowed = _NUMPY_GLOBALS | _BUILTIN_GLOBALS | _JOBLIB_GLOBALS
        find_class = _make_find_class(allowed)
        dispatch = jnp.NumpyUnpickler.dispatch.copy()

        def load_build(self):
            obj, state = self.stack[-2], self.stack[-1]
            if isinstance(obj, jnp.NumpyArrayWrapper) and isinstance(state, dict):
                dtype = state.get("dtype")
                if dtype is None or getattr(dtype, "hasobject", True):
                    raise _Refused("an object array")
            jnp.NumpyUnpickler.load_build(self)

        dispatch[pickle.BUILD[0]] = load_build

    try:
        with open(path, "rb") as raw, jnp._validate_fileobject_and_memmap(raw, str(path), None) as (fobj, _):
            if isinstance(fobj, str):  # joblib < 0.10 layout (arrays in side files): not supported
                raise _Refused("a joblib < 0.10 side-file layout")
            return _JoblibUnpickler(str(path), fobj, ensure_native_byte_order=True).load()
    except _Refused as exc:
        raise _refusal(path, str(exc)) from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            OSError, UnicodeDecodeError) as exc:
        raise _corrupt(path, exc) from None
