"""CurveCheck's benchmarks: run each as `python -m benchmarks.NAME` (or
`python benchmarks/NAME.py`) from the repository root; tests import them as
this package."""
