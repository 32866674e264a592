/** @module test/check-layers.test — the layer checker catches what STYLE.md forbids. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLayers } from '../scripts/check-layers.js';

test('the layer checker flags forbidden imports and allows the rest', () => {
  const files = new Map([
    ['api/x.ts', "import { a } from '../drivers/haproxy/render.js';\nimport { b } from '../service/y.js';"],
    ['cli/c.ts', "import type { M } from '../domain/model.js';\nimport { isUuid } from '../domain/ids.js';"],
    ['main.ts', "import { z } from './drivers/z.js';"],
    ['domain/d.ts', "import { s } from '../store/store.js';"],
  ]);
  assert.deepEqual(checkLayers(files), [
    'src/api/x.ts: imports ../drivers/haproxy/render.js (layer api may not import layer drivers)',
    'src/cli/c.ts: imports ../domain/ids.js (layer cli may not import layer domain)',
    'src/domain/d.ts: imports ../store/store.js (layer domain may not import layer store)',
  ]);
});
