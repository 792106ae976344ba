// A hand-written SVG grouped bar chart (no chart library): one or more panels stacked vertically,
// each with a title, a y axis with round ticks, groups of bars (one bar per series), the value
// above every bar and a legend. Output is deterministic text, so results diff cleanly.

export interface BarGroup {
  readonly label: string;
  /** One value per series, in the panel's series order; null draws no bar ("n/a"). */
  readonly values: readonly (number | null)[];
}

export interface BarPanel {
  readonly title: string;
  /** Axis unit, e.g. `Gbit/s` or `ms`. */
  readonly unit: string;
  readonly series: readonly string[];
  readonly groups: readonly BarGroup[];
  /** Decimals of the value labels (default 2). */
  readonly decimals?: number;
}

export interface ChartOptions {
  readonly title: string;
  readonly subtitle?: string;
  readonly width?: number;
  readonly panelHeight?: number;
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f'] as const;

/** Escapes text for SVG element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** A round axis: the smallest 1/2/2.5/5×10^k step giving at most `maxTicks` steps up to >= `max`. */
export function niceAxis(max: number, maxTicks = 5): { readonly top: number; readonly step: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { top: 1, step: 0.2 };
  const rough = max / maxTicks;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 2.5, 5, 10]) {
    const step = m * magnitude;
    if (step * maxTicks >= max) return { top: Math.ceil(max / step - 1e-9) * step, step };
  }
  return { top: 10 * magnitude * maxTicks, step: 10 * magnitude };
}

function fmt(value: number, decimals: number): string {
  return value.toFixed(decimals);
}

/** Tick labels carry as many decimals as the step needs (0.25 → 2, 5 → 0). */
function tickLabel(value: number, step: number): string {
  let decimals = 0;
  while (decimals < 6 && Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-9) decimals++;
  return value.toFixed(decimals);
}

function renderPanel(panel: BarPanel, x0: number, y0: number, width: number, height: number): string[] {
  const out: string[] = [];
  const left = x0 + 64;
  const right = x0 + width - 16;
  const top = y0 + 34;
  const bottom = y0 + height - 48;
  const plotH = bottom - top;
  const decimals = panel.decimals ?? 2;
  const all = panel.groups.flatMap((g) => g.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const axis = niceAxis(Math.max(0, ...all) * 1.08);
  const yOf = (v: number): number => bottom - (Math.max(0, v) / axis.top) * plotH;

  out.push(`<text x="${x0 + 8}" y="${y0 + 20}" class="panel-title">${escapeXml(panel.title)}</text>`);
  for (let v = 0; v <= axis.top + axis.step / 2; v += axis.step) {
    const y = yOf(v).toFixed(1);
    out.push(`<line x1="${left}" x2="${right}" y1="${y}" y2="${y}" class="grid"/>`);
    out.push(`<text x="${left - 6}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${tickLabel(v, axis.step)}</text>`);
  }
  out.push(`<text x="${x0 + 14}" y="${(top + bottom) / 2}" class="unit" text-anchor="middle" transform="rotate(-90 ${x0 + 14} ${(top + bottom) / 2})">${escapeXml(panel.unit)}</text>`);

  const groupCount = Math.max(1, panel.groups.length);
  const groupW = (right - left) / groupCount;
  const seriesCount = Math.max(1, panel.series.length);
  const barW = Math.min(48, (groupW * 0.8) / seriesCount);
  panel.groups.forEach((group, gi) => {
    const gx = left + gi * groupW + (groupW - barW * seriesCount) / 2;
    group.values.forEach((value, si) => {
      const x = gx + si * barW;
      const cx = (x + barW / 2).toFixed(1);
      if (value === null || !Number.isFinite(value)) {
        out.push(`<text x="${cx}" y="${bottom - 4}" class="value" text-anchor="middle">n/a</text>`);
        return;
      }
      const y = yOf(value);
      const color = PALETTE[si % PALETTE.length];
      out.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(bottom - y).toFixed(1)}" fill="${color}"><title>${escapeXml(`${group.label} — ${panel.series[si] ?? ''}: ${fmt(value, decimals)} ${panel.unit}`)}</title></rect>`);
      out.push(`<text x="${cx}" y="${(y - 4).toFixed(1)}" class="value" text-anchor="middle">${fmt(value, decimals)}</text>`);
    });
    out.push(`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${bottom + 18}" class="group" text-anchor="middle">${escapeXml(group.label)}</text>`);
  });
  out.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" class="axis"/>`);

  let lx = left;
  panel.series.forEach((name, si) => {
    out.push(`<rect x="${lx}" y="${bottom + 30}" width="10" height="10" fill="${PALETTE[si % PALETTE.length]}"/>`);
    out.push(`<text x="${lx + 14}" y="${bottom + 39}" class="legend">${escapeXml(name)}</text>`);
    lx += 24 + name.length * 7;
  });
  return out;
}

/** Renders the panels, stacked, as one standalone SVG document. */
export function renderBarChartSvg(panels: readonly BarPanel[], opts: ChartOptions): string {
  const width = opts.width ?? 800;
  const panelHeight = opts.panelHeight ?? 280;
  const header = opts.subtitle ? 56 : 36;
  const height = header + panels.length * panelHeight;
  const body: string[] = [];
  body.push(`<text x="${width / 2}" y="24" class="title" text-anchor="middle">${escapeXml(opts.title)}</text>`);
  if (opts.subtitle) body.push(`<text x="${width / 2}" y="44" class="subtitle" text-anchor="middle">${escapeXml(opts.subtitle)}</text>`);
  panels.forEach((p, i) => body.push(...renderPanel(p, 0, header + i * panelHeight, width, panelHeight)));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    '<style>.title{font-size:16px;font-weight:bold}.subtitle{font-size:11px;fill:#555}.panel-title{font-size:13px;font-weight:bold}',
    '.tick,.unit,.legend{font-size:11px;fill:#333}.value{font-size:10px;fill:#222}.group{font-size:12px}',
    '.grid{stroke:#e4e4e4;stroke-width:1}.axis{stroke:#333;stroke-width:1}</style>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
