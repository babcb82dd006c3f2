"""Online bin packing as a heurevo plug-in (FunSearch's priority-function protocol).

This module is what heurevo's registry imports to list the problem: it stays light (no Numba);
the adapter and kernel load only when the problem is used.
"""

from heurevo.solvers.problem import ProblemInfo

#: The problem record registered through the ``heurevo.problems`` entry point.
PROBLEM = ProblemInfo(
    name="binpacking",
    adapter="heurevo_binpacking.adapter:BinPackingAdapter",
    description="online bin packing (FunSearch's priority function; bins over the L1 bound)",
    suffixes=(".bpp",),
    # One pass packs every item; the budget is an upper bound on the items an instance may have.
    default_budget_steps=1_000_000,
    default_suite="binpacking-weibull-1k",
    heldout_suite="binpacking-weibull-5k-heldout",
)

__all__ = ["PROBLEM"]
