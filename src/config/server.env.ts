import { num, oneOf, str } from './env';

export const serverEnv = {
  PORT: num(5000, 'HTTP port of the service', { min: 1, max: 65535 }),
  HOST: str('0.0.0.0', 'Address the HTTP server binds'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const, 'info', 'Log level'),
  MAX_CONCURRENT_FLOWS: num(8, 'Flows running at once; more joins get 429', { min: 1, max: 1000 }),
  VISION_INSPECT: oneOf(['0', '1'] as const, '0', 'Development: 1 starts every flow with the XState inspector'),
};
