"""Helpers shared by the tests and the benchmarks: paths, workspaces, real servers and workers."""
