/** The JSON the demo web server and the subject page exchange (types only: the page bundle imports them too). */
import type { FlowView } from '../../src/api/flow-view.dto';

/** POST /api/verify: the page asks for a verification of whoever is in front of its camera. */
export interface VerifyRequest {
  /** A JPEG data URL the page took from the camera; the demo's reference image. */
  reference: string;
  /** ISO 639-1 language of the instructions. */
  lang: string;
}

/** Answer of POST /api/verify. */
export interface VerifyAnswer {
  flowId: string;
  /** The protoo URL the page joins the room with. */
  wsUrl: string;
}

/** GET /api/flows/{flowId}: the service's flow view and the callbacks the demo controller received. */
export interface FlowStatus {
  flow: FlowView | null;
  callbacks: { status: 'success' | 'failure'; path: string; body: string }[];
}
