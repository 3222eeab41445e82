// A vignette (corners darkened by the lens) as an abair degradation type:
//   abair add-degradation vignette --model models/mine --generator examples/vignette.mjs
/** @type {import('abair').DegradationDefinition} */
export default {
  name: 'vignette',
  description: 'lens vignetting: corners darkened by up to 70 %, centre shifted at random',
  severity: [0.2, 1],
  apply(image, rng, severity) {
    const { width, height, data } = image;
    const cx = width * rng.uniform(0.35, 0.65), cy = height * rng.uniform(0.35, 0.65);
    const reach = Math.hypot(width, height) / 2, strength = 0.7 * severity;
    const out = new Float32Array(data.length);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      const r = Math.hypot(x - cx, y - cy) / reach, gain = 1 - strength * Math.min(1, r * r);
      for (let c = 0; c < 3; c++) out[(y * width + x) * 3 + c] = data[(y * width + x) * 3 + c] * gain;
    }
    return { width, height, data: out };
  },
};
