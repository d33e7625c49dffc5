/**
 * Kernel resource limits of child processes, through util-linux `prlimit`,
 * and their CPU time and resident memory, through `/proc`. Linux only.
 *
 * @module
 */

const found = new Map<string, string | undefined>();

/** The path of a util-linux tool (`prlimit`, `setpriv`), or `undefined` when absent. */
export function findTool(name: string): string | undefined {
  if (found.has(name)) return found.get(name);
  let path: string | undefined;
  if (Deno.build.os === "linux") {
    let dirs = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];
    try {
      dirs = [...(Deno.env.get("PATH") ?? "").split(":").filter(Boolean), ...dirs];
    } catch { /* no env permission: the usual places only */ }
    for (const dir of dirs) {
      try {
        if (Deno.statSync(`${dir}/${name}`).isFile) {
          path = `${dir}/${name}`;
          break;
        }
      } catch { /* not here */ }
    }
  }
  found.set(name, path);
  return path;
}

/** Why CPU and memory limits cannot be enforced here, or `undefined` when they can. */
export function whyNoKernelLimits(): string | undefined {
  if (Deno.build.os !== "linux") {
    return `CPU and memory limits need Linux (/proc and prlimit); this is ${Deno.build.os}`;
  }
  if (!findTool("prlimit")) {
    return "CPU and memory limits need util-linux's prlimit, which is not on PATH " +
      "(install util-linux, e.g. apt-get install util-linux)";
  }
  return undefined;
}

/** Kernel clock ticks per second in /proc (USER_HZ, 100 on every Linux ABI). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, all threads) the process has used, in ms; `NaN` once it is gone. */
export function cpuTimeUsed(pid: number): number {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return NaN;
  }
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/**
 * Sets the soft RLIMIT_CPU of a running process to `seconds` of cumulative
 * CPU time (or lifts it). Only the soft limit: an unprivileged parent could
 * never raise a lowered hard limit again for the process's next call.
 */
export async function setCpuLimit(pid: number, seconds: number | "unlimited"): Promise<void> {
  const prlimit = findTool("prlimit");
  if (!prlimit) throw new Error(whyNoKernelLimits());
  const { success, stderr } = await new Deno.Command(prlimit, {
    args: ["--pid", String(pid), `--cpu=${seconds}:`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(
      `prlimit could not set the CPU limit of process ${pid}: ${
        new TextDecoder().decode(stderr).trim()
      }`,
    );
  }
}

/**
 * The resident set of a process and its peak (`VmRSS`, `VmHWM`), in bytes;
 * `undefined` once it is gone.
 */
export function residentSet(pid: number): { rss: number; peak: number } | undefined {
  let status: string;
  try {
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return undefined;
  }
  const kilobytes = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match ? Number(match[1]) * 1024 : NaN;
  };
  const rss = kilobytes("VmRSS");
  if (Number.isNaN(rss)) return undefined;
  return { rss, peak: kilobytes("VmHWM") };
}

/** Resets a process's peak resident set (`VmHWM`) to its current one; `false` where the kernel refuses. */
export function resetPeakResidentSet(pid: number): boolean {
  try {
    Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}
