import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@mb/core';

/** Names accepted by `useBackend`. */
export type TfjsBackendName = 'cpu' | 'wasm' | 'tfjs-node' | 'tfjs-node-gpu';

/** Every name `useBackend` accepts, in the order error messages list them. */
export const TFJS_BACKEND_NAMES: readonly TfjsBackendName[] = ['cpu', 'wasm', 'tfjs-node', 'tfjs-node-gpu'];

/** Raised when a backend's package is not installed or the backend fails to initialize. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: TfjsBackendName,
    message: string,
  ) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

const require = createRequire(import.meta.url);
let wasmPathsSet = false;

/** Returns the `dist/` folder of the installed `@tensorflow/tfjs-backend-wasm`, ending in a slash. */
export function wasmBinaryDirectory(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

async function registerWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet) {
    // By default the wasm backend looks for its .wasm files beside the web page. In Node they are
    // in the package's dist folder. The SIMD binary is picked when the runtime supports SIMD.
    wasm.setWasmPaths(wasmBinaryDirectory());
    wasmPathsSet = true;
  }
}

function isResolvable(specifier: string): boolean {
  try {
    require.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

async function registerNative(name: 'tfjs-node' | 'tfjs-node-gpu'): Promise<void> {
  const specifier = `@tensorflow/${name}`;
  // Resolving first separates a missing package from one that fails to load, in Node and in
  // bundlers that rewrite import errors alike.
  if (!isResolvable(specifier)) {
    throw new BackendUnavailableError(
      name,
      `Backend "${name}" needs the optional package ${specifier}, which is not installed. ` +
        `Install it beside @mb/tfjs with \`npm install ${specifier}\`, or \`pnpm add ${specifier}\` followed by ` +
        '`pnpm approve-builds` in a pnpm workspace, because its install script downloads libtensorflow for this platform. ' +
        'Otherwise choose the "cpu" or "wasm" backend.',
    );
  }
  try {
    // A variable specifier keeps TypeScript from requiring the optional peer at build time.
    // NOTE: untested, because the native packages could not be installed where this was built.
    // They register their backend with the tfjs-core copy they resolve, so only one installed
    // version of @tensorflow/tfjs-core works.
    await import(specifier);
  } catch (error) {
    throw new BackendUnavailableError(name, `Loading ${specifier} failed: ${(error as Error).message}`);
  }
}

/** Returns the tfjs registry name under which backend `name` is registered. */
function registryName(name: TfjsBackendName): string {
  if (name === 'tfjs-node' || name === 'tfjs-node-gpu') return 'tensorflow';
  return name;
}

/**
 * Makes `name` the active tfjs backend for the whole process and returns the backend name that
 * trainers report: `tfjs-cpu`, `tfjs-wasm`, `tfjs-node` or `tfjs-node-gpu`.
 *
 * `tfjs-node` and `tfjs-node-gpu` are optional peer dependencies, loaded only when requested.
 * There is no fallback: an unknown name raises `InvalidArgumentError`, and a missing package
 * or a backend that fails to initialize raises `BackendUnavailableError`.
 *
 * tfjs keeps one active backend per process, so trainers created on different backends must
 * not be used in the same process at the same time.
 */
export async function useBackend(name: TfjsBackendName): Promise<string> {
  if (!TFJS_BACKEND_NAMES.includes(name)) {
    throw new InvalidArgumentError(
      'useBackend',
      `backend must be one of ${TFJS_BACKEND_NAMES.join(', ')}, got ${JSON.stringify(name)}.`,
    );
  }

  if (name === 'wasm') await registerWasm();
  if (name === 'tfjs-node' || name === 'tfjs-node-gpu') await registerNative(name);

  const registered = registryName(name);
  let ok: boolean;
  try {
    ok = await tf.setBackend(registered);
  } catch (error) {
    throw new BackendUnavailableError(name, `Initializing the tfjs backend "${registered}" failed: ${(error as Error).message}`);
  }
  // tf.setBackend reports a failed initialization by returning false instead of throwing.
  if (!ok) {
    throw new BackendUnavailableError(name, `Initializing the tfjs backend "${registered}" failed; tf.setBackend returned false.`);
  }
  return name === 'cpu' || name === 'wasm' ? `tfjs-${name}` : name;
}
