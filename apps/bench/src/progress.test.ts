import { describe, expect, it } from 'vitest';

import { createProgress } from './progress.js';
import { collectingStream } from './testing/streams.js';

describe('createProgress', () => {
  it('writes only finished lines when not on a terminal', () => {
    const stream = collectingStream(false);
    const progress = createProgress(stream);
    progress.update('step 1');
    progress.finish('epoch 1 done');
    progress.message('warning: x');
    expect(stream.text()).toBe('epoch 1 done\nwarning: x\n');
  });

  it('rewrites one line in place on a terminal, at most every 100 ms', () => {
    const stream = collectingStream(true);
    let time = 0;
    const progress = createProgress(stream, () => time);
    progress.update('step 1');
    time = 50;
    progress.update('step 2');
    time = 150;
    progress.update('step 3');
    progress.finish('done');
    expect(stream.text()).toBe('\r\u001b[2Kstep 1\r\u001b[2Kstep 3\r\u001b[2Kdone\n');
  });

  it('redraws the progress line after a message', () => {
    const stream = collectingStream(true);
    const progress = createProgress(stream, () => 0);
    progress.update('step 1');
    progress.message('warning');
    expect(stream.text()).toBe('\r\u001b[2Kstep 1\r\u001b[2Kwarning\nstep 1');
  });
});
