/** Seeded randomness: a mulberry32 stream, and a hash for draws keyed by (stream, n) so every policy sees the same values. */

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform draw in [0, 1) determined by (seed, a, b, c). */
export function keyed(seed: number, a: number, b: number, c = 0): number {
  let h = (seed ^ Math.imul(a + 1, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca77) ^ Math.imul(c + 1, 0xc2b2ae3d)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

export function exponential(u: number, mean: number): number {
  return -Math.log(1 - u) * mean;
}

export function logUniform(u: number, lo: number, hi: number): number {
  return lo * Math.pow(hi / lo, u);
}
