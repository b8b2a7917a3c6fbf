// A started container of a run: lifecycle, exec with demultiplexed output and a deadline, logs,
// where the runner reaches its ports. Handles are addressed by name; IPs and published ports change
// across restarts (contract §6.22), so both are re-read on each use.
import type Docker from "dockerode";
import type { Duplex } from "node:stream";
import { retryTransient } from "../util/retry.js";
import { TimeoutError, pause, withTimeout } from "../util/time.js";
import { type DockerClient, isTransientDockerError, statusOf } from "./client.js";
import { collectDemuxed, demuxBuffer, stripAnsi } from "./stream.js";

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  env?: Record<string, string>;
  workingDir?: string;
  signal?: AbortSignal;
}

/** Where the runner reaches a container's TCP port. */
export interface Endpoint {
  host: string;
  port: number;
}

export class ContainerHandle {
  private readonly container: Docker.Container;

  constructor(
    private readonly docker: DockerClient,
    readonly name: string,
    readonly role: string,
    /** The run's network, where the container has its address. */
    readonly network?: string,
  ) {
    this.container = docker.api.getContainer(name);
  }

  async inspect(): Promise<Docker.ContainerInspectInfo> {
    return this.docker.call(() => this.container.inspect(), `inspect ${this.name}`);
  }

  /** "running", "paused", "exited (1)", "removed"… for evidence and waits. */
  async state(): Promise<string> {
    try {
      const { State } = await this.inspect();
      if (State.Paused) return "paused";
      if (State.Running) return "running";
      return `${State.Status} (${State.ExitCode})`;
    } catch (error) {
      if (statusOf(error) === 404) return "removed";
      throw error;
    }
  }

  /** Exit code once the container has stopped, undefined while it runs. */
  async exitCode(): Promise<number | undefined> {
    const { State } = await this.inspect();
    return State.Running || State.Restarting ? undefined : State.ExitCode;
  }

  /**
   * Where the runner reaches a container TCP port, the one place that knows both ways: on the host,
   * the port published on 127.0.0.1; from the runner's own container (joined to the run's network,
   * src/docker/own-container.ts), the container's address on that network and the port itself.
   */
  async endpoint(port: number): Promise<Endpoint> {
    if (await this.docker.ownContainer()) return { host: await this.networkIp(), port };
    return { host: "127.0.0.1", port: await this.hostPort(port) };
  }

  /** The 127.0.0.1 host port published for a container TCP port. */
  async hostPort(port: number): Promise<number> {
    const info = await this.inspect();
    const binding = info.NetworkSettings.Ports?.[`${port}/tcp`]?.[0];
    if (!binding?.HostPort) throw new Error(`${this.unreachable(info)}, port ${port} not published`);
    return Number(binding.HostPort);
  }

  /** The container's address on the run's network (on its first network when none was named). */
  async networkIp(): Promise<string> {
    const info = await this.inspect();
    const networks = info.NetworkSettings.Networks ?? {};
    const ip = (this.network ? networks[this.network]?.IPAddress : Object.values(networks).find((n) => n.IPAddress)?.IPAddress) || undefined;
    if (!ip) throw new Error(`${this.unreachable(info)}, no address on ${this.network ?? "any network"}`);
    return ip;
  }

  private unreachable(info: Docker.ContainerInspectInfo): string {
    const state = info.State.Paused ? "paused" : info.State.Running ? "running" : `${info.State.Status} (${info.State.ExitCode})`;
    return `${this.role} is not reachable: container ${this.name} is ${state}`;
  }

  start = () => this.lifecycle("start", () => this.container.start());
  stop = (graceSeconds = 10) => this.lifecycle("stop", () => this.container.stop({ t: graceSeconds }), (graceSeconds + 30) * 1000);
  restart = (graceSeconds = 10) => this.lifecycle("restart", () => this.container.restart({ t: graceSeconds }), (graceSeconds + 30) * 1000);
  kill = (signal = "SIGKILL") => this.lifecycle("kill", () => this.container.kill({ signal }));
  pause = () => this.lifecycle("pause", () => this.container.pause());
  unpause = () => this.lifecycle("unpause", () => this.container.unpause());
  remove = () => this.lifecycle("remove", () => this.container.remove({ force: true, v: true }), 30_000, true);

  /** Holds the container to `cpus` CPUs (CFS quota), or lifts the limit (undefined). Setting it twice is harmless. */
  limitCpus = (cpus: number | undefined) =>
    this.lifecycle("update", () => this.container.update(cpus === undefined ? { CpuQuota: -1 } : { CpuPeriod: 100_000, CpuQuota: Math.round(cpus * 100_000) }), 30_000, true);

  /**
   * Runs a command; a non-zero exit is a result, not an error. Times out with TimeoutError. An exec
   * whose stream could not be opened (the daemon answered 5xx, the connection was reset) is sent
   * again only while its command has not started; a stream that breaks later is an error, since
   * running the command twice may not be harmless (iptables -I).
   */
  async exec(cmd: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const what = `exec in ${this.name}: ${cmd.join(" ")}`;
    const started = Date.now();
    const afterStart = new WeakSet<object>();
    const { exec, stream } = await retryTransient(
      async (remainingMs) => {
        const create = this.container.exec({
          Cmd: cmd,
          AttachStdout: true,
          AttachStderr: true,
          Tty: false,
          Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
          WorkingDir: options.workingDir,
        });
        const exec = await this.docker.call(create, what, remainingMs, options.signal);
        try {
          return { exec, stream: (await this.docker.call(exec.start({ hijack: true, stdin: false }), what, remainingMs, options.signal)) as Duplex };
        } catch (error) {
          if (await this.commandStarted(exec)) afterStart.add(error as object);
          throw error;
        }
      },
      { retries: 2, capMs: timeoutMs, signal: options.signal, transient: (error) => isTransientDockerError(error) && !afterStart.has(error as object) },
    );
    let output;
    try {
      output = await withTimeout(collectDemuxed(stream), Math.max(1, timeoutMs - (Date.now() - started)), what, options.signal);
    } catch (error) {
      stream.destroy();
      if (isTransientDockerError(error)) throw new Error(`${what}: the output stream broke after the command started (${(error as Error).message}); not run again`);
      throw error;
    }
    // The exit code can lag the end of the stream: poll inspect until the exec reports it.
    while (Date.now() - started < timeoutMs) {
      const info = await this.docker.call(() => exec.inspect(), what, timeoutMs, options.signal);
      if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, ...output };
      await pause(20, options.signal);
    }
    throw new TimeoutError(what, timeoutMs);
  }

  /** stdout+stderr so far, ANSI stripped. `tail` limits to the last lines. Never throws. */
  async logs(options: { tail?: number; sinceSeconds?: number } = {}): Promise<string> {
    try {
      const raw = (await this.docker.call(
        () => this.container.logs({
          stdout: true,
          stderr: true,
          follow: false,
          tail: options.tail ?? "all",
          since: options.sinceSeconds ?? 0,
        } as Docker.ContainerLogsOptions & { follow: false }),
        `logs of ${this.name}`,
      )) as unknown as Buffer;
      const { stdout, stderr } = demuxBuffer(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
      return stripAnsi(stdout + (stderr ? `\n[stderr]\n${stderr}` : ""));
    } catch (error) {
      return `(logs unavailable: ${(error as Error).message})`;
    }
  }

  /** Whether an exec's command ran (or may have): only a clearly unstarted one is sent again. */
  private async commandStarted(exec: Docker.Exec): Promise<boolean> {
    try {
      const info = await this.docker.call(() => exec.inspect(), `inspect exec in ${this.name}`, 5_000);
      return info.Running || info.ExitCode !== null || info.Pid > 0;
    } catch {
      return true;
    }
  }

  /** `repeatable`: sending it twice does no harm (a forced removal), so a 5xx or reset is retried. */
  private async lifecycle(verb: string, action: () => Promise<unknown>, timeoutMs = 30_000, repeatable = false): Promise<void> {
    try {
      await this.docker.call(repeatable ? action : action(), `${verb} ${this.name}`, timeoutMs);
    } catch (error) {
      // 304: already in the requested state.
      if (statusOf(error) === 304) return;
      throw error;
    }
  }
}
