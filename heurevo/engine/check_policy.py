"""What slot code may name: the allow-lists the static checks enforce.

Slot code is compiled by Numba in nopython mode, so it may use only what Numba compiles. The
policy is an allow-list, not a list of bad names: a module member is usable only when it is
listed here for that module (``np.sum``, ``math.sqrt``, ``np.linalg.norm``), any other attribute
only when it is a listed array / list / scalar attribute or method (``.shape``, ``.copy()``).
Everything else is refused, so a path such as ``np.ma.core.builtins.exec`` never gets past its
first link. A plug-in slot that declares another import registers its members with
:func:`register_module_members`.
"""

from __future__ import annotations

from collections.abc import Iterable

_NUMPY_UFUNCS = """
abs absolute add subtract multiply divide true_divide floor_divide negative positive power
float_power remainder mod fmod divmod sign sqrt square cbrt reciprocal exp exp2 expm1 log log2
log10 log1p logaddexp logaddexp2 sin cos tan arcsin arccos arctan arctan2 hypot sinh cosh tanh
arcsinh arccosh arctanh deg2rad rad2deg degrees radians floor ceil trunc rint round around fabs
maximum minimum fmax fmin isfinite isinf isnan signbit copysign nextafter spacing ldexp frexp
greater greater_equal less less_equal equal not_equal logical_and logical_or logical_xor
logical_not bitwise_and bitwise_or bitwise_xor bitwise_not invert left_shift right_shift gcd lcm
conj conjugate real imag angle clip heaviside nan_to_num
"""

_NUMPY_ARRAYS = """
sum prod mean median std var min max amin amax argmin argmax nanmin nanmax nansum nanmean
nanmedian nanstd nanvar nanprod nanargmin nanargmax cumsum cumprod nancumsum nancumprod
percentile nanpercentile quantile nanquantile ptp average all any count_nonzero
empty zeros ones full empty_like zeros_like ones_like full_like arange linspace logspace
geomspace eye identity array asarray ascontiguousarray asfortranarray copy diag diagflat tri
tril triu vander reshape ravel transpose concatenate stack vstack hstack dstack column_stack
append where nonzero argsort sort argwhere flatnonzero unique searchsorted digitize histogram
bincount diff ediff1d cross dot vdot outer inner kron trace fill_diagonal roll flip fliplr flipud
rot90 repeat tile expand_dims squeeze atleast_1d atleast_2d atleast_3d swapaxes moveaxis take
interp isclose allclose array_equal partition argpartition convolve correlate round_ cov corrcoef
select union1d intersect1d setdiff1d in1d isin triu_indices tril_indices diag_indices
unravel_index ravel_multi_index split array_split delete insert shape size ndim isscalar
asfarray trapz trapezoid
"""

_NUMPY_TYPES = """
float64 float32 float16 int64 int32 int16 int8 uint64 uint32 uint16 uint8 intp uintp bool_
complex128 complex64 double single int_ float_ ndarray inf nan pi e euler_gamma newaxis
"""

_LINALG = """
norm inv det solve pinv eig eigh eigvals eigvalsh svd qr lstsq matrix_power matrix_rank cond
slogdet cholesky
"""

_MATH = """
acos acosh asin asinh atan atan2 atanh ceil copysign cos cosh degrees erf erfc exp expm1 fabs
floor fmod frexp gamma gcd hypot isfinite isinf isnan ldexp lgamma log log10 log1p log2 pow
radians remainder sin sinh sqrt tan tanh trunc pi e inf nan tau
"""

_VALUES = """
shape size ndim dtype T real imag itemsize nbytes
sum prod mean std var min max argmin argmax cumsum cumprod all any nonzero argsort sort copy
astype reshape ravel flatten transpose take repeat fill item dot ptp conj conjugate clip view
append extend insert pop remove index count reverse clear
"""

#: Attributes and methods usable on values (arrays, lists, tuples, scalars): what Numba types.
VALUE_ATTRIBUTES = frozenset(_VALUES.split())

#: numpy submodules that may appear in a chain, each with its own allow-list.
NUMPY_SUBMODULES = {"linalg": "numpy.linalg"}

MODULE_MEMBERS: dict[str, frozenset[str]] = {
    "numpy": frozenset((_NUMPY_UFUNCS + _NUMPY_ARRAYS + _NUMPY_TYPES).split()) | set(NUMPY_SUBMODULES),
    "numpy.linalg": frozenset(_LINALG.split()),
    "math": frozenset(_MATH.split()),
}

#: Submodules (``module.attr`` that is itself a module) and the module path they stand for.
SUBMODULES: dict[tuple[str, str], str] = {("numpy", k): v for k, v in NUMPY_SUBMODULES.items()}

#: Builtins a Numba slot may use; every other builtin name is refused.
ALLOWED_BUILTINS = frozenset({
    "abs", "min", "max", "range", "len", "int", "float", "bool", "round", "sum", "enumerate",
    "zip", "reversed", "divmod", "pow", "tuple", "list", "True", "False", "None", "ValueError",
    "IndexError", "RuntimeError", "ZeroDivisionError", "AssertionError", "Exception", "any",
    "all", "sorted",
})

#: Names refused wherever they appear (loaded, assigned or as an argument), with the reason.
REFUSED_NAMES: dict[str, str] = {
    **dict.fromkeys(
        ("open", "input", "print", "breakpoint", "help", "exit", "quit"),
        "no I/O in slot code; return results through the slot's arguments and return value"),
    **dict.fromkeys(
        ("eval", "exec", "compile", "getattr", "setattr", "delattr", "hasattr", "vars",
         "globals", "locals", "dir", "type", "object", "super", "id", "memoryview",
         "classmethod", "staticmethod", "property", "attrgetter", "methodcaller", "itemgetter",
         "issubclass", "callable"),
        "no reflection, dynamic code or string-to-name lookups in slot code"),
    **dict.fromkeys(
        ("os", "sys", "subprocess", "socket", "shutil", "pathlib", "ctypes", "builtins",
         "importlib", "threading", "multiprocessing", "signal", "pickle", "marshal", "io",
         "resource", "gc", "inspect", "operator", "functools", "time", "numba", "random"),
        "no system modules in slot code"),
}

RNG_HINT = ("use rng_random(rng_state) / rng_randint(rng_state, n) / rng_chance(rng_state, p) "
            "with the given state")


def register_module_members(module: str, members: Iterable[str]) -> None:
    """Declare what slot code may use of ``module`` (for a plug-in slot's extra import)."""
    if module in MODULE_MEMBERS:
        raise ValueError(f"module {module!r} already has an allow-list")
    MODULE_MEMBERS[module] = frozenset(members)
