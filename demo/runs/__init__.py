"""One module per demo run, each with `train(logdir, seed)`; NAMES is the generation order."""

NAMES = (
    "post000_collapse",
    "post001_stuck",
    "post002_saturated",
    "post003_dip",
    "post004_alternating",
    "healthy_smooth",
    "healthy_decay",
    "healthy_dropout",
)
