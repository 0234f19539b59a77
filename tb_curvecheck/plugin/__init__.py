"""CurveCheck's TensorBoard plugin: the loader, the routes and their cache.

Kept empty on purpose: TensorBoard imports the entry point
`tb_curvecheck.plugin.loader` at start-up, and anything imported here would be
imported then too.
"""
