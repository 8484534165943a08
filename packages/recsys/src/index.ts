export { neumfLayout, validateNeuMFConfig } from './neumf.js';
export type { NeuMFConfig, NeuMFLayout, ParameterSpec } from './neumf.js';
export { DEFAULT_ADAM } from './trainer_contract.js';
export type {
  AdamOptions,
  NeuMFTrainer,
  NeuMFTrainerOptions,
  StepReport,
  TrainingBatch,
} from './trainer_contract.js';
