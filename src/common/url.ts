/** Joins a base URL and path segments with exactly one slash between them; segments are URL-encoded. */
export function joinUrl(base: string, ...segments: string[]): string {
  return [base.replace(/\/+$/, ''), ...segments.map((s) => encodeURIComponent(s))].join('/');
}
