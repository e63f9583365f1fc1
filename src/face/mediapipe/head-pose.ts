/**
 * Head pose from the mesh: the rotation that best maps MediaPipe's canonical face onto the observed landmarks
 * (weighted least squares, Horn's closed form with unit quaternions), as the face geometry pipeline's
 * Procrustes fit does with its landmark weights (geometry_pipeline_metadata_landmarks). Orthographic: the frame's
 * pixels with y up and z towards the camera stand in for MediaPipe's metric space, close enough at webcam
 * distances for the angles the challenges read.
 */

/** The canonical face: 3D points by mesh index (y up, z towards the viewer) and the weighted subset fitted. */
export interface CanonicalFace {
  /** [x, y, z] per mesh index. */
  points: readonly (readonly [number, number, number])[];
  /** Mesh indices used for the fit and their weights. */
  basis: readonly { index: number; weight: number }[];
}

/** A 3×3 rotation, row-major. */
export type Rotation = [number, number, number, number, number, number, number, number, number];

/** Rotation taking the canonical face to the observed mesh (frame pixels, y down, z larger = further). */
export function fitRotation(face: CanonicalFace, mesh: readonly (readonly [number, number, number?])[]): Rotation {
  let wSum = 0;
  const ca = [0, 0, 0];
  const cb = [0, 0, 0];
  const target = (i: number): [number, number, number] => [mesh[i][0], -mesh[i][1], -(mesh[i][2] ?? 0)];
  for (const { index, weight } of face.basis) {
    const a = face.points[index];
    const b = target(index);
    wSum += weight;
    for (let k = 0; k < 3; k++) {
      ca[k] += weight * a[k];
      cb[k] += weight * b[k];
    }
  }
  for (let k = 0; k < 3; k++) {
    ca[k] /= wSum;
    cb[k] /= wSum;
  }
  // S[r][c] = Σ w (a − ā)_r (b − b̄)_c
  const S = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const { index, weight } of face.basis) {
    const a = face.points[index];
    const b = target(index);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) S[r * 3 + c] += weight * (a[r] - ca[r]) * (b[c] - cb[c]);
  }
  const [xx, xy, xz, yx, yy, yz, zx, zy, zz] = S;
  const N = [
    [xx + yy + zz, yz - zy, zx - xz, xy - yx],
    [yz - zy, xx - yy - zz, xy + yx, zx + xz],
    [zx - xz, xy + yx, -xx + yy - zz, yz + zy],
    [xy - yx, zx + xz, yz + zy, -xx - yy + zz],
  ];
  const [w, x, y, z] = largestEigenvector(N);
  return [
    w * w + x * x - y * y - z * z,
    2 * (x * y - w * z),
    2 * (x * z + w * y),
    2 * (x * y + w * z),
    w * w - x * x + y * y - z * z,
    2 * (y * z - w * x),
    2 * (x * z - w * y),
    2 * (y * z + w * x),
    w * w - x * x - y * y + z * z,
  ];
}

/** Eigenvector of the largest eigenvalue of a symmetric 4×4 matrix (cyclic Jacobi rotations), unit length. */
export function largestEigenvector(matrix: readonly (readonly number[])[]): number[] {
  const a = matrix.map((row) => [...row]);
  const v: number[][] = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < 3; p++) for (let q = p + 1; q < 4; q++) off += a[p][q] * a[p][q];
    if (off < 1e-18) break;
    for (let p = 0; p < 3; p++) {
      for (let q = p + 1; q < 4; q++) {
        if (Math.abs(a[p][q]) < 1e-30) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < 4; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < 4; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < 4; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < 4; i++) if (a[i][i] > a[best][best]) best = i;
  const vec = v.map((row) => row[best]);
  const norm = Math.hypot(...vec);
  return vec.map((x) => x / norm);
}
