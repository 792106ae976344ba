import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, niceAxis, renderBarChartSvg } from './svg-chart';

test('axis tops are round numbers at or above the maximum', () => {
  assert.deepEqual(niceAxis(23.9), { top: 25, step: 5 });
  assert.deepEqual(niceAxis(0.8), { top: 0.8, step: 0.2 });
  assert.deepEqual(niceAxis(3.4), { top: 4, step: 1 });
  assert.deepEqual(niceAxis(0), { top: 1, step: 0.2 });
  const a = niceAxis(1234);
  assert.ok(a.top >= 1234 && a.top / a.step <= 5);
});

test('escapes markup in labels', () => {
  assert.equal(escapeXml('a<b & "c"'), 'a&lt;b &amp; &quot;c&quot;');
});

test('renders one bar and one value label per finite value, n/a for missing ones', () => {
  const svg = renderBarChartSvg(
    [
      {
        title: 'Throughput',
        unit: 'Gbit/s',
        series: ['1 stream', '4 streams'],
        groups: [
          { label: 'direct', values: [23.9, 30.1] },
          { label: 'ambit <HBONE>', values: [2.56, null] },
        ],
      },
    ],
    { title: 'hbone-loopback', subtitle: 'loopback, 2 cores' },
  );
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  const bars = svg.match(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#[0-9a-f]{6}"><title>/g) ?? [];
  assert.equal(bars.length, 3);
  for (const label of ['23.90', '30.10', '2.56', 'n/a', 'ambit &lt;HBONE&gt;', '1 stream', '4 streams', 'Gbit/s', 'loopback, 2 cores']) {
    assert.ok(svg.includes(`>${label}<`), `missing label ${label}`);
  }
  // Well-formed enough: every opened <text> is closed.
  assert.equal((svg.match(/<text /g) ?? []).length, (svg.match(/<\/text>/g) ?? []).length);
});

test('the tallest bar reaches the top of a round axis, not past it', () => {
  const svg = renderBarChartSvg([{ title: 'x', unit: 'ms', series: ['p50'], groups: [{ label: 'a', values: [10] }, { label: 'b', values: [5] }] }], { title: 't' });
  const heights = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="#[0-9a-f]{6}"><title>/g)].map((m) => Number(m[2]));
  assert.equal(heights.length, 2);
  assert.ok(Math.abs(heights[0] / heights[1] - 2) < 0.01);
});
