import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'onnx-training',
    include: ['src/**/*.test.ts'],
  },
});
