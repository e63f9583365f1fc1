import { defineEyeLook } from './eye-look';

/** Look to the subject's own left with the eyes only (the irises move to the image's right), head still. */
export default defineEyeLook('look-eyes-left', 'left', { clip: 'liveportrait_d0', passesAtS: 1.13 });
