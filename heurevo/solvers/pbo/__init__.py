"""Pseudo-Boolean optimisation: NuPBO-style local search with seven swappable slots."""
