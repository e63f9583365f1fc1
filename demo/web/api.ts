/** The JSON the demo web server and the subject page exchange (types only: the page bundle imports them too). */

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
  flow: {
    state: string;
    challenges: { id: string; status: string; progress: number }[];
    current_challenge: string | null;
    outcome: 'success' | 'failure' | null;
    reason: string | null;
    callback_delivered: boolean;
    finished_at: string | null;
  } | null;
  callbacks: { status: 'success' | 'failure'; path: string; body: string }[];
}
