/** The mode select's entries for a model: the two estimator-driven modes, then one per adapter. */
export interface ModeOption {
  value: string;
  label: string;
}

export function modeOptions(classes: readonly string[]): ModeOption[] {
  if (classes.length === 0) return [{ value: 'sw', label: 'Backbone only (this model has no adapters)' }];
  return [
    { value: 'sw', label: 'Auto — blend adapters by probability (SW)' },
    { value: 'oh', label: 'Auto — most likely adapter only (OH)' },
    ...classes.map((name) => ({ value: `adapter:${name}`, label: `Force adapter: ${name}` })),
  ];
}
