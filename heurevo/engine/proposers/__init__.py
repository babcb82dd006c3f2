"""Proposers turn a proposal request into new slot source code; they never evaluate anything."""
