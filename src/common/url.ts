/** Joins a base URL and path segments with exactly one slash between them; segments are URL-encoded. */
export function joinUrl(base: string, ...segments: string[]): string {
  return [base.replace(/\/+$/, ''), ...segments.map((s) => encodeURIComponent(s))].join('/');
}

/**
 * Why `value` cannot be one path segment of a callback or Data Store URL (the controller would get a request
 * for another path, or none), or undefined when it can.
 */
export function pathSegmentProblem(value: string): string | undefined {
  if (/\p{Cs}/u.test(value)) return 'must be well-formed Unicode (it has a lone surrogate)';
  if (value === '.' || value === '..') return 'must not be "." or ".." (the URL path would change)';
  if (/^\s*$/u.test(value)) return 'must not be only whitespace';
  if (/[\p{Cc}\u2028\u2029]/u.test(value)) return 'must not contain control characters or line separators';
  if (/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u.test(value)) return 'must not contain bidirectional control characters';
  return undefined;
}

/**
 * The room a protoo URL names: host, port (the scheme's default when absent) and the roomId query parameter.
 * The path, peerId and other parameters do not make another room (a reconnecting subject changes its peerId).
 */
export function roomKey(wsUrl: string): string {
  const url = new URL(wsUrl);
  const port = url.port || (url.protocol === 'wss:' ? '443' : '80');
  return `${url.hostname}:${port}?roomId=${url.searchParams.get('roomId') ?? ''}`;
}
