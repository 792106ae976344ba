// Applies rendered Service rules to a node netns with `iptables-restore --noflush`, skipping a
// netns whose rules are unchanged since the last successful apply.

import { execIn } from './exec';
import { buildRestoreInput, parseIptablesSave, renderedText, type RenderedRules } from './service-rules';

export class ServiceRuleApplier {
  private readonly applied = new Map<string, string>();

  /** Makes our chains in `netns` match `rendered`; false when nothing had to change. */
  async apply(netns: string, rendered: RenderedRules): Promise<boolean> {
    const text = renderedText(rendered);
    if (this.applied.get(netns) === text) return false;
    this.applied.delete(netns);
    const saved = parseIptablesSave((await execIn(netns, 'iptables-save', [])).stdout);
    await execIn(netns, 'iptables-restore', ['--noflush'], { input: buildRestoreInput(rendered, saved) });
    this.applied.set(netns, text);
    return true;
  }

  /** Forgets what was applied (the netns was recreated, or is gone). */
  forget(netns?: string): void {
    if (netns === undefined) this.applied.clear();
    else this.applied.delete(netns);
  }
}
