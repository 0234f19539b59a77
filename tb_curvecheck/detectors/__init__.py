"""Pure detectors: model series in, findings out. Imports only model and numpy."""
