"""Benchmarks and the synthetic data generator (``make bench`` runs ``python -m bench``)."""
