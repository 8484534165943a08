import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'recsys',
    include: ['src/**/*.test.ts'],
  },
});
