import { defineEyeLook } from './eye-look';

/** Look to the subject's own right with the eyes only (the irises move to the image's left), head still. */
export default defineEyeLook('look-eyes-right', 'right', { clip: 'liveportrait_d10', passesAtS: 2.6 });
