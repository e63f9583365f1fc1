/** How the distances of all live × reference pairs become one: `mean` is 2060's, `median` resists outliers. */
export const MATCH_POLICIES = ['mean', 'median'] as const;
export type MatchPolicy = (typeof MATCH_POLICIES)[number];

/** The aggregate distance of the pairs under a policy. */
export function aggregateDistances(distances: readonly number[], policy: MatchPolicy): number {
  if (distances.length === 0) throw new Error('no distances to aggregate');
  if (policy === 'mean') return distances.reduce((a, b) => a + b, 0) / distances.length;
  const sorted = [...distances].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
