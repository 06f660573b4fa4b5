// The operator's view (admin key): the server's health and a few figures from /metrics as small
// charts, and the tenants with their usage against quota, through the admin API.

import { ApiError } from './api.js';
import { ago, byId, bytes, confirmDialog, el, say } from './dom.js';

const ADMIN = '/api/v2/admin/tenants';
const SAMPLE_MS = 5_000;
const SAMPLES = 60;
const SVG = 'http://www.w3.org/2000/svg';

/** Sums of the samples of each metric name in a Prometheus exposition. */
export function parseMetrics(text) {
  const sums = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? ([^ ]+)/.exec(line);
    if (!m) continue;
    const value = Number(m[2]);
    if (Number.isFinite(value)) sums.set(m[1], (sums.get(m[1]) ?? 0) + value);
  }
  return sums;
}

export class Operator {
  constructor(api) {
    this.api = api;
    this.history = [];
    this.timer = undefined;
    byId('add-tenant').onsubmit = (e) => {
      e.preventDefault();
      this.add().catch(fail);
    };
    byId('dismiss-token').onclick = () => this.hideToken();
    byId('copy-token').onclick = () =>
      navigator.clipboard?.writeText(byId('new-token-value').textContent).then(
        () => say('Token copied.'),
        () => say('Copy failed: select the token and copy it.', true),
      );
  }

  start() {
    this.stop();
    const tick = () => Promise.all([this.refreshHealth(), this.refreshTenants()]).catch(fail);
    tick();
    this.timer = setInterval(tick, SAMPLE_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async refreshHealth() {
    const started = performance.now();
    const health = await fetch('/health', { cache: 'no-store' });
    const ms = performance.now() - started;
    const res = await this.api.fetch('/metrics');
    const figures = [
      ['Health', health.ok ? `OK (${ms.toFixed(0)} ms)` : `${health.status}`],
      ['Version', document.querySelector('meta[name="sq-version"]')?.content ?? '?'],
    ];
    if (!res.ok) {
      figures.push(['Metrics', `not readable (${res.status})`]);
      return this.renderFigures(figures);
    }
    const m = parseMetrics(await res.text());
    const now = Date.now();
    const sample = { at: now, requests: m.get('sq_requests_total') ?? 0, cached: m.get('sq_cached_bytes') ?? 0 };
    const previous = this.history.at(-1);
    sample.rate = previous ? Math.max(0, (sample.requests - previous.requests) / ((now - previous.at) / 1000)) : 0;
    this.history.push(sample);
    if (this.history.length > SAMPLES) this.history.shift();
    const started_s = m.get('sq_process_start_time_seconds');
    figures.push(
      ['Uptime', started_s ? ago(new Date(started_s * 1000).toISOString()).replace(' ago', '') : '?'],
      ['Requests', `${sample.requests} (${sample.rate.toFixed(1)}/s)`],
      ['Cache', `${bytes(sample.cached)} in ${m.get('sq_cached_phexts') ?? 0} phexts`],
      ['Tenants active', `${m.get('sq_tenants_active') ?? 0} of ${m.get('sq_tenants_configured') ?? 0}`],
      ['Watch streams', String(m.get('sq_watch_streams') ?? 0)],
      ['Connections', String(m.get('sq_http_open_connections') ?? 0)],
      ['Memory', bytes(m.get('sq_process_resident_memory_bytes') ?? 0)],
    );
    this.renderFigures(figures);
    byId('charts').replaceChildren(
      chart(
        'Requests per second',
        this.history.map((s) => s.rate),
      ),
      chart(
        'Cache bytes',
        this.history.map((s) => s.cached),
      ),
    );
  }

  renderFigures(figures) {
    byId('health').replaceChildren(...figures.map(([name, value]) => el('div', {}, el('dt', {}, name), el('dd', {}, value))));
  }

  async refreshTenants() {
    const { tenants } = await this.api.json(ADMIN);
    const rows = tenants
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((t) => {
        const usage = t.quota_bytes
          ? el(
              'div',
              {},
              el('meter', {
                min: 0,
                max: t.quota_bytes,
                high: t.quota_bytes * 0.9,
                value: t.bytes_used,
                'aria-label': `${t.name}'s usage`,
              }),
              el('span', { class: 'sub' }, `${bytes(t.bytes_used)} of ${bytes(t.quota_bytes)}`),
            )
          : el('span', {}, `${bytes(t.bytes_used)} `, el('span', { class: 'sub' }, 'no quota'));
        return el(
          'tr',
          { dataset: { tenant: t.name } },
          el('th', { scope: 'row' }, t.name),
          el('td', {}, usage),
          el('td', {}, String(t.requests)),
          el('td', { title: t.last_active ?? '' }, ago(t.last_active)),
          el(
            'td',
            {},
            el(
              'div',
              { class: 'row' },
              el('button', { type: 'button', onclick: () => this.rotate(t.name).catch(fail) }, 'Rotate'),
              el('button', { type: 'button', class: 'danger', onclick: () => this.remove(t.name).catch(fail) }, 'Remove'),
            ),
          ),
        );
      });
    byId('tenants').tBodies[0].replaceChildren(...rows);
  }

  async add() {
    const name = byId('tenant-name').value.trim();
    const quota = byId('tenant-quota').value;
    const body = JSON.stringify(quota === '' ? { name } : { name, quota_mb: Number(quota) });
    const created = await this.api.json(ADMIN, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    byId('add-tenant').reset();
    this.showToken(created.name, created.token);
    await this.refreshTenants();
  }

  async rotate(name) {
    if (!(await confirmDialog(`Rotate ${name}'s token? The current token stops working at once.`, 'Rotate'))) return;
    const rotated = await this.api.json(`${ADMIN}/${encodeURIComponent(name)}/rotate`, { method: 'POST' });
    this.showToken(rotated.name, rotated.token);
  }

  async remove(name) {
    if (!(await confirmDialog(`Remove tenant ${name}? Its token stops working; its phexts are kept.`, 'Remove'))) return;
    const removed = await this.api.json(`${ADMIN}/${encodeURIComponent(name)}`, { method: 'DELETE' });
    say(`Removed ${name}. ${removed.note ?? ''}`);
    await this.refreshTenants();
  }

  showToken(name, token) {
    byId('new-token-name').textContent = name;
    byId('new-token-value').textContent = token;
    byId('new-token').hidden = false;
    byId('copy-token').focus();
  }

  hideToken() {
    byId('new-token-value').textContent = '';
    byId('new-token').hidden = true;
  }
}

/** A sparkline of `values` in an SVG built node by node (no inline markup or style). */
function chart(caption, values) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 100 30');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const last = values.at(-1) ?? 0;
  svg.setAttribute('aria-label', `${caption}: ${last.toFixed(1)}`);
  // One sample draws a flat line rather than nothing.
  if (values.length === 1) values = [values[0], values[0]];
  const max = Math.max(...values, 1e-9);
  const line = document.createElementNS(SVG, 'polyline');
  const step = 100 / Math.max(1, SAMPLES - 1);
  line.setAttribute('points', values.map((v, i) => `${(i * step).toFixed(2)},${(29 - (v / max) * 28).toFixed(2)}`).join(' '));
  svg.append(line);
  return el('figure', {}, svg, el('figcaption', {}, `${caption}: ${Number.isInteger(last) ? last : last.toFixed(1)}`));
}

function fail(e) {
  say(e instanceof ApiError ? `${e.status}: ${e.message}` : String(e.message ?? e), true);
}
