"""Travelling salesman solver: TSPLIB instances, Numba kernels with swappable slots."""
