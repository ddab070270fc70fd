// Loaded by .mocharc.json after ts-node. cli/mockRuntime.ts drops the program's modules
// from require's cache before every mock run, so that each run loads the program afresh
// with its own config; ts-node would then transpile every file again, which was three
// quarters of a run's time. The transpiled text of a file depends only on its name and
// source, so it is kept here for the life of the test process.
const REGISTER_INSTANCE = Symbol.for("ts-node.register.instance");

interface TsNodeService {
    compile(code: string, fileName: string, lineOffset?: number): string;
}

const service = (process as unknown as Record<symbol, TsNodeService | undefined>)[
    REGISTER_INSTANCE
];
if (service) {
    const compile = service.compile.bind(service);
    const transpiled = new Map<string, string>();
    service.compile = (code, fileName, lineOffset) => {
        const key = `${fileName}\0${lineOffset ?? 0}\0${code}`;
        let out = transpiled.get(key);
        if (out === undefined) {
            out = compile(code, fileName, lineOffset);
            transpiled.set(key, out);
        }
        return out;
    };
}
