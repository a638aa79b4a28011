/**
 * A refusal with a name: `code` is what logs, status reports and tests match on, the message
 * says why. Each module's error (DeltaError, ManifestError, SecAggError, ...) is one of these,
 * so a caller that only needs "refused, and which way" catches CodedError.
 */
export class CodedError<C extends string = string> extends Error {
  readonly code: C;
  constructor(name: string, code: C, message: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}
