/**
 * @weft/protocol — the one home of Weft's wire constants and codecs.
 *
 * @example
 * import { decodeFrame, encodeSyncStep1 } from '@weft/protocol'
 */
export {
  type Access,
  READ_ONLY_REASON,
  TOKEN_PARAM,
  TOKEN_SUBPROTOCOL_PREFIX,
  tokenFromRequest,
  tokenSubprotocols,
  WEFT_SUBPROTOCOL,
} from './auth-token.ts';
export { CloseCode, type CloseCodeName, fitCloseReason, isPermanentCloseCode } from './close-codes.ts';
export { assertDocName, docNameFromPath, docNameProblem, MAX_DOC_NAME_LENGTH } from './doc-name.ts';
export { EXTENSIONS_PARAM, Extension, type ExtensionName, extensionsFromUrl } from './extensions.ts';
export {
  AUTH_PERMISSION_DENIED,
  carriesUpdate,
  decodeFrame,
  encodeAwareness,
  encodeDurableAck,
  encodeError,
  encodePermissionDenied,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  type Message,
  MessageType,
  SyncType,
} from './messages.ts';
export { isWeftError, WeftError, type WeftErrorCode } from './weft-error.ts';
