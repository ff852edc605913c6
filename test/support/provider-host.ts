/**
 * Drives the real Pulumi dynamic-provider host process over gRPC the way the Pulumi engine does,
 * so provider code can be proven "as the engine would run it" without the Pulumi CLI.
 *
 * What the engine does and this file copies (read in @pulumi/pulumi 3.270.0,
 * cmd/dynamic-provider/index.js and dynamic/index.js):
 * - starts `node node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js <engine-address>` in the
 *   project directory and reads the gRPC port from the first stdout line;
 * - calls Configure first with the whole stack config (keys keep their `<namespace>:` prefix);
 * - every property bag carries `__provider`, the provider serialized as JavaScript text; the host
 *   deserializes it from `news` (check, diff, update), `properties` (create) or the old
 *   outputs (read, delete), so delete/read run the text stored in state, not the current code;
 * - the host answers Configure with acceptSecrets=false, so the engine sends secrets as plain
 *   values (stored secret outputs included), and with supportsPreview=false, so the engine never
 *   calls Create/Update in a preview.
 *
 * The host ignores urn, name and type entirely (it never reads them); they are sent anyway so a
 * request looks like the engine's.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import type { PluginInfo } from "@pulumi/pulumi/proto/plugin_pb";
import * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerProto from "@pulumi/pulumi/proto/provider_pb";
import * as statusProto from "@pulumi/pulumi/proto/status_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/** Default project root (this checkout): the host must run where `node_modules/@pulumi/pulumi` resolves. */
export const PROJECT_ROOT = resolve(__dirname, "../..");
const HOST_SCRIPT = "node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js";
/** The host only checks that an engine address argument is present; it never dials it. */
const UNUSED_ENGINE_ADDRESS = "127.0.0.1:1";

/** The reserved input that carries the serialized provider. */
export const PROVIDER_KEY = "__provider";
/** What the engine sends for a value not known yet (preview only). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** Signature key the engine uses to mark secrets, assets, resource references in a Struct. */
export const SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d";
/** Signature value of a secret: `{ [SPECIAL_SIG_KEY]: SECRET_SIG, value }`. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

// ---------------------------------------------------------------------------------------------
// Property bags, URNs and the serialized provider

export type PropertyBag = Record<string, unknown>;

/** A value the engine would send as unknown during preview. */
export function unknown(): string {
  return UNKNOWN;
}

/** True if `value` is or contains an unknown marker anywhere. */
export function containsUnknowns(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknowns);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknowns);
  return false;
}

/**
 * The `__provider` text exactly as `new pulumi.dynamic.Resource(provider, ...)` produces it:
 * dynamic/index.js `serializeFunctionMaybeSecret` calls
 * `serializeFunction(() => provider, { allowSecrets: true })` and registers `sf.text`
 * (an Output marked secret if `sf.containsSecrets`; the engine strips that mark before sending
 * because the host does not accept secrets). The host then runs
 * `requireFromString(text).handler()` (exportName defaults to "handler").
 */
export async function serializeProvider(provider: object): Promise<string> {
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return serialized.text;
}

/** Program inputs as registration sends them: the user's inputs plus `__provider`. */
export function registeredInputs(providerText: string, inputs: PropertyBag): PropertyBag {
  if (PROVIDER_KEY in inputs) throw new Error("A dynamic resource must not define the __provider key");
  return { ...inputs, [PROVIDER_KEY]: providerText };
}

export interface UrnParts {
  stack?: string;
  project?: string;
  /** Omitted: type `pulumi-nodejs:dynamic:Resource`, as `dynamic.Resource` without module/type. */
  module?: string;
  type?: string;
  name: string;
}

/** `urn:pulumi:<stack>::<project>::pulumi-nodejs:dynamic/<module>:<Type>::<name>` */
export function dynamicUrn(parts: UrnParts): string {
  const stack = parts.stack ?? "test";
  const project = parts.project ?? "pulumi-xinetd";
  const typeToken =
    parts.module !== undefined
      ? `pulumi-nodejs:dynamic/${parts.module}:${parts.type ?? "Resource"}`
      : "pulumi-nodejs:dynamic:Resource";
  return `urn:pulumi:${stack}::${project}::${typeToken}::${parts.name}`;
}

function urnTypeAndName(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  if (parts.length < 4 || !urn.startsWith("urn:pulumi:")) throw new Error(`not a Pulumi URN: ${urn}`);
  return { type: parts[2]!.split("$").pop()!, name: parts.slice(3).join("::") };
}

function toStruct(bag: PropertyBag, what: string): Struct {
  // The host told the engine it does not accept secrets, so a real engine never sends secret
  // envelopes; a test that tries to is testing something that cannot happen.
  if (JSON.stringify(bag)?.includes(SPECIAL_SIG_KEY)) {
    throw new Error(`${what}: the engine never sends signature values (secrets) to the dynamic host`);
  }
  return Struct.fromJavaScript(bag as never);
}

function fromStruct(struct: Struct | undefined): PropertyBag {
  return (struct?.toJavaScript() ?? {}) as PropertyBag;
}

/** True if `value` is a secret in wire form: `{ [SPECIAL_SIG_KEY]: SECRET_SIG, value }`. */
export function isSecretValue(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as PropertyBag)[SPECIAL_SIG_KEY] === SECRET_SIG;
}

/**
 * A stored bag as the engine sends it back to this host: secret outputs unwrapped, since the
 * host does not accept secrets (MarshalProperties with KeepSecrets false).
 */
export function withoutSecretMarks<T>(value: T): T {
  if (isSecretValue(value)) return withoutSecretMarks(value.value) as T;
  if (Array.isArray(value)) return value.map(withoutSecretMarks) as T;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutSecretMarks(item)])) as T;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Errors

export interface PartialCreate {
  id: string;
  properties: PropertyBag;
  reasons: string[];
}

/** A failed RPC: `grpcCode` from grpc-js `status`, `message` is what the host sent. */
export class ProviderHostError extends Error {
  constructor(
    message: string,
    readonly grpcCode: grpc.status,
    readonly method: string,
    /** Present when create/update threw an error carrying `.id`: the engine records a partial create. */
    readonly partial?: PartialCreate,
  ) {
    super(message);
    this.name = "ProviderHostError";
  }
}

function toHostError(method: string, error: grpc.ServiceError): ProviderHostError {
  let partial: PartialCreate | undefined;
  // grpcResponseFromError packs ErrorResourceInitFailed into a google.rpc.Status sent as the
  // `grpc-status-details-bin` trailer; that is how the Go engine finds it too.
  for (const raw of error.metadata?.get("grpc-status-details-bin") ?? []) {
    const status = statusProto.Status.deserializeBinary(new Uint8Array(raw as Buffer));
    for (const detail of status.getDetailsList()) {
      if (detail.getTypeName() !== "pulumirpc.ErrorResourceInitFailed") continue;
      const init = providerProto.ErrorResourceInitFailed.deserializeBinary(detail.getValue_asU8());
      partial = { id: init.getId(), properties: fromStruct(init.getProperties()), reasons: init.getReasonsList() };
    }
  }
  return new ProviderHostError(error.details, error.code, method, partial);
}

// ---------------------------------------------------------------------------------------------
// The host

export interface ProviderHostOptions {
  /** Project directory the host runs in (it resolves `node_modules` from there). */
  cwd?: string;
  project?: string;
  stack?: string;
  /** Stack config; keys without a `:` get `<project>:` prepended, as `pulumi config set` does. */
  config?: Record<string, string>;
  /** Config keys (as given in `config`) that are secret in the stack: sent wrapped in Configure. */
  secretConfigKeys?: string[];
  /** Extra environment for the host process (merged over the current environment). */
  env?: Record<string, string | undefined>;
  /** Milliseconds to wait for the port line. */
  startTimeoutMs?: number;
}

export interface CheckResult {
  inputs: PropertyBag;
  failures: { property: string; reason: string }[];
}

export type DiffChanges = "unknown" | "none" | "some";

export interface DiffResult {
  changes: DiffChanges;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

export interface CreateResult {
  /** Empty in a preview: the engine does not call Create then (supportsPreview is false). */
  id: string;
  outs: PropertyBag;
  /** False when the engine would not call the host (preview); the result is the inputs. */
  calledHost: boolean;
}

export interface ReadResult {
  /** Empty: the resource is gone and the engine drops it from the state. */
  id: string;
  props: PropertyBag;
  /** Only when the provider returned inputs. */
  inputs?: PropertyBag;
}

export interface UpdateResult {
  outs: PropertyBag;
  calledHost: boolean;
}

export interface ConfigureResult {
  acceptSecrets: boolean;
  supportsPreview: boolean;
  acceptResources: boolean;
  acceptOutputs: boolean;
}

export interface ProviderHost {
  readonly pid: number;
  readonly port: number;
  /** What the host answered to the last Configure call (the one made at start, normally). */
  readonly configured: ConfigureResult | undefined;
  /** Everything the host wrote so far, for asserting that no secret is ever logged. */
  output(): { stdout: string; stderr: string };
  /** True if `text` appears anywhere in the host's stdout or stderr so far. */
  hasLogged(text: string): boolean;
  getPluginInfo(): Promise<{ version: string }>;
  /** Sent again by `startProviderHost`; call it yourself only to test Configure itself. */
  configure(config: Record<string, string>, secretConfigKeys?: string[]): Promise<ConfigureResult>;
  check(urn: string, olds: PropertyBag, news: PropertyBag): Promise<CheckResult>;
  diff(id: string, urn: string, olds: PropertyBag, news: PropertyBag, oldInputs?: PropertyBag): Promise<DiffResult>;
  create(urn: string, inputs: PropertyBag, options?: { preview?: boolean }): Promise<CreateResult>;
  read(id: string, urn: string, props: PropertyBag, inputs?: PropertyBag): Promise<ReadResult>;
  update(
    id: string,
    urn: string,
    olds: PropertyBag,
    news: PropertyBag,
    options?: { preview?: boolean; oldInputs?: PropertyBag },
  ): Promise<UpdateResult>;
  delete(id: string, urn: string, props: PropertyBag, oldInputs?: PropertyBag): Promise<void>;
  cancel(): Promise<void>;
  /** Kills the host by pid and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** Namespaced config as the engine hands it to dynamic providers (namespaces preserved). */
function namespacedConfig(project: string, config: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) result[key.includes(":") ? key : `${project}:${key}`] = value;
  return result;
}

export async function startProviderHost(options: ProviderHostOptions = {}): Promise<ProviderHost> {
  const cwd = options.cwd ?? PROJECT_ROOT;
  const project = options.project ?? "pulumi-xinetd";
  const stack = options.stack ?? "test";
  const config = namespacedConfig(project, options.config ?? {});
  const secretKeys = (options.secretConfigKeys ?? []).map((key) => (key.includes(":") ? key : `${project}:${key}`));

  const env: Record<string, string | undefined> = {
    ...process.env,
    PULUMI_NODEJS_PROJECT: project,
    PULUMI_NODEJS_STACK: stack,
    // The engine gives dynamic providers the whole stack config so `new pulumi.Config()` works.
    PULUMI_CONFIG: JSON.stringify(config),
    // Without an engine address pulumi.log writes to stdout, which is what we want to capture.
    PULUMI_NODEJS_ENGINE: undefined,
    ...options.env,
  };
  const child = spawn(process.execPath, [HOST_SCRIPT, UNUSED_ENGINE_ADDRESS], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  let port: number;
  try {
    port = await readPort(
      child,
      () => stdout,
      () => stderr,
      options.startTimeoutMs ?? 15_000,
    );
  } catch (error) {
    await killAndWait(child, exited);
    throw error;
  }

  const client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const host = makeHost(child, exited, port, client, () => ({ stdout, stderr }));
  try {
    await host.configure(config, secretKeys);
    return host;
  } catch (error) {
    await host.stop();
    throw error;
  }
}

function readPort(child: ChildProcess, stdout: () => string, stderr: () => string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`host printed no port in ${timeoutMs} ms; stderr: ${stderr()}`)),
      timeoutMs,
    );
    const onData = () => {
      const newline = stdout().indexOf("\n");
      if (newline < 0) return;
      const line = stdout().slice(0, newline).trim();
      const port = Number(line);
      finish(
        Number.isInteger(port) && port > 0 ? port : new Error(`first host line is not a port: ${JSON.stringify(line)}`),
      );
    };
    const onExit = (code: number | null) =>
      finish(new Error(`host exited (${code}) before printing a port; stderr: ${stderr()}`));
    function finish(result: number | Error) {
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
      if (typeof result === "number") resolve(result);
      else reject(result);
    }
    // Registered after the collector above, so stdout() already holds the chunk.
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
  });
}

async function killAndWait(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {
    return; // already gone
  }
  const timedOut = await Promise.race([exited.then(() => false), delay(5_000).then(() => true)]);
  if (timedOut) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      /* exited meanwhile */
    }
    await exited;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

type UnaryCallback<Res> = (error: grpc.ServiceError | null, response: Res) => void;

function makeHost(
  child: ChildProcess,
  exited: Promise<void>,
  port: number,
  client: providerGrpc.ResourceProviderClient,
  output: () => { stdout: string; stderr: string },
): ProviderHost {
  function call<Res>(method: string, invoke: (callback: UnaryCallback<Res>) => unknown): Promise<Res> {
    return new Promise((resolve, reject) =>
      invoke((error, response) => (error ? reject(toHostError(method, error)) : resolve(response))),
    );
  }
  let configured: ConfigureResult | undefined;
  // Until Configure answers, the engine assumes no preview support.
  let supportsPreview = false;

  const host: ProviderHost = {
    pid: child.pid!,
    port,
    get configured() {
      return configured;
    },
    output,
    hasLogged(text) {
      const { stdout, stderr } = output();
      return stdout.includes(text) || stderr.includes(text);
    },

    async getPluginInfo() {
      const info = await call<PluginInfo>("GetPluginInfo", (cb) => client.getPluginInfo(new Empty(), cb));
      return { version: info.getVersion() };
    },

    async configure(config, secretConfigKeys = []) {
      const request = new providerProto.ConfigureRequest();
      const args: PropertyBag = {};
      for (const [key, value] of Object.entries(config)) {
        request.getVariablesMap().set(key, value);
        // Configure is the one call where the engine keeps secret envelopes (it does not know yet
        // whether the provider accepts them); the host unwraps them.
        args[key] = secretConfigKeys.includes(key) ? { [SPECIAL_SIG_KEY]: SECRET_SIG, value } : value;
      }
      request.setArgs(Struct.fromJavaScript(args as never));
      // The flags every current engine sends.
      request.setAcceptsecrets(true);
      request.setAcceptresources(true);
      request.setSendsOldInputs(true);
      request.setSendsOldInputsToDelete(true);
      const response = await call<providerProto.ConfigureResponse>("Configure", (cb) => client.configure(request, cb));
      supportsPreview = response.getSupportspreview();
      configured = {
        acceptSecrets: response.getAcceptsecrets(),
        supportsPreview,
        acceptResources: response.getAcceptresources(),
        acceptOutputs: response.getAcceptoutputs(),
      };
      return configured;
    },

    async check(urn, olds, news) {
      const { type, name } = urnTypeAndName(urn);
      const request = new providerProto.CheckRequest();
      request.setUrn(urn).setName(name).setType(type);
      request.setOlds(toStruct(olds, "check olds")).setNews(toStruct(news, "check news"));
      const response = await call<providerProto.CheckResponse>("Check", (cb) => client.check(request, cb));
      return {
        inputs: fromStruct(response.getInputs()),
        failures: response.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },

    async diff(id, urn, olds, news, oldInputs) {
      const { type, name } = urnTypeAndName(urn);
      const request = new providerProto.DiffRequest();
      request.setId(id).setUrn(urn).setName(name).setType(type);
      request.setOlds(toStruct(olds, "diff olds")).setNews(toStruct(news, "diff news"));
      if (oldInputs) request.setOldInputs(toStruct(oldInputs, "diff oldInputs"));
      const response = await call<providerProto.DiffResponse>("Diff", (cb) => client.diff(request, cb));
      const changes = response.getChanges();
      const Changes = providerProto.DiffResponse.DiffChanges;
      return {
        changes: changes === Changes.DIFF_SOME ? "some" : changes === Changes.DIFF_NONE ? "none" : "unknown",
        replaces: response.getReplacesList(),
        deleteBeforeReplace: response.getDeletebeforereplace(),
      };
    },

    async create(urn, inputs, options = {}) {
      const preview = options.preview ?? false;
      // Engine rule: in a preview, a provider without supportsPreview is not called; the planned
      // outputs are the inputs (unknowns included).
      if (preview && !supportsPreview) return { id: "", outs: { ...inputs }, calledHost: false };
      const { type, name } = urnTypeAndName(urn);
      const request = new providerProto.CreateRequest();
      request.setUrn(urn).setName(name).setType(type).setPreview(preview);
      request.setProperties(toStruct(inputs, "create properties"));
      const response = await call<providerProto.CreateResponse>("Create", (cb) => client.create(request, cb));
      // The engine rejects an empty id the same way.
      if (!preview && response.getId() === "") throw new Error(`provider returned an empty id from create of ${urn}`);
      return { id: response.getId(), outs: fromStruct(response.getProperties()), calledHost: true };
    },

    async read(id, urn, props, inputs) {
      const { type, name } = urnTypeAndName(urn);
      const request = new providerProto.ReadRequest();
      request.setId(id).setUrn(urn).setName(name).setType(type);
      request.setProperties(toStruct(props, "read properties"));
      if (inputs) request.setInputs(toStruct(inputs, "read inputs"));
      const response = await call<providerProto.ReadResponse>("Read", (cb) => client.read(request, cb));
      const result: ReadResult = { id: response.getId(), props: fromStruct(response.getProperties()) };
      if (response.hasInputs()) result.inputs = fromStruct(response.getInputs());
      return result;
    },

    async update(id, urn, olds, news, options = {}) {
      const preview = options.preview ?? false;
      if (preview && !supportsPreview) return { outs: { ...news }, calledHost: false };
      const { type, name } = urnTypeAndName(urn);
      const request = new providerProto.UpdateRequest();
      request.setId(id).setUrn(urn).setName(name).setType(type).setPreview(preview);
      request.setOlds(toStruct(olds, "update olds")).setNews(toStruct(news, "update news"));
      if (options.oldInputs) request.setOldInputs(toStruct(options.oldInputs, "update oldInputs"));
      const response = await call<providerProto.UpdateResponse>("Update", (cb) => client.update(request, cb));
      return { outs: fromStruct(response.getProperties()), calledHost: true };
    },

    async delete(id, urn, props, oldInputs) {
      const { type, name } = urnTypeAndName(urn);
      const request = new providerProto.DeleteRequest();
      request.setId(id).setUrn(urn).setName(name).setType(type);
      request.setProperties(toStruct(props, "delete properties"));
      if (oldInputs) request.setOldInputs(toStruct(oldInputs, "delete oldInputs"));
      await call<Empty>("Delete", (cb) => client.delete(request, cb));
    },

    async cancel() {
      await call<Empty>("Cancel", (cb) => client.cancel(new Empty(), cb));
    },

    async stop() {
      client.close();
      await killAndWait(child, exited);
    },
  };
  return host;
}

// ---------------------------------------------------------------------------------------------
// Engine-like step sequences for one resource (optional convenience)

/** What the engine keeps in the state file for one resource. */
export interface ResourceState {
  id: string;
  /** Checked inputs, `__provider` included. */
  inputs: PropertyBag;
  /** Outputs, `__provider` included: delete and refresh run this text. */
  outputs: PropertyBag;
}

export type UpStep = "create" | "same" | "update" | "replace" | "delete-before-replace";

export class CheckFailedError extends Error {
  constructor(readonly failures: CheckResult["failures"]) {
    super(`check failed: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    this.name = "CheckFailedError";
  }
}

/**
 * One dynamic resource driven through `up` / `refresh` / `destroy` with the step choices the
 * engine makes. It is a model of the engine's rules for a single resource, not the engine:
 * no dependency graph, no parallel steps, no state file, no retries.
 */
export class DynamicResourceLifecycle {
  state: ResourceState | undefined;

  constructor(
    readonly host: ProviderHost,
    readonly urn: string,
  ) {}

  /** Register `inputs` with `providerText` and apply; returns the step the engine would take. */
  async up(providerText: string, inputs: PropertyBag, options: { preview?: boolean } = {}): Promise<UpStep> {
    const preview = options.preview ?? false;
    const news = registeredInputs(providerText, inputs);
    const checked = await this.host.check(this.urn, this.state?.inputs ?? {}, news);
    if (checked.failures.length > 0) throw new CheckFailedError(checked.failures);

    const old = this.state;
    if (!old) {
      const created = await this.host.create(this.urn, checked.inputs, { preview });
      if (!preview) this.state = { id: created.id, inputs: checked.inputs, outputs: created.outs };
      return "create";
    }
    const diff = await this.host.diff(old.id, this.urn, withoutSecretMarks(old.outputs), checked.inputs, old.inputs);
    // No provider diff (DIFF_UNKNOWN): the engine compares old and new inputs, __provider included.
    const changed =
      diff.changes === "some" || (diff.changes === "unknown" && !isDeepStrictEqual(old.inputs, checked.inputs));
    if (!changed) {
      if (!preview) this.state = { ...old, inputs: checked.inputs };
      return "same";
    }
    if (diff.changes === "some" && diff.replaces.length > 0) {
      if (preview) return diff.deleteBeforeReplace ? "delete-before-replace" : "replace";
      if (diff.deleteBeforeReplace) {
        await this.host.delete(old.id, this.urn, withoutSecretMarks(old.outputs), old.inputs);
        this.state = undefined;
      }
      const created = await this.host.create(this.urn, checked.inputs);
      // Create-before-delete: the old resource goes last, with its own (old) provider text.
      if (!diff.deleteBeforeReplace)
        await this.host.delete(old.id, this.urn, withoutSecretMarks(old.outputs), old.inputs);
      this.state = { id: created.id, inputs: checked.inputs, outputs: created.outs };
      return diff.deleteBeforeReplace ? "delete-before-replace" : "replace";
    }
    const updated = await this.host.update(old.id, this.urn, withoutSecretMarks(old.outputs), checked.inputs, {
      preview,
      oldInputs: old.inputs,
    });
    if (!preview) this.state = { id: old.id, inputs: checked.inputs, outputs: updated.outs };
    return "update";
  }

  /** `pulumi refresh`: read with the stored outputs; an empty id drops the resource. */
  async refresh(): Promise<"gone" | "refreshed"> {
    const old = this.requireState();
    const read = await this.host.read(old.id, this.urn, withoutSecretMarks(old.outputs), old.inputs);
    if (read.id === "") {
      this.state = undefined;
      return "gone";
    }
    this.state = { id: read.id, inputs: read.inputs ?? old.inputs, outputs: read.props };
    return "refreshed";
  }

  /** `pulumi destroy` (or removal from the program): delete with the stored outputs. */
  async destroy(): Promise<void> {
    const old = this.requireState();
    await this.host.delete(old.id, this.urn, withoutSecretMarks(old.outputs), old.inputs);
    this.state = undefined;
  }

  private requireState(): ResourceState {
    if (!this.state) throw new Error(`${this.urn} is not in the state`);
    return this.state;
  }
}
