/**
 * Example: MetaBalance on the reference backend, with no framework.
 *
 * A target task and an auxiliary task share one weight vector, and the auxiliary gradient is
 * 12 to 35 times larger than the target's. The example prints how MetaBalance scales it down
 * while the moving averages warm up. Run with `pnpm example` from the repository root.
 */
import { hostTensor, metaBalance, referenceOps } from '../index.js';

const ops = referenceOps;
const transform = metaBalance({ relaxFactor: 0.7, beta: 0.9 });
let state = transform.init(ops, { tasks: 2, sharedShapes: [[3]] });

console.log('step  target norm  auxiliary norm  auxiliary weight  combined gradient');
for (let step = 1; step <= 5; step++) {
  const target = hostTensor([0.1 * step, -0.2, 0.05], [3]);
  const auxiliary = hostTensor([5, 4, -6 + step], [3]);

  const result = transform.update(ops, { taskGradients: [[target], [auxiliary]] }, state);
  state = result.state;

  const combined = Array.from(result.combined[0].values, (v) => v.toFixed(4)).join(', ');
  console.log(
    [
      String(step).padStart(4),
      result.taskNorms[0][0].values[0].toFixed(4).padStart(12),
      result.taskNorms[1][0].values[0].toFixed(4).padStart(15),
      result.taskWeights[1][0].values[0].toFixed(4).padStart(17),
      `  [${combined}]`,
    ].join(''),
  );
}
