/**
 * The parameter and attribute reference: one row per input of each resource kind, built from the
 * format layer's tables and the settings tables. `npm run docs` writes it into the README, and the
 * tests hold the args interfaces' TSDoc to it.
 */
import {
  GLOBAL_MODEL_PARAMETERS,
  MODULE_MODEL_PARAMETERS,
  XINETD_ATTRIBUTES,
  type RsyncKindTypes,
  type RsyncParameter,
} from "../formats";
import { RESOURCE_SETTINGS, type ResourceSetting, type SettingsKind } from "./settings";
import { SYSTEMD_SOCKET_SERVICE_PARAMETERS } from "./systemd-parameters";

export interface ReferenceRow {
  /** The daemon's spelling (`read only`, `socket_type`); none for a resource setting. */
  name?: string;
  key: string;
  type: string;
  /** `module`/`global` (rsync), `service`/`service, defaults` (xinetd), `resource` (a setting). */
  scope: string;
  doc: string;
  /** The `Default:` text; none for a required input. */
  default?: string;
}

const RSYNC_TYPE_NAMES: Record<keyof RsyncKindTypes, string> = {
  bool: "boolean",
  int: "number",
  string: "string",
  list: "string[]",
};

/** rsync's built-in value as the args' TSDoc states it: booleans as `true`/`false`. */
function rsyncDefault(param: RsyncParameter): string {
  if (param.defaultDoc !== undefined) return `unset (rsync uses ${param.defaultDoc})`;
  if (param.defaultValue === undefined) return "unset";
  const shown = param.kind === "bool" ? String(param.defaultValue === "yes") : param.defaultValue;
  return `unset (rsync uses \`${shown}\`)`;
}

function rsyncRow(param: RsyncParameter): ReferenceRow {
  return {
    name: param.name,
    key: param.key,
    type: RSYNC_TYPE_NAMES[param.kind],
    scope: param.scope,
    doc: `${param.doc} (\`${param.name}\`).`,
    default: rsyncDefault(param),
  };
}

function settingRow(setting: ResourceSetting): ReferenceRow {
  const row: ReferenceRow = { key: setting.key, type: setting.type, scope: "resource", doc: setting.doc };
  if (setting.default !== undefined) row.default = setting.default;
  return row;
}

/** The rows of every input of `kind`: its settings, then its parameters or attributes in table order. */
export function referenceRows(kind: SettingsKind): ReferenceRow[] {
  const settings = RESOURCE_SETTINGS[kind].map(settingRow);
  if (kind === "RsyncModule") return [...settings, ...MODULE_MODEL_PARAMETERS.map(rsyncRow)];
  if (kind === "RsyncdConfig") return [...settings, ...GLOBAL_MODEL_PARAMETERS.map(rsyncRow)];
  if (kind === "RsyncSecrets") return settings;
  if (kind === "SystemdSocketService")
    return [...settings, ...SYSTEMD_SOCKET_SERVICE_PARAMETERS.map((parameter) => ({ ...parameter }))];
  // `interface` is xinetd's alias of `bind`: the resources take `bind` only.
  const attributes = XINETD_ATTRIBUTES.filter((attribute) => attribute.name !== "interface").map((attribute) => {
    const row: ReferenceRow = {
      name: attribute.name,
      key: attribute.key,
      type: attribute.type,
      scope: attribute.inDefaults ? "service, defaults" : "service",
      doc: attribute.doc,
    };
    if (attribute.default !== undefined) row.default = attribute.default;
    return row;
  });
  return [...settings, ...attributes];
}

/** The TSDoc an args field has: the doc, then `Default: …` when there is one. */
export function tsdocOf(row: ReferenceRow): string {
  return row.default === undefined ? row.doc : `${row.doc} Default: ${row.default}.`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

/** The README's reference section: a table per resource kind. */
export function referenceMarkdown(): string {
  const kinds: SettingsKind[] = ["XinetdService", "RsyncModule", "RsyncdConfig", "RsyncSecrets"];
  return kinds
    .map((kind) => {
      const rows = referenceRows(kind).map(
        (row) =>
          `| \`${row.key}\` | ${row.name === undefined ? "" : `\`${row.name}\``} | \`${cell(row.type)}\` | ` +
          `${row.scope} ` +
          `| ${cell(row.doc)} | ${row.default === undefined ? "—" : cell(row.default)} |`,
      );
      return [
        `#### ${kind}`,
        "",
        "| input | daemon's name | type | scope | what | default |",
        "|---|---|---|---|---|---|",
        ...rows,
      ].join("\n");
    })
    .join("\n\n");
}
