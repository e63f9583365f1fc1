import type { RawImage } from '../common/image';
import type { FlowLog } from '../observability/logger';
import type { ReferenceImage } from '../references/reference.port';

/** The distance of one live capture to one reference. */
export interface PairScore {
  live: number;
  reference: number;
  distance: number;
}

/** The verdict of comparing live captures with references. */
export interface MatchResult {
  match: boolean;
  /** The aggregated distance the decision was taken on. */
  distance: number;
  threshold: number;
  /** How pair distances were aggregated, e.g. `mean` (2060-compatible) or `median`. */
  policy: string;
  pairs: PairScore[];
  /** References in which no face was found; they took no part in the decision. */
  referencesWithoutFace: number[];
}

/** Compares faces. Rejects with VisionError('matcher_unavailable' | 'no_reference'). */
export interface MatcherPort {
  /** Resolves once models are loaded (at once for an external matcher). */
  ready(): Promise<void>;
  /** Logs to the flow's `log`. */
  compare(live: RawImage[], references: ReferenceImage[], signal: AbortSignal, log: FlowLog): Promise<MatchResult>;
}

export const MATCHER_PORT = Symbol('MatcherPort');
