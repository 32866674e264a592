/** @module bench/lib/svg.test — the report's plots are standalone SVG documents whatever the figures. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barChart, lineChart, shortNumber } from './svg.js';

test('tick labels are short', () => {
  assert.deepEqual([0.25, 12, 150, 12_500, 3_000_000, NaN].map(shortNumber), ['0.25', '12', '150', '12.5k', '3M', '–']);
});

test('a bar chart escapes its text and survives a figure that was not measured', () => {
  const svg = barChart({ title: 'a <b> & "c"', unit: 'ms', isLog: true, groups: [
    { label: 'GET one', bars: [{ series: 'Fulcrum', value: 0.4, min: 0.3, max: 0.5 }, { series: 'Octavia 11', value: NaN }] },
  ] });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /a &lt;b&gt; &amp; &quot;c&quot;/);
  assert.match(svg, /not measured/);
  assert.doesNotMatch(svg, /NaN|Infinity/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
});

test('a line chart on log axes places no point outside the plot, and a negative value widens a linear axis', () => {
  const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', isLogX: true, isLogY: true, series: [
    { name: 'list', points: [{ x: 10, y: 2 }, { x: 100, y: 20 }, { x: 1000, y: 200, min: 150, max: 260 }] },
  ] });
  assert.doesNotMatch(svg, /NaN|Infinity/);
  const cys = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => Number(m[2]));
  assert.equal(cys.length, 3);
  assert.ok(cys.every((y) => y >= 36 && y <= 320 - 46));
  const neg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'drop', points: [{ x: 10, y: -5 }, { x: 100, y: 7 }] }] });
  assert.doesNotMatch(neg, /NaN/);
});
