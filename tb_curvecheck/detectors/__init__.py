"""Pure detectors: model series in, typed events out, findings written from them.

`base.Detector` is the interface, `registry` lists every detector and runs them;
`stats` and `histogram_stats` hold the measurements they share.  Imports only
the model and numpy.
"""
