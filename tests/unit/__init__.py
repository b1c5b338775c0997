"""Tests of pure functions: no database, no app."""
