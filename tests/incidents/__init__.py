"""Tests of the incident lifecycle, its records and its end-to-end flows."""
