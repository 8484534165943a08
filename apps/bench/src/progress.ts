/** Progress output: one line updated in place on a terminal, plain lines anywhere else. */
export interface Progress {
  /** Replaces the current line on a terminal; ignored otherwise. Calls are rate-limited. */
  update(line: string): void;
  /** Ends the current line with its final text, on a terminal and otherwise. */
  finish(line: string): void;
  /** Writes a line of its own, such as a warning, without disturbing the progress line. */
  message(line: string): void;
}

/** The part of a stream that progress needs; `process.stderr` fits. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Minimum milliseconds between two in-place updates, so a fast loop does not flood the terminal. */
const UPDATE_INTERVAL_MS = 100;

/** Creates progress output on `stream`, in place when it is a terminal. */
export function createProgress(stream: ProgressStream, now: () => number = Date.now): Progress {
  if (stream.isTTY !== true) {
    return {
      update: () => undefined,
      finish: (line) => void stream.write(`${line}\n`),
      message: (line) => void stream.write(`${line}\n`),
    };
  }

  // Clearing the line before each write keeps a shorter line from leaving old characters.
  const clear = '\r\u001b[2K';
  let lastUpdate = -Infinity;
  let current = '';
  const fit = (line: string): string => {
    const columns = stream.columns ?? 0;
    return columns > 1 && line.length >= columns ? `${line.slice(0, columns - 2)}…` : line;
  };
  return {
    update(line) {
      const time = now();
      if (time - lastUpdate < UPDATE_INTERVAL_MS) return;
      lastUpdate = time;
      current = fit(line);
      stream.write(`${clear}${current}`);
    },
    finish(line) {
      current = '';
      lastUpdate = -Infinity;
      stream.write(`${clear}${line}\n`);
    },
    message(line) {
      stream.write(`${clear}${line}\n${current}`);
    },
  };
}
