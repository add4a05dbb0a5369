"""Tests of the viz package."""
