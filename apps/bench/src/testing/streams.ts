/** A writable stand-in that collects everything written to it. */
export interface CollectingStream {
  write(text: string): boolean;
  readonly isTTY?: boolean;
  text(): string;
}

/** Creates a stream that collects writes, optionally claiming to be a terminal. */
export function collectingStream(isTTY = false): CollectingStream {
  const chunks: string[] = [];
  return {
    isTTY,
    write(text: string) {
      chunks.push(text);
      return true;
    },
    text: () => chunks.join(''),
  };
}
