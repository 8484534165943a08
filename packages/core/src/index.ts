export type { HostTensor, TensorOps } from './tensor_ops.js';
export type {
  GradientTransform,
  TransformInput,
  TransformResult,
  TransformSpec,
  TransformState,
} from './transform.js';
export { InvalidArgumentError, formatShape, shapesEqual, sizeFromShape } from './errors.js';
export { hostTensor, referenceOps } from './reference/reference_ops.js';
export { metaBalance, movingAverageNormKey } from './methods/metabalance.js';
export type { MetaBalanceOptions, MetaBalanceStrategy } from './methods/metabalance.js';
export { equalWeighting } from './methods/equal_weighting.js';
export { STATE_FORMAT, deserializeState, serializeState } from './state_serialization.js';
export type { SerializedTransformState } from './state_serialization.js';
export { inputsFinite, taskGradientNorms, weightedTaskSum, zeroUnlessFinite } from './combine.js';
export { checkRange, checkStateSignature, specFromGradients, stateSignature, validateLosses, validateSpec } from './validation.js';
