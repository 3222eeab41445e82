/** The mode select's entries for a model: the two estimator-driven modes, then one per adapter. */
export interface ModeOption {
  value: string;
  label: string;
}

export function modeOptions(classes: readonly string[]): ModeOption[] {
  if (classes.length === 0) return [{ value: 'sw', label: 'Automatic (this model has no specific fixes)' }];
  return [
    { value: 'sw', label: 'Automatic: fix what it finds' },
    { value: 'oh', label: 'Automatic: the most likely problem only' },
    ...classes.map((name) => ({ value: `adapter:${name}`, label: `Only fix ${name}` })),
  ];
}
