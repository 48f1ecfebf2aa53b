// Seeded random numbers for hand-made test data (Park–Miller LCG, Box–Muller normals).
export function rng(seed = 42): { uniform(): number; normal(): number } {
  let s = seed;
  const uniform = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
  return {
    uniform,
    normal: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  };
}

/** `count` frames of dimension `d` drawn from N(mean, diag(scale²)), row-major. */
export function gaussianFrames(random: ReturnType<typeof rng>, count: number, mean: readonly number[], scale: readonly number[]): Float64Array {
  const d = mean.length;
  const out = new Float64Array(count * d);
  for (let f = 0; f < count; f++) for (let i = 0; i < d; i++) out[f * d + i] = mean[i]! + scale[i]! * random.normal();
  return out;
}
