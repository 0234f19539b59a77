"""Decides what each series is, pairs them, runs the detectors, ranks findings.

Imports only the model and the detectors: never TensorBoard or TensorFlow.
"""
