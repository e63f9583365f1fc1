/** `npm run chart`: writes docs/flow-machine.md from the flow machine definition. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderFlowChart } from '../src/flow/flow-chart';

/** Where the generated chart lives. */
export const CHART_PATH = join(__dirname, '..', '..', 'docs', 'flow-machine.md');

if (require.main === module) {
  writeFileSync(CHART_PATH, renderFlowChart());
  console.log(`wrote ${CHART_PATH}`);
}
