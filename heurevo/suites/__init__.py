"""Named suites of instances with reference values and fixed splits (generated, real, user folders)."""
