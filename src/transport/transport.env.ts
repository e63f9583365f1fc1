import { str } from '../config/env';

export const transportEnv = {
  SERVICE_DISPLAY_NAME: str('Vision Service', 'Display name of the service in the room'),
};
