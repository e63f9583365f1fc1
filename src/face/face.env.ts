import { num, oneOf } from '../config/env';
import { availableParallelism } from 'node:os';

export const faceEnv = {
  FACE_ENGINE: oneOf(['human'] as const, 'human', 'Face engine'),
  FACE_WORKERS: num(availableParallelism(), 'Worker threads of the face engine (default: cores)', { min: 1, max: 64 }),
};
