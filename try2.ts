import { runProgram } from "./scripts/mockRuntime";
process.on("unhandledRejection", (e) => console.log("UNHANDLED", (e as Error).message.slice(0,40)));
process.on("uncaughtException", (e) => console.log("UNCAUGHT", (e as Error).message.slice(0,40)));
(async () => {
  const bad = await runProgram({stack:"t", config: {"jenkins-ceph:mode":"x"}});
  console.log("ERR", bad.error?.message.slice(0,50), bad.resources.length);
  await new Promise(r=>setTimeout(r,500));
  console.log("done");
})();
