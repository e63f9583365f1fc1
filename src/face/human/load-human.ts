import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config, Human } from '@vladmandic/human';

/**
 * The one place that loads @vladmandic/human for Node on TFJS-WASM, with its models read from the npm package's
 * own files (no network at all). Used by the face engine workers and by the embedded matcher.
 */

const HUMAN_DIR = dirname(require.resolve('@vladmandic/human'));
/** Human's bundled model files (model.json + weights). */
export const HUMAN_MODELS_DIR = join(HUMAN_DIR, '..', 'models');
/** Where tfjs-backend-wasm keeps its .wasm binaries (trailing slash: TFJS appends the file name). */
export const WASM_DIR = dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/';
/** Model URLs under this prefix are read from HUMAN_MODELS_DIR by our load router, never fetched. */
const MODEL_SCHEME = 'humanmodels://';

type HumanModule = typeof import('@vladmandic/human');
type TfCore = typeof import('@tensorflow/tfjs-core');

let routerInstalled = false;

/** Reads a model.json file and its weight shards (paths relative to it) as TFJS model artifacts. */
function fileLoadHandler(file: string) {
  return {
    async load() {
      const modelJson = JSON.parse(await readFile(file, 'utf8'));
      const specs = [];
      const buffers: Buffer[] = [];
      for (const group of modelJson.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const path of group.paths) buffers.push(await readFile(join(dirname(file), path)));
      }
      const weights = Buffer.concat(buffers);
      return {
        modelTopology: modelJson.modelTopology,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
        signature: modelJson.signature,
        userDefinedMetadata: modelJson.userDefinedMetadata,
        weightSpecs: specs,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      };
    },
  };
}

/** Loads a TFJS graph model from a local model.json (e.g. a model shipped in the repository), never fetching. */
export function loadLocalGraphModel(file: string): Promise<import('@tensorflow/tfjs-converter').GraphModel> {
  const converter = require('@tensorflow/tfjs-converter') as typeof import('@tensorflow/tfjs-converter');
  return converter.loadGraphModel(fileLoadHandler(file));
}

/** The TFJS core instance Human itself uses (it requires @tensorflow/tfjs-core, deduplicated by npm). */
export function humanTf(): TfCore {
  return require('@tensorflow/tfjs-core') as TfCore;
}

const HUMAN_BUNDLE = join(HUMAN_DIR, 'human.node-wasm.js');

/**
 * Loads Human's Node+WASM build by path (the package's `exports` map does not expose it to `require`).
 * `freshModule` loads a separate copy of the bundle: Human keeps its caches in module state, so two Humans of
 * one module share them. TFJS and its WASM backend stay shared.
 */
export function loadHumanModule(freshModule = false): HumanModule {
  const tf = humanTf();
  if (!routerInstalled) {
    // TFJS routers answer null for URLs they do not own; its typings omit that.
    const router = (url: string | string[]) =>
      typeof url === 'string' && url.startsWith(MODEL_SCHEME)
        ? fileLoadHandler(join(HUMAN_MODELS_DIR, url.slice(MODEL_SCHEME.length).replace(/^\/+/, '')))
        : null;
    tf.io.registerLoadRouter(router as Parameters<TfCore['io']['registerLoadRouter']>[0]);
    routerInstalled = true;
  }
  if (freshModule) delete require.cache[HUMAN_BUNDLE];
  return require(HUMAN_BUNDLE) as HumanModule;
}

/**
 * Human's config for Node: WASM backend, local models, every module off except what `face` enables.
 * Callers pass the face modules they need.
 */
export function humanConfig(face: Partial<Config['face']>): Partial<Config> {
  return {
    backend: 'wasm',
    wasmPath: WASM_DIR,
    modelBasePath: MODEL_SCHEME,
    cacheModels: false,
    debug: false,
    async: true,
    warmup: 'none',
    filter: { enabled: false },
    gesture: { enabled: false },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    segmentation: { enabled: false },
    face: { enabled: true, ...face },
  };
}

/** A ready Human: backend initialised and the enabled models loaded from local files (see loadHumanModule). */
export async function createHuman(config: Partial<Config>, options: { freshModule?: boolean } = {}): Promise<Human> {
  const { Human: HumanClass } = loadHumanModule(options.freshModule);
  const human = new HumanClass(config);
  await human.init();
  await human.load();
  return human;
}
