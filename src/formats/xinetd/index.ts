export type {
  EnvValue,
  ListValue,
  LogType,
  ResourceLimit,
  SocketType,
  XinetdAttributeKey,
  XinetdServiceModel,
  XinetdValueTypes,
} from "./model";
export {
  ATTRIBUTE_KEYS,
  LOG_ON_FAILURE_VALUES,
  LOG_ON_SUCCESS_VALUES,
  SERVICE_FLAGS,
  SERVICE_TYPES,
  SOCKET_TYPES,
  SYSLOG_FACILITIES,
  SYSLOG_LEVELS,
  XINETD_ATTRIBUTES,
  attributeByKey,
  attributeByName,
  nearestAttributeName,
} from "./attributes";
export type { Operator, ValueCount, XinetdAttribute, XinetdAttributeFields } from "./attributes";
export {
  MAX_LINE_BYTES,
  findServiceBlock,
  parseXinetdDocument,
  renderXinetdDocument,
  splitXinetdValues,
} from "./document";
export type {
  AttributeSyntax,
  XinetdBlock,
  XinetdDocument,
  XinetdInclude,
  XinetdLine,
  XinetdLineKind,
  XinetdToken,
} from "./document";
export { readXinetdService, readXinetdServiceBlocks } from "./read";
export type { XinetdServiceReading } from "./read";
export { renderXinetdService } from "./guard";
export { applyXinetdService } from "./edit";
export { parseServicesTable } from "./services-table";
export type { ServicesTable } from "./services-table";
export { validateXinetdDocument, validateXinetdService, validateXinetdServiceOrThrow } from "./validate";
export type { XinetdValidationOptions } from "./validate";
