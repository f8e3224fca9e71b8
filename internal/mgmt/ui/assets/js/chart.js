// A small line chart on <canvas>: a time axis, a value axis from zero
// with round ticks, one line per series, and an HTML legend.

import { h } from './dom.js';

export const COLORS = ['#2f7ed8', '#e4572e', '#2e9e5b', '#a05ec5', '#d4a017', '#555'];

export class LineChart {
  // series: [{key, label}]; fmt formats axis values; integer keeps the
  // axis steps whole (counts).
  constructor(title, series, fmt, integer) {
    this.series = series;
    this.integer = !!integer;
    this.fmt = fmt || ((v) => String(v));
    this.canvas = h('canvas', { role: 'img', 'aria-label': title });
    this.legendVals = series.map(() => h('b', {}, '–'));
    this.el = h('div', { class: 'panel chart-box' }, h('h3', {}, title), this.canvas,
      h('div', { class: 'legend' }, series.map((s, i) =>
        h('span', {}, h('span', { class: 'sw', style: null, dataset: { i } }), s.label + ' ', this.legendVals[i]))));
    this.el.querySelectorAll('.sw').forEach((sw, i) => { sw.style.background = COLORS[i % COLORS.length]; });
    this.points = [];
    this.onResize = () => this.draw();
    window.addEventListener('resize', this.onResize);
  }

  // setPoints replaces the data: [{t: ms, v: {key: number}}].
  setPoints(points) {
    this.points = points;
    const last = points[points.length - 1];
    this.series.forEach((s, i) => {
      this.legendVals[i].textContent = last && last.v[s.key] !== undefined ? this.fmt(last.v[s.key]) : '–';
    });
    this.draw();
  }

  destroy() { window.removeEventListener('resize', this.onResize); }

  draw() {
    const c = this.canvas;
    const cssW = c.clientWidth || 400, cssH = c.clientHeight || 220;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(cssW * dpr) || c.height !== Math.round(cssH * dpr)) {
      c.width = Math.round(cssW * dpr);
      c.height = Math.round(cssH * dpr);
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssW, cssH);
    const pad = { l: 56, r: 12, t: 10, b: 24 };
    const w = cssW - pad.l - pad.r, hgt = cssH - pad.t - pad.b;
    const pts = this.points;
    let max = 0;
    for (const p of pts) for (const s of this.series) max = Math.max(max, Number(p.v[s.key]) || 0);
    const ticks = niceTicks(max, this.integer);
    const top = ticks[ticks.length - 1];
    g.font = '11px system-ui, sans-serif';
    g.fillStyle = '#5d6b65';
    g.strokeStyle = '#e3e8e5';
    g.lineWidth = 1;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (const v of ticks) {
      const y = pad.t + hgt - (v / top) * hgt;
      g.beginPath();
      g.moveTo(pad.l, Math.round(y) + 0.5);
      g.lineTo(pad.l + w, Math.round(y) + 0.5);
      g.stroke();
      g.fillText(this.fmt(v), pad.l - 6, y);
    }
    if (pts.length === 0) {
      g.textAlign = 'center';
      g.fillText('waiting for data…', pad.l + w / 2, pad.t + hgt / 2);
      return;
    }
    const t1 = pts[pts.length - 1].t;
    const t0 = Math.min(pts[0].t, t1 - 60000);
    const x = (t) => pad.l + ((t - t0) / Math.max(1, t1 - t0)) * w;
    const y = (v) => pad.t + hgt - ((Number(v) || 0) / top) * hgt;
    g.textAlign = 'center';
    g.textBaseline = 'top';
    const span = t1 - t0;
    const step = span > 600000 ? 120000 : span > 180000 ? 60000 : 30000;
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      g.fillText(new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }), x(t), pad.t + hgt + 6);
    }
    this.series.forEach((s, i) => {
      g.strokeStyle = COLORS[i % COLORS.length];
      g.lineWidth = 2;
      g.beginPath();
      pts.forEach((p, j) => {
        const px = x(p.t), py = y(p.v[s.key]);
        if (j === 0) g.moveTo(px, py); else g.lineTo(px, py);
      });
      g.stroke();
      if (pts.length === 1) {
        g.fillStyle = COLORS[i % COLORS.length];
        g.beginPath();
        g.arc(x(pts[0].t), y(pts[0].v[s.key]), 3, 0, 2 * Math.PI);
        g.fill();
      }
    });
  }
}

// niceTicks returns 0 and round steps up to at least max.
export function niceTicks(max, integer) {
  if (!(max > 0)) return [0, 1];
  const raw = max / 4;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  if (integer) step = Math.max(1, Math.ceil(step));
  const out = [];
  for (let v = 0; v < max + step * 0.999; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1] < max) out.push(out[out.length - 1] + step);
  return out;
}
