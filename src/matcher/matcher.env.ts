import { num, oneOf, optionalHttpUrl } from '../config/env';

export const matcherEnv = {
  VISION_MATCHER_BASE_URL: optionalHttpUrl('External io2060/vision-matcher; unset uses the embedded matcher'),
  MATCH_THRESHOLD: num(0.4, 'Distance below which faces match (0.4 is vision-matcher\'s)', { min: 0, max: 2, float: true }),
  MATCH_POLICY: oneOf(['mean', 'median'] as const, 'mean', 'Aggregate of all live x reference distances (mean is 2060-compatible)'),
  MATCHER_TIMEOUT_S: num(30, 'Limit of one request to the external matcher', { min: 1, max: 300 }),
};
