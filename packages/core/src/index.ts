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
export { uncertaintyWeighting, logVarianceKey } from './methods/uncertainty.js';
export type { LogVarianceOptimizer, UncertaintyWeightingOptions } from './methods/uncertainty.js';
export { dynamicWeightAverage } from './methods/dwa.js';
export type { DynamicWeightAverageOptions } from './methods/dwa.js';
export { gradNorm, gradNormWeightKey } from './methods/gradnorm.js';
export type { GradNormOptions } from './methods/gradnorm.js';
export { mgda, minNormWeights } from './methods/mgda.js';
export type { MgdaOptions } from './methods/mgda.js';
export { pcGrad, pcGradVisitOrder } from './methods/pcgrad.js';
export type { PcGradOptions } from './methods/pcgrad.js';
export { gradientCosineSimilarity } from './methods/gcs.js';
export type { GcsVariant, GradientCosineSimilarityOptions } from './methods/gcs.js';
export { onlineAuxiliaryWeighting, auxiliaryWeightKey } from './methods/olaux.js';
export type { OnlineAuxiliaryWeightingOptions } from './methods/olaux.js';
export { mtAdam } from './methods/mtadam.js';
export type { MtAdamOptions } from './methods/mtadam.js';
export type { GradientScope } from './methods/tensor_math.js';
export { TRANSFORM_METHODS, createTransform, transformDescription, transformOptionNames } from './methods/registry.js';
export { targetOnly } from './methods/target_only.js';
export { defineTransform } from './define_transform.js';
export type { TransformDefinition, TransformStep } from './define_transform.js';
