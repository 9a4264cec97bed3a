/** A failure with the JSON-RPC error code it should travel as (the service layer's errors, whatever module throws them). */
export class ServiceError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(message);
  }
}
