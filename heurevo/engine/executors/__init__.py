"""Executors: where sandboxed evaluation work runs (local pool, Dask), behind one interface."""
