// Golden tests: every testdata/*.yaml is a small cluster (Namespaces, Services, Pods, waypoint
// Gateways) plus traffic resources (HTTPRoute, GRPCRoute, VirtualService, DestinationRule), one per
// document. The WaypointConfig of every waypoint and the status of every resource are compared
// exactly with the `.golden.json` beside it; every config must pass pkg/api's validator.
// AMBIT_UPDATE_GOLDEN=1 rewrites the golden files instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadScenario, render } from './test-support';

function testdata(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'istiod', 'routes', 'testdata');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('istiod/routes/testdata not found');
}

const dir = testdata();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
  test(`golden ${file}`, () => {
    const got = JSON.parse(JSON.stringify(render(loadScenario(readFileSync(join(dir, file), 'utf8'))))) as unknown;
    const goldenFile = join(dir, file.replace(/\.yaml$/, '.golden.json'));
    if (process.env.AMBIT_UPDATE_GOLDEN === '1') {
      writeFileSync(goldenFile, `${JSON.stringify(got, null, 2)}\n`);
      return;
    }
    assert.ok(existsSync(goldenFile), `${goldenFile} missing (run with AMBIT_UPDATE_GOLDEN=1)`);
    assert.deepEqual(got, JSON.parse(readFileSync(goldenFile, 'utf8')));
  });
}
