import { REMOTE_DEFAULT_THRESHOLD } from '../matcher.env';

/**
 * A distance of a matcher deciding at `threshold`, on vision-matcher's scale (whose threshold is 0.4, and the 2060
 * service accepts `mean distance < 0.4`). Linear: the threshold maps to 0.4, order is kept, and so is any mean,
 * so `mean < 0.4` over mapped pairs decides exactly as `mean < threshold` over raw ones. Very different faces
 * may map above 1 (at most 2 × 0.4 / threshold).
 */
export function toVisionMatcherScale(distance: number, threshold: number): number {
  return (distance * REMOTE_DEFAULT_THRESHOLD) / threshold;
}

let lastRequestId = 0;

/** vision-matcher's numeric `requestId` (milliseconds since the epoch), kept unique within the process. */
export function nextRequestId(): number {
  lastRequestId = Math.max(Date.now(), lastRequestId + 1);
  return lastRequestId;
}
