/**
 * What the face engine saw in one frame: the only input challenges get.
 *
 * Left/right are the subject's own (their left eye, their head turning to their left), never the image's:
 * the camera image is not mirrored, so the subject's left eye is on the image's right.
 */
export interface FaceObservation {
  /** Frame capture time, milliseconds on the service's monotonic clock. */
  timestampMs: number;
  imageWidth: number;
  imageHeight: number;
  /** Faces found in the frame. */
  faceCount: number;
  /** The main (largest) face, when faceCount > 0. */
  face?: ObservedFace;
  /**
   * Passive presentation-attack score of the face (0..1, higher = live; src/pad), when asked for (needs.pad) and
   * exactly one face was found: a crop of an absent or ambiguous face is no evidence.
   */
  padScore?: number;
}

/** Measurements of one face. Angles in degrees, ratios unitless. */
export interface ObservedFace {
  /** Bounding box in pixels of the frame. */
  box: { x: number; y: number; width: number; height: number };
  /** Detector confidence 0..1. */
  score: number;
  /** Positive when the subject turns their head to their own left. */
  yawDeg: number;
  /** Positive when the subject looks up. */
  pitchDeg: number;
  /** Positive when the subject tilts their head to their own left. */
  rollDeg: number;
  /** Eye aspect ratio per eye (about 0.07–0.12 closed, 0.26–0.34 open). */
  eyeOpenness: { left: number; right: number };
  /** Inner-lip gap over face height (≤ 0.025 closed, 0.13–0.17 wide open). */
  mouthOpenness: number;
  /** Smile strength 0..1. */
  smile: number;
  /** Image quality of the face region. */
  quality: {
    /** Face box area over frame area. */
    faceShare: number;
    /** Mean luma of the face region, 0..255. */
    brightness: number;
    /** Sharpness (variance of the Laplacian of luma) of the face region. */
    sharpness: number;
  };
  /** Engine-specific raw scores (e.g. MediaPipe blendshapes), when the engine has them. */
  blendshapes?: Readonly<Record<string, number>>;
  /** A cheap identity descriptor (unit vector) to notice the face changing between challenges. */
  descriptor?: readonly number[];
}
