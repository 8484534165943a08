import { BackendUnavailableError } from './types.js';

/**
 * Imports an adapter package on demand, so that a run loads only the frameworks it uses, and
 * turns a missing or unbuilt package into a `BackendUnavailableError`.
 */
export async function importAdapter(backend: string, packageName: string): Promise<Record<string, unknown>> {
  try {
    return (await import(packageName)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BackendUnavailableError(
      backend,
      `the adapter package ${packageName} could not be loaded (${reason}). Build it with "pnpm build" from the repository root.`,
    );
  }
}

/** Returns the named function export of an adapter, or throws naming the missing export. */
export function requireFunction<F>(backend: string, packageName: string, module: Record<string, unknown>, name: string): F {
  const value = module[name];
  if (typeof value !== 'function') {
    throw new BackendUnavailableError(backend, `${packageName} in this build does not export ${name}(), so the backend is not available in this build.`);
  }
  return value as F;
}
