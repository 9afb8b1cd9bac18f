import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

const backend = "http://127.0.0.1:8000";

/**
 * sonner injects its stylesheet at runtime with a <style> element, which a
 * strict `style-src 'self'` Content-Security-Policy blocks. We import
 * `sonner/dist/styles.css` ourselves (so it ships in the hashed CSS file)
 * and turn the runtime injection into a no-op.
 */
function sonnerWithoutInlineStyle(): Plugin {
  const marker = "function __insertCSS(code) {";
  return {
    name: "vaultroom:sonner-without-inline-style",
    enforce: "pre",
    transform(code, id) {
      if (!/[\\/]node_modules[\\/]sonner[\\/]dist[\\/]index\.m?js$/.test(id)) return null;
      if (!code.includes(marker)) {
        this.warn("sonner no longer has __insertCSS; check that toasts do not inject inline styles");
        return null;
      }
      return { code: code.replace(marker, `${marker} return;`), map: null };
    },
  };
}

export default defineConfig({
  base: "/",
  plugins: [sonnerWithoutInlineStyle(), react(), tailwindcss()],
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
    proxy: {
      "/api": { target: backend, changeOrigin: false },
      "/socket.io": { target: backend, ws: true, changeOrigin: false },
    },
  },
  build: {
    outDir: "../src/vaultroom/web",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    assetsInlineLimit: 0,
    rolldownOptions: {
      output: {
        // The libraries (cached across app releases) apart from the app; zxcvbn stays lazy.
        codeSplitting: {
          groups: [
            {
              name: "vendor",
              test: /node_modules[\\/](react|react-dom|react-router|scheduler|@tanstack|socket\.io-client|engine\.io-client|engine\.io-parser|socket\.io-parser|@socket\.io|i18next|react-i18next|sonner|void-elements|html-parse-stringify|debug|ms)[\\/]/,
            },
          ],
        },
      },
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    // A shared 2-core machine: a generous ceiling, never a duration assertion.
    testTimeout: 20_000,
    unstubGlobals: true,
    css: false,
  },
});
