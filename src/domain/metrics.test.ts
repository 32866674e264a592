/**
 * @module domain/metrics.test — the exposition text: exact lines for counters, cumulative
 * histogram buckets, escaping of tenant text in label values, and promtool's verdict on it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { promtoolCheck } from '../../test/helpers/promtool.js';
import { family, MetricsRegistry } from './metrics.js';

test('counters, histograms and collected families print as the text format says', () => {
  const reg = new MetricsRegistry();
  const c = reg.counter('x_requests_total', 'Requests.\nSecond line \\ here.', ['route', 'code']);
  c.inc({ route: '/a', code: '200' });
  c.inc({ code: '200', route: '/a' }, 2);
  const h = reg.histogram('x_duration_seconds', 'Durations.', ['route'], [0.1, 1]);
  h.observe({ route: '/a' }, 0.05);
  h.observe({ route: '/a' }, 0.5);
  h.observe({ route: '/a' }, 3);
  reg.collect(() => [family('x_current', 'Now.', 'gauge', [[{ name: 'a "quoted" \\ name\nnext' }, 4]])]);
  assert.equal(reg.expose(), [
    '# HELP x_requests_total Requests.\\nSecond line \\\\ here.',
    '# TYPE x_requests_total counter',
    'x_requests_total{route="/a",code="200"} 3',
    '# HELP x_duration_seconds Durations.',
    '# TYPE x_duration_seconds histogram',
    'x_duration_seconds_bucket{route="/a",le="0.1"} 1',
    'x_duration_seconds_bucket{route="/a",le="1"} 2',
    'x_duration_seconds_bucket{route="/a",le="+Inf"} 3',
    'x_duration_seconds_sum{route="/a"} 3.55',
    'x_duration_seconds_count{route="/a"} 3',
    '# HELP x_current Now.',
    '# TYPE x_current gauge',
    'x_current{name="a \\"quoted\\" \\\\ name\\nnext"} 4',
    '',
  ].join('\n'));
  assert.equal(c.get({ route: '/a', code: '200' }), 3);
  assert.equal(h.count({ route: '/a' }), 3);
});

test('promtool accepts the text, escaped tenant text included', () => {
  const reg = new MetricsRegistry();
  reg.counter('fulcrum_test_things_total', 'Things.', ['name']).inc({ name: 'lb "one"\n\\two' });
  reg.histogram('fulcrum_test_duration_seconds', 'Durations.', ['route']).observe({ route: '/v2/lbaas/loadbalancers/:id' }, 0.02);
  const r = promtoolCheck(reg.expose());
  assert.equal(r.output, '');
  assert.equal(r.status, 0);
});

test('names are checked, a counter only grows, a name means one metric', () => {
  const reg = new MetricsRegistry();
  assert.throws(() => reg.counter('bad-name', 'x'), /bad metric name/);
  assert.throws(() => reg.counter('ok_total', 'x', ['le']), /bad label name/);
  const c = reg.counter('ok_total', 'x');
  assert.throws(() => c.inc({}, -1), /only grows/);
  assert.equal(reg.counter('ok_total', 'x'), c, 'the same metric again');
  assert.throws(() => reg.counter('ok_total', 'x', ['route']), /twice, differently/);
  assert.throws(() => reg.histogram('ok_total', 'x'), /twice, differently/);
});
