"""The tokenprint test suite (a package, so test modules of the same name in two folders do
not clash and the helpers import as ``tests.support``); the map is tests/README.md."""
