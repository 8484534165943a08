import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'tfjs',
    include: ['src/**/*.test.ts'],
  },
});
