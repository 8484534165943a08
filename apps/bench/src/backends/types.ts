import type { ConformanceBackend } from '@mb/core/testing';
import type { NeuMFTrainer, NeuMFTrainerOptions } from '@mb/recsys';

/**
 * Raised when a backend cannot run in this build or on this machine: its adapter package is
 * missing or lacks an export, or a native library or device is absent. The message names what is
 * missing and how to install it.
 */
export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: string,
    reason: string,
  ) {
    super(`Backend ${backend} is not available: ${reason}`);
    this.name = 'BackendUnavailableError';
  }
}

/** A backend after its adapter was loaded. */
export interface LoadedBackend {
  readonly name: string;
  /** Creates a NeuMF trainer; absent for backends that cannot train (`reference`). */
  readonly createTrainer?: (options: NeuMFTrainerOptions, extras?: TrainerExtras) => Promise<NeuMFTrainer>;
  /**
   * Prepares a backend that runs computations written on core's `TensorOps` with host inputs
   * and outputs, for the golden transform cases. It is absent when the adapter exports no way
   * to do that.
   */
  readonly createTransformBackend?: () => Promise<ConformanceBackend<unknown>>;
}

/** Adapter features beyond the trainer contract, used where an adapter offers them. */
export interface TrainerExtras {
  /**
   * Asks for each step's gradients in the step report (`gradients.combinedShared` and
   * `gradients.taskSpecific`, by parameter name). Adapters without the feature ignore it.
   */
  readonly reportGradients?: boolean;
}

/** Settings from the command line that some backends read. */
export interface BackendSettings {
  /** Intra-op thread count for ONNX Runtime; its default when absent. */
  readonly onnxThreads?: number;
}

/** A backend name that `--backend` accepts. */
export interface BackendEntry {
  readonly name: string;
  /** One line for `--help`. */
  readonly description: string;
  /** True when the backend has a NeuMF trainer, so `train` may use it. */
  readonly trains: boolean;
  /** Loads the adapter; throws `BackendUnavailableError` when the backend cannot run. */
  load(settings: BackendSettings): Promise<LoadedBackend>;
}
