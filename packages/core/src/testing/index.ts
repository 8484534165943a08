export {
  compareHostTensors,
  eagerConformanceBackend,
  runConformanceCase,
  tensorOpsConformanceCases,
} from './conformance.js';
export type { ConformanceBackend, ConformanceCase } from './conformance.js';
export { findSharedDir, goldenTransformCases, readGoldenFile } from './golden.js';
export type { GoldenFile, GoldenTransformCase, GoldenTransformStep } from './golden.js';
