// What a server-side SASL mechanism (PLAIN, SCRAM-SHA-*) looks like to the session state machine.

export interface SaslServerMechanism {
  readonly name: string;
  /** Evaluates one client token and returns the server's reply token; throws SaslFailure. */
  evaluate(token: Buffer): Buffer;
  readonly complete: boolean;
  /** The authenticated user name, once complete. */
  readonly user: string | null;
  /** The principal when it is not User:<user>: a delegation token's owner (SCRAM tokenauth=true). */
  readonly principal?: string | null;
  /** Authenticated with a delegation token (such a connection may not manage tokens). */
  readonly tokenAuthenticated?: boolean;
}

/**
 * Authentication failed. Like Kafka, the client is told `message` only when `exposed` (Kafka's
 * SaslAuthenticationException); otherwise it gets a generic text that does not say whether the
 * user exists (Kafka's SaslException).
 */
export class SaslFailure extends Error {
  constructor(
    message: string,
    readonly exposed: boolean,
  ) {
    super(message);
  }
}
