// What the admin handlers need of cluster mode: this broker's controller when it is the
// controller, and KIP-590 forwarding of a whole request to the controller when it is not.
import type { EnvelopeRequest, EnvelopeResponse } from '../../../protocol/generated/envelope.js';
import type { Controller } from './controller.js';

export interface ClusterControl {
  /** This broker's active controller; undefined when another broker is the controller. */
  readonly controller: Controller | undefined;
  /** Sends the request, as decoded, to the controller and returns its decoded answer (throws when no controller answers in time). */
  forward<T>(apiKey: number, version: number, body: object, timeoutMs?: number): Promise<T>;
  /**
   * KIP-590 with the client's identity: sends `envelope` (the client's serialized request, its
   * principal and address) to the controller as Envelope v0 on this broker's own connection, and
   * returns the Envelope response (re-sent to a new controller on NOT_CONTROLLER; throws when no
   * controller answers in time). `innerNotController` says whether the inner answer is NOT_CONTROLLER.
   */
  forwardEnvelope(envelope: EnvelopeRequest, innerNotController: (res: EnvelopeResponse) => boolean, timeoutMs?: number): Promise<EnvelopeResponse>;
  /** The listener brokers reach each other on: the only one Envelope is accepted on. */
  readonly interBrokerListenerName: string;
  /** The live broker ids (reassignment targets are checked against them). */
  liveBrokers(): { brokerId: number }[];
}

/** Handler deps in cluster mode: `cluster` is null on a single broker. */
export interface HasClusterControl {
  readonly cluster: ClusterControl | null;
}

/**
 * Runs `local` when this broker is the controller; otherwise forwards the request to the
 * controller. When no controller answers, `refuse(NOT_CONTROLLER)` (clients retry it).
 */
export async function onController<Req extends object, Res>(
  cluster: ClusterControl,
  apiKey: number,
  version: number,
  req: Req,
  local: (controller: Controller) => Promise<Res>,
  refuse: (errorCode: number, message: string) => Res,
): Promise<Res> {
  const controller = cluster.controller;
  if (controller) return local(controller);
  try {
    return await cluster.forward<Res>(apiKey, version, req);
  } catch (err) {
    return refuse(41 /* NOT_CONTROLLER */, (err as Error).message);
  }
}
