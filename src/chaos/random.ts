// The chaos schedule's only source of randomness: a small seeded generator (mulberry32), so the same
// seed draws the same numbers on every machine and Node version (Math.random cannot be seeded).

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** A whole number in [min, max]. */
  int(min: number, max: number): number;
  /** One of the items, by their weights. */
  weighted<T extends { weight: number }>(items: readonly T[]): T;
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    weighted(items) {
      const total = items.reduce((sum, item) => sum + item.weight, 0);
      let point = next() * total;
      for (const item of items) {
        point -= item.weight;
        if (point < 0) return item;
      }
      return items[items.length - 1]!;
    },
    pick: (items) => items[int(0, items.length - 1)]!,
  };
}
