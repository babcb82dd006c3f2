"""Candidates, evaluation results, lineage and their durable store."""
