/** `npm run env:example`: writes .env.example from the configuration schema. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderEnvExample } from '../src/config/env-example';

/** Where the generated example lives. */
export const ENV_EXAMPLE_PATH = join(__dirname, '..', '..', '.env.example');

if (require.main === module) {
  writeFileSync(ENV_EXAMPLE_PATH, renderEnvExample());
  console.log(`wrote ${ENV_EXAMPLE_PATH}`);
}
