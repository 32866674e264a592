/** @module bench/lib/goals.test — a ratio that is only a lower bound never earns a ✓ it has not reached. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRatio, goalMark, goalOf } from './goals.js';

test('a measured ratio is met or missed; a lower bound is met only when the bound reaches the goal, else undecided', () => {
  const r = (median: number) => ({ median, min: median / 2, max: median * 2 });
  assert.equal(goalOf({ ratio: r(60), goal: 50 }), 'met');
  assert.equal(goalOf({ ratio: r(40), goal: 50 }), 'missed');
  assert.equal(goalOf({ ratio: r(60), goal: 50, boundedRounds: 4 }), 'met');
  assert.equal(goalOf({ ratio: r(40), goal: 50, boundedRounds: 4 }), 'undecided');
  assert.equal(goalOf({ goal: 50 }), undefined);
  assert.equal(goalMark({ ratio: r(40), goal: 50, boundedRounds: 1 }), ' ? (the bound is below the goal)');
  assert.equal(formatRatio({ ratio: r(60), boundedRounds: 2 }, 1), '≥ 60.0 (30.0–120.0)×');
  assert.equal(formatRatio({ ratio: r(60) }, 0), '60 (30–120)×');
});
