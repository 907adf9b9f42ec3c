// One base config for every bundle, merged per target: client (the extension host side) and
// server (language server + CLI), which run in Node (`vscode` is provided by the editor), and the
// timeline webview, which runs in the browser (VS Code's webview, or the standalone page
// `memlens report --html` writes with the same script inlined).
'use strict';

const path = require('path');
const CopyPlugin = require('copy-webpack-plugin');

/** @type {import('webpack').Configuration} */
const base = {
  target: 'node20',
  devtool: 'nosources-source-map',
  resolve: { extensions: ['.ts', '.js'] },
  module: {
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        // Type checking is `tsc -p .`'s job (npm run build runs it first); this only transpiles.
        use: [{ loader: 'ts-loader', options: { transpileOnly: true, configFile: path.resolve(__dirname, 'tsconfig.json') } }],
      },
    ],
  },
  // Keep the real __dirname: the server finds its .wasm files next to the bundle.
  node: { __dirname: false, __filename: false },
  output: { path: path.resolve(__dirname, 'dist'), filename: '[name].js', libraryTarget: 'commonjs2' },
  // Unminified: readable stack traces in bug reports, and a build that takes seconds.
  optimization: { minimize: false },
  performance: { hints: false },
  infrastructureLogging: { level: 'warn' },
  stats: 'errors-warnings',
};

/** Shallow merge with the base; the listed keys are merged one level deeper. */
function merge(overrides) {
  const merged = { ...base, ...overrides };
  for (const key of ['resolve', 'output', 'node']) merged[key] = { ...base[key], ...(overrides[key] || {}) };
  return merged;
}

const client = merge({
  name: 'client',
  entry: { client: './client/src/extension.ts' },
  // onnxruntime-node loads native binaries relative to its own folder; the VSIX carries it in
  // node_modules (one platform's binaries, scripts/package.js).
  externals: { vscode: 'commonjs vscode', 'onnxruntime-node': 'commonjs onnxruntime-node' },
});

const server = merge({
  name: 'server',
  // The analysis worker is its own script next to the server (worker_threads loads it by path).
  // The profiler is a process of its own (a native crash or an out-of-memory there ends only it);
  // onnxruntime-node stays external, loaded from node_modules like the client's.
  entry: { server: './server/src/cli.ts', analysisWorker: './server/src/lsp/analysisWorker.ts', profiler: './server/src/profile/child.ts' },
  externals: { 'onnxruntime-node': 'commonjs onnxruntime-node' },
  // web-tree-sitter's Emscripten glue uses require() for fs/path in Node and never loads
  // anything else dynamically; silence the "expression in require" warning it causes.
  ignoreWarnings: [{ module: /web-tree-sitter/ }],
  plugins: [
    new CopyPlugin({
      patterns: [
        { from: require.resolve('web-tree-sitter/tree-sitter.wasm'), to: 'tree-sitter.wasm' },
        { from: path.join(path.dirname(require.resolve('tree-sitter-python/package.json')), 'tree-sitter-python.wasm'), to: 'tree-sitter-python.wasm' },
      ],
    }),
  ],
});

const webview = merge({
  name: 'webview',
  target: 'web',
  entry: { webview: './webview/src/main.ts' },
  module: {
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        use: [{ loader: 'ts-loader', options: { transpileOnly: true, configFile: path.resolve(__dirname, 'webview', 'tsconfig.json') } }],
      },
    ],
  },
  // A classic script (the webview's CSP allows it by nonce), no Node globals.
  output: { libraryTarget: undefined, library: undefined, iife: true },
  node: false,
  devtool: false,
  // Minified: it travels inside every standalone page.
  optimization: { minimize: true },
  plugins: [
    new CopyPlugin({
      patterns: [
        { from: require.resolve('uplot/dist/uPlot.min.css'), to: 'uPlot.min.css' },
        { from: path.resolve(__dirname, 'webview', 'src', 'view.css'), to: 'webview.css' },
      ],
    }),
  ],
});

module.exports = [client, server, webview];
