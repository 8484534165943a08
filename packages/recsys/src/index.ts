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
export { SKIP_REASONS, summarizeDataset, validateDataset } from './dataset.js';
export type { DatasetSummary, FileLoadReport, InteractionSet, LoadReport, MultiBehaviorDataset } from './dataset.js';
export { createRng, deriveSeed, shuffleInPlace } from './rng.js';
export type { Rng } from './rng.js';
export { SYNTHETIC_BEHAVIORS, SYNTHETIC_DEFAULTS, syntheticDataset } from './synthetic.js';
export type { SyntheticOptions } from './synthetic.js';
export { createSampler } from './sampler.js';
export type { Sampler, SamplerOptions } from './sampler.js';
export { DEFAULT_KS, DEFAULT_USER_BATCH_SIZE, evaluateRanking } from './ranking.js';
export type { RankingMetrics, RankingOptions } from './ranking.js';
export { EMBEDDING_INIT_STD, initNeuMFParameters } from './init.js';
export { DATASET_FORMATS, loadDataset } from './load_dataset.js';
export type { DatasetFormat } from './load_dataset.js';
export type { LoadOptions } from './load_common.js';
export { RAW_LOG_BEHAVIORS, TAOBAO_TIME_WINDOW } from './load_taobao_raw.js';
export { IJCAI15_DATE_WINDOW } from './load_ijcai15.js';
export { MBGCN_PAIR_FILES } from './load_mbgcn_pairs.js';
export { MBGCN_UPA_FILES } from './load_mbgcn_upa.js';
export { createPopularityScorer } from './popularity.js';
