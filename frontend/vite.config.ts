/// <reference types="vitest/config" />
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The backend (runwatch serve) serves dist/ at "/" and the API beside it; during development
// the dev server forwards the API paths to it.
const BACKEND = process.env.RUNWATCH_BACKEND ?? "http://127.0.0.1:8000";
const API_PATHS = ["/stream", "/runs", "/metrics", "/checkpoints", "/tabs", "/health"];

export default defineConfig({
  base: "./",
  plugins: [react(), tailwindcss()],
  server: {
    proxy: Object.fromEntries(API_PATHS.map((path) => [path, { target: BACKEND, changeOrigin: true }])),
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 800,
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
