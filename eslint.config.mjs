// Lint rules: typescript-eslint's recommended set, prettier owns the layout, and a 120-column
// limit for what prettier cannot wrap. In src/ the limit holds for comments and strings too; tests
// may keep a long test name or a host command on one line.
import js from "@eslint/js";
import stylistic from "@stylistic/eslint-plugin";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

const maxLen = { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true };

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".lab/", "bench/results/", "test/fixtures/", "examples/*/node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    plugins: { "@stylistic": stylistic },
    rules: {
      "@stylistic/max-len": ["error", maxLen],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Tests poke at untyped gRPC messages and parsed YAML, where `any` is the honest type.
    files: ["test/**", "bench/**", "scripts/**"],
    rules: {
      "@stylistic/max-len": ["error", { ...maxLen, ignoreStrings: true, ignoreTemplateLiterals: true }],
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
