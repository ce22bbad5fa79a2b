"""Fault scenarios for bench/faults.py: each module exposes SCENARIOS = {name: fn(folder) -> counts}."""
