"""The PBO kernel's two records, declared once: the instance arrays and the search state.

Each record is a namedtuple of arrays whose fields, dtypes and lengths are listed here and
nowhere else: the Numba types of the kernel signature, the allocation of a fresh state and the
packing of an instance are all derived from these specs, and the kernel reads every field by
name (``inst.lit_coef``, ``st.hscore``), so an argument order cannot be got wrong. Packing
checks every length against its declaration, so a field given the wrong same-typed array of
another length is refused before the kernel runs.

Namedtuples were chosen by measurement over structured arrays and jitclass/StructRef (those
need the Numba runtime, which the kernel turns off): a namedtuple of arrays is passed to the
kernel as its flattened members, so the inner loops see exactly the arrays they saw as
positional arguments.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
from typing import Any

import numpy as np
from numba import from_dtype, types

#: Instance fields: (name, dtype, length). Lengths are expressions over n (variables),
#: m (hard constraints), L (literals) and J (objective units).
INSTANCE_SPEC: tuple[tuple[str, type, str], ...] = (
    ("con_start", np.int64, "m + 1"),   # literals of constraint c: con_start[c]:con_start[c+1]
    ("lit_var", np.int32, "L"),         # 0-based variable of each literal
    ("lit_sign", np.int8, "L"),         # 1 for x, 0 for ~x
    ("lit_coef", np.int64, "L"),        # coefficient (> 0), descending within a constraint
    ("con_degree", np.int64, "m"),      # right-hand side (> 0)
    ("con_avg", np.int64, "m"),         # max(1, rounded mean coefficient)
    ("occ_start", np.int64, "n + 1"),   # occurrences of variable v: occ_start[v]:occ_start[v+1]
    ("occ_con", np.int32, "L"),         # constraint of each occurrence
    ("occ_lit", np.int32, "L"),         # literal position of each occurrence
    ("obj_var", np.int64, "J"),         # variable of each objective unit
    ("obj_cost", np.int64, "J"),        # its cost (> 0)
    ("obj_paid", np.int8, "J"),         # the value of obj_var at which the cost is paid
    ("var_obj", np.int64, "n"),         # objective unit of each variable, -1 if none
)
#: The int32 index fields hold values below this (checked when an instance is built).
INDEX_LIMIT = 2**31

#: Scalar instance fields (int64), after the arrays.
INSTANCE_SCALARS = ("obj_avg",)

#: State fields: (name, dtype, length); T (trace capacity), C (scalar-state slots), R (random
#: state words) and S (scratch length) are given by the caller that allocates.
STATE_SPEC: tuple[tuple[str, type, str], ...] = (
    ("values", np.int8, "n"), ("best_values", np.int8, "n"),
    ("sat", np.int64, "m"), ("hard_w", np.float64, "m"), ("hard_e", np.float64, "m"),
    ("unsat", np.int64, "m"), ("unsat_pos", np.int64, "m"),
    ("obj_w", np.float64, "J"), ("obj_e", np.float64, "J"),
    ("paid", np.int64, "J"), ("paid_pos", np.int64, "J"),
    ("hscore", np.float64, "n"), ("oscore", np.float64, "n"), ("score", np.float64, "n"),
    ("good", np.int64, "n"), ("good_pos", np.int64, "n"), ("last_flip", np.int64, "n"),
    ("trace_step", np.int64, "T"), ("trace_cost", np.int64, "T"),
    ("ctr", np.int64, "C"), ("rng", np.uint64, "R"), ("scratch", np.int64, "S"),
)

#: The instance record (the arrays a search reads, never writes: read-only, also in their Numba
#: type, so a slot that writes one does not compile).
PBOArrays = namedtuple("PBOArrays", [f for f, _, _ in INSTANCE_SPEC] + list(INSTANCE_SCALARS))
#: The state record (every array a search writes).
SearchState = namedtuple("SearchState", [f for f, _, _ in STATE_SPEC])


def _array_type(dtype: type, readonly: bool = False) -> Any:
    return types.Array(from_dtype(np.dtype(dtype)), 1, "C", readonly=readonly)


#: Numba types of the records, as the kernel signature declares them.
PBO_ARRAYS_TYPE = types.NamedTuple(
    tuple(_array_type(d, readonly=True) for _, d, _ in INSTANCE_SPEC)
    + (types.int64,) * len(INSTANCE_SCALARS),
    PBOArrays)
SEARCH_STATE_TYPE = types.NamedTuple(tuple(_array_type(d) for _, d, _ in STATE_SPEC), SearchState)


def field_dtype(field: str) -> np.dtype:
    """The declared dtype of the record field ``field`` (instance or state)."""
    return np.dtype(next(d for name, d, _ in INSTANCE_SPEC + STATE_SPEC if name == field))


def readonly_signature(field: str) -> str:
    """The Numba signature text of a read-only 1-d array like the record field ``field``."""
    return f"Array({field_dtype(field).name}, 1, 'C', readonly=True)"


def _length(expr: str, dims: Mapping[str, int]) -> int:
    return int(eval(expr, {"__builtins__": {}}, dict(dims)))  # package-defined expressions


def pack_instance(source: Any) -> PBOArrays:
    """The instance record of ``source`` (any object with the fields as attributes), by name:
    read-only views of its arrays (``source``'s own arrays stay as they are).

    Raises ValueError when an array has the wrong dtype or length for its declaration."""
    dims = {d: int(np.size(getattr(source, f))) for d, f in
            (("n", "var_obj"), ("m", "con_degree"), ("L", "lit_var"), ("J", "obj_var"))}
    fields: dict[str, Any] = {}
    for name, dtype, size in INSTANCE_SPEC:
        a = getattr(source, name)
        want = _length(size, dims)
        if not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != 1 or a.size != want:
            raise ValueError(f"instance field {name}: expected {np.dtype(dtype)}[{want}] ({size}),"
                             f" got {getattr(a, 'dtype', type(a).__name__)}{list(np.shape(a))}")
        view = np.ascontiguousarray(a).view()
        view.flags.writeable = False
        fields[name] = view
    for name in INSTANCE_SCALARS:
        fields[name] = np.int64(getattr(source, name))
    return PBOArrays(**fields)


def allocate_state(dims: Mapping[str, int]) -> SearchState:
    """A zeroed state record for the dimensions ``dims`` (n, m, J, T, C, R, S)."""
    return SearchState(**{name: np.zeros(_length(size, dims), dtype=dtype)
                          for name, dtype, size in STATE_SPEC})
