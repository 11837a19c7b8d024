"""See the package docstring of tokenprint."""
