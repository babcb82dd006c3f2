"""Seeded instance generators with planted structure, per problem."""
