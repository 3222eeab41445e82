/**
 * The before/after slider: the restored canvas lies over the input and is clipped to the right of
 * the split. A transparent range input covers the whole frame, so dragging anywhere moves the
 * split and the keyboard (arrows, Home/End) works as on any slider.
 */
export function wireCompare(frame: HTMLElement, slider: HTMLInputElement): void {
  const update = () => frame.style.setProperty('--split', `${slider.value}%`);
  slider.addEventListener('input', update);
  update();
}
