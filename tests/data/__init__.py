"""Tests of qmlsec.data."""
