/** Why a flow failed; sent in the failure callback (with CALLBACK_INCLUDE_DETAILS) and logged. */
export const FAILURE_REASONS = [
  'challenge_failed',
  'challenge_timeout',
  'analysis_too_slow',
  'multiple_faces',
  'face_lost',
  'face_changed',
  'presentation_attack',
  'no_subject_video',
  'subject_left',
  'transport_failed',
  'no_reference',
  'no_match',
  'matcher_unavailable',
  'flow_timeout',
  'cancelled',
  'service_shutdown',
  'service_restarted',
  'internal_error',
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Why one reference image was skipped; logged, never fatal on its own. */
export type ReferenceSkipReason =
  | 'fetch_failed'
  | 'http_status'
  | 'too_large'
  | 'timeout'
  | 'unsupported_type'
  | 'decode_failed'
  | 'bad_item'
  | 'blocked_address'
  | 'no_face_in_reference';

/** An error that knows which failure reason it stands for. */
export class VisionError extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VisionError';
  }
}

/** The failure reason of any thrown value: its own when typed, `internal_error` otherwise. */
export function reasonOf(error: unknown): FailureReason {
  return error instanceof VisionError ? error.reason : 'internal_error';
}

/** A one-line message of any thrown value, for logs. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
