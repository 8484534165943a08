export { GraphBuilder, OPSET_VERSION, attr } from './graph.js';
export type { AttributeValue, ConstantValue, DataType, GraphNode, GraphTensor, OutputInfo } from './graph.js';
export { SUPPORTED_OPERATORS, inferNode } from './shape_inference.js';
export { liveNodes, serializeModel } from './onnx_export.js';
export { differentiableOperators, gradients, taskGradients, unbroadcast } from './autodiff.js';
export { GraphOps, graphConformanceBackend, rowSparse, scatterRows, zeros } from './graph_ops.js';
export { adamStepFactors, adamUpdate, resolveAdamOptions } from './adam.js';
export type { AdamStepFactors, AdamUpdate, ResolvedAdamOptions } from './adam.js';
export { EXECUTION_PROVIDERS, createSession, cudaProviderLibrary, floatTensor, int64Tensor, resolveExecutionProvider, toHostTensor } from './session.js';
export type { ExecutionProviderName, SessionOptions } from './session.js';
export { buildTrainingGraph, stepNames } from './training_graph.js';
export type { BatchInputSpec, ModelDefinition, TrainingGraph, TrainingGraphOptions } from './training_graph.js';
export { Trainer, createTrainer } from './trainer.js';
export { stabilizeTransformState } from './transform_state.js';
export { packScalars } from './scalar_packing.js';
export type { SerializeOptions } from './onnx_export.js';
export type { TrainerOptions, TrainerSnapshot, TrainerStepResult } from './trainer.js';
export {
  batchFeeds,
  binaryCrossEntropyWithLogits,
  buildScoringGraph,
  createNeuMFTrainer,
  neumfLogits,
  neumfModel,
  neumfSharedOutput,
} from './neumf.js';
export type { OnnxNeuMFTrainer, OnnxNeuMFTrainerOptions } from './neumf.js';
export { CHECKPOINT_FORMAT, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
