/** The model info line's description, from the manifest's provenance: "tiny model" (training details stay in model.json). */
import type { WebModelManifest } from '../../src/browser/index.js';

export function describeManifest(manifest: WebModelManifest): string | null {
  const { preset } = manifest.provenance;
  return preset ? `${preset} model` : null;
}
