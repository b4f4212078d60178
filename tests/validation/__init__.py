"""Tests of artifact validation and promotion."""
