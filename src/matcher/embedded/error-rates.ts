/**
 * Verification error rates of a distance-based matcher: a pair is accepted when its distance is below the threshold.
 * FMR = impostor pairs accepted / impostor pairs; FNMR = genuine pairs rejected / genuine pairs.
 */

/** The highest threshold whose FMR is at most `fmr`, and the FNMR there. */
export function atFmr(genuine: readonly number[], impostor: readonly number[], fmr: number): { threshold: number; fnmr: number } {
  const sorted = [...impostor].sort((a, b) => a - b);
  // Accepting `d < threshold` lets through exactly the impostors strictly below it.
  const allowed = Math.floor(fmr * sorted.length);
  const threshold = allowed < sorted.length ? sorted[allowed] : Infinity;
  return { threshold, fnmr: genuine.filter((d) => d >= threshold).length / genuine.length };
}

/** Equal error rate: where FMR and FNMR cross, over every observed distance as a threshold. */
export function equalErrorRate(genuine: readonly number[], impostor: readonly number[]): number {
  const thresholds = [...new Set([...genuine, ...impostor])].sort((a, b) => a - b);
  thresholds.push(Infinity);
  let best = { gap: Infinity, eer: 1 };
  for (const t of thresholds) {
    const fmr = impostor.filter((d) => d < t).length / impostor.length;
    const fnmr = genuine.filter((d) => d >= t).length / genuine.length;
    const gap = Math.abs(fmr - fnmr);
    if (gap < best.gap) best = { gap, eer: (fmr + fnmr) / 2 };
  }
  return best.eer;
}
