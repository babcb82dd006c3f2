"""Solver kernels (Numba) with swappable decision slots, per problem."""
