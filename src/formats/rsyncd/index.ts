/** The rsyncd.conf codec: lossless document, rsync's own reading of it, typed models and edits. */
export {
  parseRsyncdDocument,
  renderRsyncdDocument,
  type BlankEntry,
  type CommentEntry,
  type DirectiveEntry,
  type InvalidEntry,
  type ParameterEntry,
  type RsyncdDocument,
  type RsyncdEntry,
  type SectionEntry,
} from "./document";
export {
  GLOBAL_MODEL_PARAMETERS,
  lookupRsyncParameter,
  MODULE_MODEL_PARAMETERS,
  parameterByModelKey,
  RSYNC_PARAMETERS,
  rsyncNameKey,
  type CamelCase,
  type RsyncKindTypes,
  type RsyncParameter,
  type RsyncParameterKind,
  type RsyncParameterScope,
} from "./parameters";
export { parseRsyncBoolean, parseRsyncInteger, rsyncAtoi } from "./values";
export {
  findRsyncdModule,
  rsyncdBoolean,
  rsyncdInteger,
  rsyncdList,
  rsyncdSemantics,
  rsyncdValue,
  SYSLOG_FACILITIES as RSYNC_SYSLOG_FACILITIES,
  type RsyncdModuleSemantics,
  type RsyncdSemantics,
  type RsyncdSettings,
} from "./semantics";
export {
  listRsyncModules,
  readRsyncdGlobal,
  readRsyncModule,
  type RsyncdGlobalModel,
  type RsyncdGlobalParameters,
  type RsyncModuleModel,
  type RsyncModuleParameters,
} from "./model";
export { renderRsyncdGlobal, renderRsyncModule } from "./guard";
export { removeRsyncModule, setRsyncdGlobal, setRsyncModule } from "./edit";
export { suggestRsyncParameter } from "./suggest";
export {
  validateRsyncdDocument,
  validateRsyncdDocumentOrThrow,
  validateRsyncdGlobal,
  validateRsyncdGlobalOrThrow,
  validateRsyncModule,
  validateRsyncModuleOrThrow,
} from "./validate";
