"""The CurveCheck demo: small Keras trainings that reproduce the failures CurveCheck exists for.

`python -m demo.generate` writes the logs, `python -m demo.describe` prints the
numbers they hold, `labels.json` says what CurveCheck must find in each run.
"""
