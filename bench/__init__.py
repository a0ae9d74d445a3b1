"""Benchmarks of the onboarding platform: `make bench` (or `python -m bench.run`).

A plain folder of scripts, not a workspace package: each case starts what it measures
(isolated stacks with fresh databases, its own topic prefix, free ports and a temporary run
directory) and tears it down afterwards.
"""
