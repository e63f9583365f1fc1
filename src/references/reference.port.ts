import type { RawImage } from '../common/image';
import type { ReferenceSkipReason } from '../common/errors';
import type { FlowLog } from '../observability/logger';

/** Where the controller keeps a flow's references. */
export interface ReferenceSource {
  flowId: string;
  token: string;
  callbackBaseUrl: string;
  datastoreBaseUrl?: string;
}

/** How an item of `/list/{token}` named its image. */
export type ReferenceKind = 'data_url' | 'http_url' | 'datastore_id';

/** A usable reference image, decoded and upright (EXIF orientation applied), RGB. */
export interface ReferenceImage {
  /** Position in the controller's list, 0-based. */
  index: number;
  kind: ReferenceKind;
  image: RawImage;
}

/** A reference that could not be used, and why. */
export interface SkippedReference {
  index: number;
  reason: ReferenceSkipReason;
  message: string;
}

export interface ReferenceSet {
  usable: ReferenceImage[];
  skipped: SkippedReference[];
}

/** Fetches and decodes the reference images of a flow. */
export interface ReferencePort {
  /** Rejects with VisionError('no_reference') when the list itself cannot be had. Logs to the flow's `log`. */
  fetch(source: ReferenceSource, signal: AbortSignal, log: FlowLog): Promise<ReferenceSet>;
}

export const REFERENCE_PORT = Symbol('ReferencePort');
