// Which charts the tab draws. The server plans the scalar charts (`tags`:
// one per quantity and granularity in an experiment, train and validation
// overlaid) and the tab draws them as given; it adds only the charts that
// come from findings (a histogram statistic a finding rests on, a finding
// over many tags), because `tags` answers without analysing (it is fast and
// cached apart from the findings), so only the tab holds both answers.

import {
  chartForFindingIn, chartIndex, histogramChartId, groupTags,
} from './findings.js';

// A grouped finding can cover dozens of tags; past this many lines a chart
// is unreadable, so the rest are named under it instead.
export const MAX_GROUP_TAGS = 6;

export const STAT_LABEL = {
  zero_fraction: 'share of exact zeros',
  abs_max: 'largest |value|',
  std: 'standard deviation',
  mean: 'mean',
  ends_fraction: 'share piled at 0 and 1',
  change: 'change from the previous step',
};

// Learning-rate tags by the writers' conventions: Keras `epoch_learning_rate`
// (and `learning_rate`), Lightning's LearningRateMonitor `lr-Adam` and
// `lr-Adam/pg1`, Hugging Face `train/learning_rate`, SB3 `train/learning_rate`,
// and a plain `lr`.
const LR_TAG = /(^|[/_])(learning_rate|lr)$|(^|\/)lr-[^/]+(\/pg\d+)?$/i;

/** Whether a scalar tag is a learning rate (by the server's role, else by name). */
export function isLearningRateTag(tag, info) {
  if (info && info.role === 'learning_rate') return true;
  return LR_TAG.test(String(tag));
}

// run -> its experiment, built once per experiments list (a lookup per
// chart would be runs x experiments at 1,000 runs).
const experimentMaps = new WeakMap();

function experimentOf(experiments) {
  const list = experiments || [];
  let map = experimentMaps.get(list);
  if (!map) {
    map = new Map();
    for (const e of list) for (const r of e.runs) if (!map.has(r)) map.set(r, e);
    experimentMaps.set(list, map);
  }
  return map;
}

/**
 * The learning-rate series to offer as an overlay on a chart of `runs`: for
 * each run, its own learning-rate tags, else (a validation run logs none) the
 * ones of its experiment's other runs; each (run, tag) once.
 */
export function contextSeriesFor(runs, tagInfo, experiments) {
  const out = [];
  const seen = new Set();
  const lrTags = (run) => Object.entries(tagInfo[run] || {})
    .filter(([tag, info]) => info && info.type === 'scalar' && isLearningRateTag(tag, info))
    .map(([tag]) => tag).sort();
  for (const run of runs) {
    let sources = lrTags(run).map((tag) => ({ run, tag }));
    if (!sources.length) {
      const exp = experimentOf(experiments).get(run);
      for (const other of exp ? exp.runs : []) sources = sources.concat(lrTags(other).map((tag) => ({ run: other, tag })));
    }
    for (const s of sources) {
      const key = `${s.run}\u241f${s.tag}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ run: s.run, tag: s.tag, label: `${s.run} · ${s.tag}` });
    }
  }
  return out;
}

/**
 * A line's legend name: its run, or, when the chart holds more than one line
 * of that run (its train and validation tags side by side), `run/train` and
 * `run/validation` as TensorBoard names such runs, else `run · tag`.
 */
export function seriesLabel(s, series) {
  let same = 0;
  for (const x of series) if (x.run === s.run) same += 1;
  if (same < 2) return s.run;
  return s.split ? `${s.run}/${s.split}` : `${s.run} · ${s.tag}`;
}

/** How a split's line is drawn: train solid, validation dashed, test dotted (uPlot `dash`). */
export function splitDash(split) {
  if (split === 'validation') return [6, 4];
  if (split === 'test') return [2, 3];
  return null;
}

/**
 * @param {{scalarCharts: object[], findings: object[], experiments: object[], tagInfo: object}} data
 *   `scalarCharts` and `tagInfo` are the `tags` answer's `charts` and `runs`.
 * @returns {object[]} chart specs: {id, kind, experiment, title, subtitle, series, context, ...}
 */
export function planCharts({ scalarCharts, findings, experiments, tagInfo }) {
  const out = (scalarCharts || []).map((c) => {
    const runs = Array.from(new Set(c.series.map((s) => s.run)));
    const ownLr = c.series.every((s) => isLearningRateTag(s.tag, (tagInfo[s.run] || {})[s.tag]));
    return {
      id: c.id,
      kind: 'scalar',
      experiment: c.experiment,
      title: c.title,
      subtitle: c.experiment && c.experiment !== '.' ? c.experiment : '',
      series: c.series.map((s) => ({ ...s, label: seriesLabel(s, c.series) })),
      context: ownLr ? [] : contextSeriesFor(runs, tagInfo, experiments),
    };
  });
  const seen = new Set(out.map((c) => c.id));
  // The server's charts, indexed once: the charts added below are found by
  // their own id, the same for every finding on them.
  const planned = chartIndex(out.slice());
  for (const f of findings) {
    if (chartForFindingIn(f, planned) !== histogramChartId(f)) continue;
    const id = histogramChartId(f);
    if (seen.has(id)) continue;
    seen.add(id);
    const stat = (f.evidence && typeof f.evidence.statistic === 'string') ? f.evidence.statistic : null;
    const exp = experimentOf(experiments).get(f.run);
    const runTags = tagInfo[f.run] || {};
    const all = groupTags(f);
    const tags = all.slice(0, MAX_GROUP_TAGS);
    const more = all.length - tags.length;
    const grouped = all.length > 1;
    // "value": the flagged series is a scalar (a callback's gradient norm).
    const info = runTags[f.tag];
    const scalar = stat === 'value' || Boolean(info && info.type === 'scalar');
    const statText = stat && stat !== 'value' ? (STAT_LABEL[stat] || stat) : '';
    // Several tags of one run: each gets a colour of its own, the run's
    // colour would make them one line.
    const series = tags.map((tag, i) => ({
      run: f.run,
      tag,
      label: grouped ? tag : (scalar ? f.run : `${f.run} · ${statText}`),
      paletteIndex: grouped ? i : null,
    }));
    const parts = [f.run];
    if (statText) parts.push(`${statText} per step`);
    if (grouped) parts.push(`${all.length} tags flagged together`);
    out.push({
      id,
      kind: scalar ? 'scalar' : 'histogram',
      experiment: exp ? exp.name : f.run,
      title: grouped ? `${f.kind.replace(/_/g, ' ')}: ${all.length} tags` : f.tag,
      subtitle: parts.join(' · '),
      statistic: scalar ? null : stat,
      grouped,
      more: more > 0 ? `${more} more flagged with it, not drawn: ${all.slice(MAX_GROUP_TAGS).join(', ')}` : '',
      series,
      context: scalar ? contextSeriesFor([f.run], tagInfo, experiments) : [],
    });
  }
  return out;
}
