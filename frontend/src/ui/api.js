// Relative URLs only: the module runs under TensorBoard's
// <base href="plugin/curvecheck/">, which keeps --path_prefix and
// /experiment/<id>/ working.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function getJson(path) {
  let resp;
  try {
    resp = await fetch(path, { credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(`TensorBoard did not answer (${e.message || e})`, 0);
  }
  if (!resp.ok) {
    let detail = resp.statusText;
    try {
      const body = await resp.json();
      detail = body.error && body.error.message ? body.error.message : (body.error || JSON.stringify(body));
    } catch (e) {
      try { detail = await resp.text(); } catch (e2) { /* keep statusText */ }
    }
    throw new ApiError(`${path.split('?')[0]}: ${resp.status} ${String(detail).slice(0, 300)}`, resp.status);
  }
  return resp.json();
}

export const api = {
  findings: () => getJson('findings'),
  tags: () => getJson('tags'),
  /** `range`: {lo, hi} steps (inclusive) to read only those, thinned only within them. */
  series(pairs, maxPoints, range = null) {
    const q = new URLSearchParams();
    for (const p of pairs) {
      q.append('run', p.run);
      q.append('tag', p.tag);
    }
    if (maxPoints) q.set('max_points', String(maxPoints));
    if (range) {
      q.set('start_step', String(Math.floor(range.lo)));
      q.set('end_step', String(Math.ceil(range.hi)));
    }
    return getJson(`series?${q.toString()}`);
  },
  histogramStats(run, tag) {
    const q = new URLSearchParams({ run, tag });
    return getJson(`histogram_stats?${q.toString()}`);
  },
};
