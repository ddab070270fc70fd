// ESLint flat config: typescript-eslint with type information, Pulumi's rules that
// catch Outputs in template literals, and Prettier owning formatting.
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";
import prettier from "eslint-config-prettier";

export default tseslint.config(
    { ignores: ["node_modules/", "bin/", "out/", "eslint.config.mjs"] },
    ...tseslint.configs.recommendedTypeChecked,
    {
        // launch.js is plain CommonJS by design (it must load without TypeScript).
        files: ["launch.js"],
        ...tseslint.configs.disableTypeChecked,
        languageOptions: {
            sourceType: "commonjs",
            globals: { require: "readonly", module: "writable", __dirname: "readonly" },
        },
        rules: {
            ...tseslint.configs.disableTypeChecked.rules,
            "@typescript-eslint/no-require-imports": "off",
        },
    },
    {
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        files: ["**/*.ts"],
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
    {
        // A function of the program, the CLIs or the tools fits a screen (issue #22).
        files: [
            "index.ts",
            "components/**/*.ts",
            "settings/**/*.ts",
            "cli/**/*.ts",
            "tools/**/*.ts",
        ],
        rules: { "max-lines-per-function": ["error", { max: 60 }] },
    },
    {
        // Tests read rendered objects as loosely typed JSON on purpose.
        files: ["test/**/*.ts"],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-return": "off",
            "@typescript-eslint/no-non-null-assertion": "off",
        },
    },
    prettier,
);
