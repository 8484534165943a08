export {
  compareHostTensors,
  eagerConformanceBackend,
  runConformanceCase,
  tensorOpsConformanceCases,
} from './conformance.js';
export type { ConformanceBackend, ConformanceCase } from './conformance.js';
export { maxRelativeError } from './golden_compare.js';
export { findSharedDir, goldenTrainingCases, goldenTransformCases, readGoldenFile } from './golden.js';
export type {
  GoldenFile,
  GoldenTrainingCase,
  GoldenTrainingStep,
  GoldenTransformCase,
  GoldenTransformStep,
} from './golden.js';
