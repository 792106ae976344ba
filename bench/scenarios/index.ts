// The registry of benchmark scenarios, by the name given on the command line.

import type { Scenario } from '../harness/scenario';
import { connectRate } from './connect-rate';
import { hboneLoopback } from './hbone-loopback';
import { l4Cost } from './l4-cost';
import { l4Latency } from './l4-latency';
import { l4Throughput } from './l4-throughput';
import { l7Latency } from './l7-latency';
import { l7Rps } from './l7-rps';
import { xdsScale } from './xds-scale';

export const SCENARIOS: readonly Scenario[] = [hboneLoopback, xdsScale, l4Latency, l4Throughput, l4Cost, connectRate, l7Latency, l7Rps];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
