import { runProgram } from "./scripts/mockRuntime";
import { baseStack, toRunOptions } from "./test/fixtures";
(async () => {
  for (const [m,p] of [["dynamic","csi"],["static","in-tree"]] as const) {
    const r = await runProgram(toRunOptions(baseStack(m,p)));
    console.log(m,p, r.error?.message, r.resources.map(x=>`${x.type}:${x.name} ${JSON.stringify(x.options)} ${x.secretPaths}`).join("\n"));
    console.log(JSON.stringify(r.outputs));
  }
  const bad = await runProgram(toRunOptions({values:{mode:"x", ceph:{pool:"", user:"client.kube", monitors:["1.2.3.4"]}}, secrets:{}}));
  console.log(bad.error?.message, bad.resources.length);
})();
