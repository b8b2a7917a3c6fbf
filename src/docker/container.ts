// A started container of a run: lifecycle, exec with demultiplexed output and a deadline, logs,
// published ports. Handles are addressed by name; IPs change across restarts (contract §6.22).
import type Docker from "dockerode";
import type { Duplex } from "node:stream";
import { TimeoutError, pause, withTimeout } from "../util/time.js";
import { type DockerClient, statusOf } from "./client.js";
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

export class ContainerHandle {
  private readonly container: Docker.Container;

  constructor(
    private readonly docker: DockerClient,
    readonly name: string,
    readonly role: string,
  ) {
    this.container = docker.api.getContainer(name);
  }

  async inspect(): Promise<Docker.ContainerInspectInfo> {
    return this.docker.call(this.container.inspect(), `inspect ${this.name}`);
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

  /** The 127.0.0.1 host port published for a container TCP port (re-read: it changes on restart). */
  async hostPort(port: number): Promise<number> {
    const info = await this.inspect();
    const binding = info.NetworkSettings.Ports?.[`${port}/tcp`]?.[0];
    if (!binding?.HostPort) {
      const state = info.State.Paused ? "paused" : info.State.Running ? "running" : `${info.State.Status} (${info.State.ExitCode})`;
      throw new Error(`${this.role} is not reachable: container ${this.name} is ${state}, port ${port} not published`);
    }
    return Number(binding.HostPort);
  }

  start = () => this.lifecycle("start", () => this.container.start());
  stop = (graceSeconds = 10) => this.lifecycle("stop", () => this.container.stop({ t: graceSeconds }), (graceSeconds + 30) * 1000);
  restart = (graceSeconds = 10) => this.lifecycle("restart", () => this.container.restart({ t: graceSeconds }), (graceSeconds + 30) * 1000);
  kill = (signal = "SIGKILL") => this.lifecycle("kill", () => this.container.kill({ signal }));
  pause = () => this.lifecycle("pause", () => this.container.pause());
  unpause = () => this.lifecycle("unpause", () => this.container.unpause());
  remove = () => this.lifecycle("remove", () => this.container.remove({ force: true, v: true }));

  /** Runs a command; a non-zero exit is a result, not an error. Times out with TimeoutError. */
  async exec(cmd: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const what = `exec in ${this.name}: ${cmd.join(" ")}`;
    const started = Date.now();
    const exec = await this.docker.call(
      this.container.exec({
        Cmd: cmd,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
        WorkingDir: options.workingDir,
      }),
      what,
      timeoutMs,
      options.signal,
    );
    const stream = (await this.docker.call(exec.start({ hijack: true, stdin: false }), what, timeoutMs, options.signal)) as Duplex;
    let output;
    try {
      output = await withTimeout(collectDemuxed(stream), Math.max(1, timeoutMs - (Date.now() - started)), what, options.signal);
    } catch (error) {
      stream.destroy();
      throw error;
    }
    // The exit code can lag the end of the stream: poll inspect until the exec reports it.
    while (Date.now() - started < timeoutMs) {
      const info = await this.docker.call(exec.inspect(), what, timeoutMs, options.signal);
      if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, ...output };
      await pause(20, options.signal);
    }
    throw new TimeoutError(what, timeoutMs);
  }

  /** stdout+stderr so far, ANSI stripped. `tail` limits to the last lines. Never throws. */
  async logs(options: { tail?: number; sinceSeconds?: number } = {}): Promise<string> {
    try {
      const raw = (await this.docker.call(
        this.container.logs({
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

  private async lifecycle(verb: string, action: () => Promise<unknown>, timeoutMs = 30_000): Promise<void> {
    try {
      await this.docker.call(action(), `${verb} ${this.name}`, timeoutMs);
    } catch (error) {
      // 304: already in the requested state.
      if (statusOf(error) === 304) return;
      throw error;
    }
  }
}
