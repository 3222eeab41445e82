/** The model info line's description, from the manifest's provenance: "tiny preset, backbone 1700 steps". */
import type { WebModelManifest } from '../../src/browser/index.js';

export function describeManifest(manifest: WebModelManifest): string | null {
  const { preset, steps } = manifest.provenance;
  const parts: string[] = [];
  if (preset) parts.push(`${preset} preset`);
  if (steps.backbone !== null) parts.push(`backbone ${steps.backbone} steps`);
  return parts.length > 0 ? parts.join(', ') : null;
}
