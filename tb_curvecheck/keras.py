"""`CurveCheck`: a Keras callback that logs what the histogram detectors need
and runs CurveCheck's analysis while training runs.

Use it beside Keras' own `TensorBoard` callback, with the same `log_dir`::

    model.fit(x, y, validation_data=(xv, yv), epochs=50, callbacks=[
        keras.callbacks.TensorBoard(log_dir, histogram_freq=1),
        tb_curvecheck.keras.CurveCheck(log_dir, stop_on=("non_finite", "loss_divergence")),
    ])

It writes into the same `train/` and `validation/` runs, at step = epoch like
the `epoch_*` scalars, so everything lands in one experiment:

- `validation/curvecheck/outputs`: the model's outputs on a fixed sample of
  the validation data (histogram); with 2 to 16 output units also
  `validation/curvecheck/outputs/class_<i>`, one per unit, so a model that
  predicts the same thing for every input shows up even under a softmax;
- `validation/curvecheck/activations/<layer>`: the outputs of ReLU-like layers
  (or the layers asked for) on that sample (histogram);
- `train/curvecheck/gradient_norm/<layer>`: the norm of the loss gradient of
  each layer's trainable weights on that sample (scalar);
- `validation/curvecheck/class_share/<class>` (and `train/...` when
  `train_labels` is given): the share of each class in the labels (scalar),
  so a stuck accuracy can be matched to the majority share exactly;
- `train/curvecheck/findings`: new findings as a text summary.

Histograms are written with CurveCheck's own buckets: 30 equal buckets like
`tf.summary.histogram`, plus a narrow bucket holding only exact zeros and,
for values in [0, 1], buckets holding only values within 1e-6 of 0 and 1, so
"98 % exact zeros" and "pinned at 0 and 1" are measured, not estimated.

This is the only module of CurveCheck that imports TensorFlow or Keras.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import keras
import numpy as np
import tensorflow as tf
from tensorboard.plugins.histogram import metadata as _hist_metadata

from . import tags
from .detectors.histogram_stats import END_TOLERANCE
from .model import KINDS, Finding, HistogramSeries, ScalarSeries, at_or_above

# Buckets spanning [min, max], as `tf.summary.histogram` uses by default, so
# the histogram looks the same in TensorBoard's own Histograms tab.
DEFAULT_BUCKETS = 30

# Values within this share of the largest magnitude of zero count as exact
# zeros: far below any float32 value a ReLU passes on (relative precision ~1e-7).
ZERO_RELATIVE = 1e-12

# Width of the end buckets of probabilities: the detectors' own tolerance, so
# both speak of the same outputs.
END_WIDTH = END_TOLERANCE

# A sample of this many validation examples is plenty to see a share of
# zeros or a spread of outputs, and costs one small forward pass per epoch.
DEFAULT_SAMPLE = 256

# Per-unit output histograms beyond this many units would flood the tag list;
# the pooled histogram still shows saturation then.
MAX_PER_CLASS = 16

# Activations that output exact zeros for negative inputs: the layers whose
# share of zeros tells dead from alive.
_RELU_LIKE = (
    "relu",
    "relu6",
    "elu",
    "selu",
    "gelu",
    "silu",
    "swish",
    "leaky_relu",
    "hard_sigmoid",
    "hard_silu",
    "softplus",
)


def histogram_buckets(values: Any, bins: int = DEFAULT_BUCKETS) -> np.ndarray:
    """Values as a [k, 3] float64 array (left, right, count) for TensorBoard.

    Equal buckets over [min, max]; an extra narrow bucket [-t, t] (t a
    negligible share of the largest magnitude) holds exact zeros; for values in
    [0, 1], extra buckets [0, 1e-6) and [1 - 1e-6, 1] hold the pinned ends.
    NaN and Inf go into one bucket with NaN edges, as `tf.summary.histogram`
    would produce, so readers see the step as non-finite.
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    finite = v[np.isfinite(v)]
    n_bad = int(v.size - finite.size)
    rows: List[np.ndarray] = []
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        if lo == hi:
            rows.append(np.array([[lo, hi, float(finite.size)]]))
        else:
            edges = [np.linspace(lo, hi, bins + 1)]
            t = ZERO_RELATIVE * max(abs(lo), abs(hi))
            extra = [e for e in (-t, t) if lo < e < hi]
            if 0.0 <= lo and hi <= 1.0:
                extra += [e for e in (END_WIDTH, 1.0 - END_WIDTH) if lo < e < hi]
            edges.append(np.asarray(extra, dtype=np.float64))
            e = np.unique(np.concatenate(edges))
            counts, _ = np.histogram(finite, bins=e)
            rows.append(np.stack([e[:-1], e[1:], counts.astype(np.float64)], axis=1))
    if n_bad:
        rows.append(np.array([[np.nan, np.nan, float(n_bad)]]))
    if not rows:
        return np.zeros((0, 3), dtype=np.float64)
    return np.concatenate(rows, axis=0)


def _take(structure: Any, n: int) -> Any:
    return keras.tree.map_structure(lambda a: np.asarray(a)[:n], structure)


def _concat(batches: List[Any]) -> Any:
    if len(batches) == 1:
        return batches[0]
    return keras.tree.map_structure(lambda *a: np.concatenate([np.asarray(x) for x in a]), *batches)


def _unpack(batch: Any) -> Tuple[Any, Any]:
    if isinstance(batch, (tuple, list)):
        x = batch[0]
        y = batch[1] if len(batch) > 1 else None
        return x, y
    return batch, None


def _class_labels(y: Any) -> Optional[np.ndarray]:
    """Integer class labels from sparse, binary or one-hot targets (None if not a classification)."""
    flat = keras.tree.flatten(y) if y is not None else []
    if len(flat) != 1:
        return None
    a = np.asarray(flat[0])
    if a.ndim >= 2 and a.shape[-1] > 1:
        return np.argmax(a.reshape(-1, a.shape[-1]), axis=-1)
    a = a.reshape(-1)
    if a.size == 0 or not np.all(np.isfinite(a)):
        return None
    if not np.allclose(a, np.round(a)):
        return None
    if np.unique(a).size > 1000:
        # Integer-valued regression targets, not classes.
        return None
    return np.round(a).astype(np.int64)


def _checked_kinds(stop_on: Any) -> Tuple[str, ...]:
    """`stop_on` as a tuple of known kinds; a single string is one kind (not its letters)."""
    if stop_on is None:
        return ()
    if isinstance(stop_on, str):
        stop_on = (stop_on,)
    try:
        kinds = tuple(stop_on)
    except TypeError:
        raise ValueError("stop_on must be a finding kind or an iterable of kinds, not %r" % (stop_on,)) from None
    unknown = [k for k in kinds if not isinstance(k, str) or k not in KINDS]
    if unknown:
        raise ValueError(
            "stop_on: unknown finding kind%s %s; known kinds: %s"
            % ("s" if len(unknown) > 1 else "", ", ".join(repr(k) for k in unknown), ", ".join(KINDS))
        )
    return kinds


def _checked_sample_size(sample_size: Any) -> int:
    try:
        n = int(sample_size)
    except (TypeError, ValueError):
        raise ValueError("sample_size must be a whole number >= 1, not %r" % (sample_size,)) from None
    if n < 1 or n != sample_size:
        raise ValueError("sample_size must be a whole number >= 1, not %r" % (sample_size,))
    return n


def _checked_log_dir(log_dir: Any) -> str:
    """`log_dir` as a string, refused when it cannot become a writable directory.

    Nothing is created here (the writers create it at the first epoch); remote
    paths (`gs://...`) are left to TensorFlow.
    """
    try:
        path = os.fspath(log_dir)
    except TypeError:
        raise ValueError("log_dir must be a path, not %r" % (log_dir,)) from None
    if not path:
        raise ValueError("log_dir must not be empty")
    if "://" in path:
        return path
    probe = os.path.abspath(path)
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe):
        raise ValueError("log_dir %r cannot be created: %r is not a directory" % (path, probe))
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ValueError("log_dir %r is not writable: no write permission in %r" % (path, probe))
    return path


class CurveCheck(keras.callbacks.Callback):
    """Logs outputs, activations, gradient norms and class shares for CurveCheck,
    runs its detectors at each epoch end, prints new findings once, writes them
    as text, and stops training on the kinds named in `stop_on`.

    Args:
      log_dir: the `log_dir` given to Keras' `TensorBoard` callback.
      stop_on: finding kinds that stop training (`model.stop_training = True`),
        at any severity, e.g. `("non_finite", "loss_divergence", "dead_units")`;
        a single string is one kind (`stop_on="non_finite"`).  An unknown kind
        raises ValueError here, before training starts.
      validation_data: `(x, y)` to sample from; by default the validation data
        given to `fit` (`validation_data=` or `validation_split=`).
      train_labels: the training labels, to log the training class shares.
      sample_size: validation examples used for outputs, activations, gradients (>= 1).
      activation_layers: "auto" (ReLU-like layers except the last), "all",
        a list of layer names, or None for none.
      histogram_freq: log histograms and gradient norms every this many epochs.
      gradient_norms, weights: log gradient norms; keep weight histograms in
        memory for the live analysis (Keras' callback writes them to disk).
      detect: run the analysis at each epoch end.
      verbose: 0 silent, 1 prints new warnings and errors, 2 also infos.
      print_fn: where messages go.
    """

    def __init__(
        self,
        log_dir: str = "logs",
        stop_on: Sequence[str] = (),
        validation_data: Optional[Tuple[Any, Any]] = None,
        train_labels: Any = None,
        sample_size: int = DEFAULT_SAMPLE,
        activation_layers: Any = "auto",
        histogram_freq: int = 1,
        gradient_norms: bool = True,
        weights: bool = True,
        detect: bool = True,
        verbose: int = 1,
        print_fn: Callable[[str], None] = print,
    ):
        super().__init__()
        self.log_dir = _checked_log_dir(log_dir)
        self.stop_on = _checked_kinds(stop_on)
        self.validation_data = validation_data
        self.train_labels = train_labels
        self.sample_size = _checked_sample_size(sample_size)
        self.activation_layers = activation_layers
        self.histogram_freq = max(1, int(histogram_freq))
        self.gradient_norms = gradient_norms
        self.weights = weights
        self.detect = detect
        self.verbose = verbose
        self.print_fn = print_fn
        self.findings: List[Finding] = []
        self.stop_reason: Optional[str] = None
        self.stop_finding: Optional[Finding] = None
        self.stopped_epoch: Optional[int] = None
        self.last_healthy_epoch: Optional[int] = None
        self.notes: List[str] = []
        self._reset()

    # -- state ------------------------------------------------------------
    def _reset(self) -> None:
        self._scalars: Dict[str, Dict[str, Tuple[List[int], List[float]]]] = {}
        self._hists: Dict[str, Dict[str, Tuple[List[int], List[np.ndarray]]]] = {}
        self._reported: Dict[Tuple[str, str, str], str] = {}
        self._sample: Optional[Tuple[Any, Any]] = None
        self._sample_tried = False
        self._probe = None
        self._probe_names: List[str] = []
        self._writers: Dict[str, Any] = {}
        self._shares_logged = False

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
            if self.verbose:
                self.print_fn("CurveCheck: " + text)

    def _writer(self, run: str):
        if run not in self._writers:
            self._writers[run] = tf.summary.create_file_writer(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _keep_scalar(self, run: str, tag: str, step: int, value: float) -> None:
        steps, values = self._scalars.setdefault(run, {}).setdefault(tag, ([], []))
        steps.append(int(step))
        values.append(float(value))

    def _keep_hist(self, run: str, tag: str, step: int, buckets: np.ndarray) -> None:
        steps, bs = self._hists.setdefault(run, {}).setdefault(tag, ([], []))
        steps.append(int(step))
        bs.append(buckets)

    def _write_hist(self, run: str, tag: str, step: int, values: Any) -> None:
        buckets = histogram_buckets(values)
        self._keep_hist(run, tag, step, buckets)
        meta = _hist_metadata.create_summary_metadata(display_name=tag, description="")
        with self._writer(run).as_default():
            tf.summary.write(tag=tag, tensor=tf.constant(buckets, dtype=tf.float64), step=step, metadata=meta)

    def _write_scalar(self, run: str, tag: str, step: int, value: float) -> None:
        self._keep_scalar(run, tag, step, value)
        with self._writer(run).as_default():
            tf.summary.scalar(tag, value, step=step)

    # -- Keras hooks ------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._reset()
        self.findings = []
        self.stop_reason = self.stop_finding = None
        self.stopped_epoch = self.last_healthy_epoch = None
        if self.train_labels is not None:
            self._log_shares("train", self.train_labels)

    def on_train_end(self, logs=None):
        for w in self._writers.values():
            w.flush()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        for key, value in logs.items():
            try:
                v = float(value)
            except (TypeError, ValueError):
                continue
            if key.startswith("val_"):
                self._keep_scalar("validation", "epoch_" + key[4:], epoch, v)
            else:
                self._keep_scalar("train", "epoch_" + key, epoch, v)
        lr = self._learning_rate()
        if lr is not None and "learning_rate" not in logs:
            # Keras' TensorBoard callback writes this tag itself; kept only in memory.
            self._keep_scalar("train", "epoch_learning_rate", epoch, lr)
        if epoch % self.histogram_freq == 0:
            self._log_histograms(epoch)
        for w in self._writers.values():
            w.flush()
        if self.detect:
            self._analyse(epoch)

    # -- what gets logged ---------------------------------------------------
    def _learning_rate(self) -> Optional[float]:
        opt = getattr(self.model, "optimizer", None)
        opt = getattr(opt, "inner_optimizer", opt)
        lr = getattr(opt, "learning_rate", None)
        if lr is None:
            return None
        try:
            return float(keras.ops.convert_to_numpy(lr))
        except Exception:  # noqa: BLE001 - a schedule object or an exotic optimizer
            return None

    def _get_sample(self) -> Optional[Tuple[Any, Any]]:
        if self._sample_tried:
            return self._sample
        labels = []
        batches: List[Tuple[Any, Any]] = []
        have = 0
        if self.validation_data is not None:
            x, y = _unpack(self.validation_data)
            batches.append((_take(x, self.sample_size), None if y is None else _take(y, self.sample_size)))
            labels.append(y)
        else:
            it = getattr(self.model, "_eval_epoch_iterator", None)
            adapter = getattr(it, "data_adapter", None)
            if adapter is None:
                # With validation_freq > 1 the iterator appears at the first
                # validated epoch: try again at the next one.
                self._note(
                    "no validation data reached the callback yet (pass validation_data= "
                    "to fit or to CurveCheck): outputs, activations and gradient norms "
                    "wait for it."
                )
                return None
            for batch in adapter.get_numpy_iterator():
                x, y = _unpack(batch)
                if have < self.sample_size:
                    batches.append((x, y))
                    have += len(keras.tree.flatten(x)[0])
                # All labels are read once, for the exact class shares.
                labels.append(y)
        self._sample_tried = True
        x = _take(_concat([b[0] for b in batches]), self.sample_size)
        ys = [b[1] for b in batches]
        y = None if any(v is None for v in ys) else _take(_concat(ys), self.sample_size)
        self._sample = (x, y)
        if all(v is not None for v in labels) and labels:
            self._log_shares("validation", _concat(labels))
        return self._sample

    def _log_shares(self, run: str, y: Any) -> None:
        cls = _class_labels(y)
        if cls is None or cls.size == 0:
            return
        values, counts = np.unique(cls, return_counts=True)
        for v, c in zip(values, counts):
            self._write_scalar(run, tags.class_share(int(v)), 0, float(c) / cls.size)

    def _chosen_layers(self) -> List[Any]:
        spec = self.activation_layers
        layers = [layer for layer in self.model.layers if not isinstance(layer, keras.layers.InputLayer)]
        if spec is None or not layers:
            return []
        if spec == "all":
            return layers[:-1]
        if spec == "auto":
            chosen = []
            for layer in layers[:-1]:
                act = getattr(layer, "activation", None)
                name = getattr(act, "__name__", "") if act is not None else ""
                if name in _RELU_LIKE or isinstance(
                    layer, (keras.layers.ReLU, keras.layers.LeakyReLU, keras.layers.ELU)
                ):
                    chosen.append(layer)
                elif isinstance(layer, keras.layers.Activation) and name in _RELU_LIKE:
                    chosen.append(layer)
            return chosen
        wanted = set(spec)
        return [layer for layer in layers if layer.name in wanted]

    def _activation_probe(self):
        if self._probe is not None or self._probe_names == ["-"]:
            return self._probe
        layers = self._chosen_layers()
        if not layers:
            self._probe_names = ["-"]
            return None
        try:
            inputs = self.model.inputs
            inputs = inputs[0] if len(inputs) == 1 else inputs
            self._probe = keras.Model(inputs=inputs, outputs=[layer.output for layer in layers])
            self._probe_names = [layer.name for layer in layers]
        except Exception as e:  # noqa: BLE001 - subclassed models have no symbolic graph
            self._probe_names = ["-"]
            self._note("activations not logged: the model has no symbolic graph to tap (%s)." % type(e).__name__)
        return self._probe

    def _log_histograms(self, epoch: int) -> None:
        if self.weights:
            for layer in self.model.layers:
                for w in layer.weights:
                    tag = "%s/histogram" % w.path.replace(":", "_")
                    # In memory only: Keras' TensorBoard callback writes these.
                    self._keep_hist("train", tag, epoch, histogram_buckets(keras.ops.convert_to_numpy(w)))
        sample = self._get_sample()
        if sample is None:
            return
        x, y = sample
        preds = self.model(x, training=False)
        outs = [keras.ops.convert_to_numpy(p) for p in keras.tree.flatten(preds)]
        for i, p in enumerate(outs):
            base = tags.outputs() if len(outs) == 1 else tags.outputs(i)
            self._write_hist("validation", base, epoch, p)
            units = p.shape[-1] if p.ndim >= 2 else 1
            if len(outs) == 1 and 2 <= units <= MAX_PER_CLASS:
                flat = p.reshape(-1, units)
                for k in range(units):
                    self._write_hist("validation", tags.output_class(base, k), epoch, flat[:, k])
        probe = self._activation_probe()
        if probe is not None:
            acts = probe(x, training=False)
            acts = acts if isinstance(acts, (list, tuple)) else [acts]
            for name, a in zip(self._probe_names, acts):
                self._write_hist("validation", tags.activations(name), epoch, keras.ops.convert_to_numpy(a))
        if self.gradient_norms and y is not None:
            self._log_gradient_norms(epoch, x, y)

    def _log_gradient_norms(self, epoch: int, x: Any, y: Any) -> None:
        if keras.backend.backend() != "tensorflow":
            self._note("gradient norms are logged with the TensorFlow backend only.")
            return
        owner: Dict[int, str] = {}
        for layer in self.model.layers:
            for w in layer.trainable_weights:
                owner.setdefault(id(w), layer.name)
        variables = list(self.model.trainable_variables)
        if not variables:
            return
        try:
            with tf.GradientTape() as tape:
                y_pred = self.model(x, training=False)
                loss = self.model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
            grads = tape.gradient(loss, variables)
        except Exception as e:  # noqa: BLE001 - custom losses/trainers may not support this
            self.gradient_norms = False
            self._note("gradient norms not logged: %s: %s" % (type(e).__name__, e))
            return
        sq: Dict[str, float] = {}
        for v, g in zip(variables, grads):
            name = owner.get(id(v), "other")
            g2 = (
                0.0
                if g is None
                else float(tf.reduce_sum(tf.square(tf.cast(tf.convert_to_tensor(g), tf.float64))).numpy())
            )
            sq[name] = sq.get(name, 0.0) + g2
        for name, s in sq.items():
            self._write_scalar("train", tags.gradient_norm(name), epoch, float(np.sqrt(s)))

    # -- live analysis ------------------------------------------------------
    def series(self) -> Tuple[Dict[str, Dict[str, ScalarSeries]], Dict[str, Dict[str, HistogramSeries]]]:
        """What the callback has seen so far, as model series (scalars, histograms)."""
        scalars = {
            run: {tag: ScalarSeries.from_points(s, v) for tag, (s, v) in tags.items()}
            for run, tags in self._scalars.items()
        }
        hists = {
            run: {tag: HistogramSeries.from_points(s, b) for tag, (s, b) in tags.items()}
            for run, tags in self._hists.items()
        }
        return scalars, hists

    def _analyse(self, epoch: int) -> None:
        from .analysis import pipeline

        scalars, hists = self.series()
        findings = pipeline.analyze_series(scalars, hists)
        self.findings = findings
        new = []
        for f in findings:
            key = (f.kind, f.run, f.tag)
            before = self._reported.get(key)
            if before is not None and (f.severity == before or not at_or_above(f.severity, before)):
                # Seen before at this severity or a higher one: printed already.
                continue
            self._reported[key] = f.severity
            new.append(f)
        if not new:
            return
        shown = [f for f in new if self.verbose >= 2 or (self.verbose and at_or_above(f.severity, "warning"))]
        for f in shown:
            self.print_fn(
                "CurveCheck [epoch %d] %s %s (%s/%s): %s" % (epoch, f.severity, f.kind, f.run, f.tag, f.title)
            )
        lines = [
            "- **%s** `%s` (%s/%s): %s  \n  %s" % (f.severity, f.kind, f.run, f.tag, f.title, f.explanation)
            for f in new
        ]
        with self._writer("train").as_default():
            tf.summary.text(tags.FINDINGS, "\n".join(lines), step=epoch)
        self._writer("train").flush()
        stopping = [f for f in new if f.kind in self.stop_on]
        if stopping and self.stop_reason is None:
            stopping.sort(key=Finding.sort_key)
            f = stopping[0]
            self.stop_finding = f
            self.stopped_epoch = epoch
            self.last_healthy_epoch = f.start_step - 1 if f.start_step > 0 else None
            healthy = (
                "the last healthy epoch was %d" % self.last_healthy_epoch
                if self.last_healthy_epoch is not None
                else "no epoch was healthy"
            )
            self.stop_reason = "CurveCheck stopped training after epoch %d: %s (%s); %s." % (
                epoch,
                f.title,
                f.kind,
                healthy,
            )
            self.model.stop_training = True
            if self.verbose:
                self.print_fn(self.stop_reason)
