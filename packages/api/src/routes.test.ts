import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { routesSource } from '../../../scripts/gen-routes.js';
import { endpoints } from './endpoints.js';
import { routes } from './routes.js';

test('routes.ts is generated from endpoints.ts and matches it (npm run gen:routes)', () => {
  assert.equal(readFileSync(new URL('./routes.ts', import.meta.url), 'utf8'), routesSource());
  for (const [op, e] of Object.entries(endpoints)) {
    const r = routes[op as keyof typeof routes];
    assert.deepEqual([r.method, r.path, r.body === true], [e.method, e.path, 'body' in e], op);
  }
  assert.equal(Object.keys(routes).length, Object.keys(endpoints).length);
});
