"""The test suite: one folder per area of the code, shared helpers in ``support``."""
