import { checkWorkflowFile } from "../src/cli/workflow/load.ts";
import { buildCollecting } from "../src/cli/workflow/build.ts";
import { readWorkflowFile } from "../src/cli/workflow/parse.ts";
import { validateAgainstSchema } from "../src/cli/workflow/schema.ts";
for (let k = 0; k < 2; k++) {
  let t = performance.now();
  const p = await readWorkflowFile("/tmp/wf/big.yaml");
  console.log("parse", performance.now() - t);
  t = performance.now();
  validateAgainstSchema(p.value);
  console.log("schema", performance.now() - t);
  t = performance.now();
  const { spec } = await checkWorkflowFile("/tmp/wf/big.yaml");
  console.log("load (all)", performance.now() - t);
  t = performance.now();
  await buildCollecting(spec!, { workers: 1 }, []);
  console.log("build", performance.now() - t);
}
