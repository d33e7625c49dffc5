import { batonThroughput } from "./processes.ts";
for (;;) await batonThroughput(2, 64, 20000);
