// Lint: typescript-eslint's type-aware recommended rules over src/ and test/.
// A rule turned off or adjusted below says why in one line.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".test-results/**", "test-artifacts/**", "examples/**", "scripts/**", "**/*.js", "**/*.mjs", "dashboard/vite.config.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A leading underscore marks a binding kept on purpose: a field destructured away to omit it, a parameter a signature requires.
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ["src/**"],
    // The benchmark's load generator and fakes are not the gateway.
    ignores: ["src/bench/**"],
    rules: {
      // Packages only some configurations need are loaded at first use (src/core/lazy.ts), and Kysely from its CommonJS build (src/store/kysely.ts): a static import would load them in every gateway.
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: ["kysely", "undici", "ioredis", "@smithy/eventstream-codec", "@smithy/util-utf8"].map((name) => ({
            name,
            allowTypeImports: true,
            message: name === "kysely" ? "import Kysely's values from src/store/kysely.ts" : "load it with lazyPackage (src/core/lazy.ts)",
          })),
        },
      ],
    },
  },
  {
    files: ["test/**"],
    rules: {
      // Tests read the JSON bodies of HTTP responses (typed `any` by fetch) and assert on them field by field.
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // Fake upstreams validate and answer arbitrary JSON bodies; with the rules above off, `any` here is what fetch's json() gives anyway.
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
);
