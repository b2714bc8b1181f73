"""Tests of qmlsec.data.preprocess."""
