// A share-group member over the raw protocol (generated codecs): heartbeat, ShareFetch and
// ShareAcknowledge with the session epoch kept, for the protocol-level share tests.
import type { ShareAcknowledgeResponse } from '../../protocol/generated/share-acknowledge.js';
import type { ShareFetchResponse } from '../../protocol/generated/share-fetch.js';
import type { ShareGroupHeartbeatResponse } from '../../protocol/generated/share-group-heartbeat.js';
import type { RawClient } from '../helpers/raw-client.js';

export const HEARTBEAT = 76;
export const DESCRIBE = 77;
export const FETCH = 78;
export const ACK = 79;
export const ACCEPT = 1;
export const RELEASE = 2;
export const REJECT = 3;

export class RawShareMember {
  epoch = 0;
  session = 0;
  constructor(
    readonly client: () => RawClient,
    readonly groupId: string,
    readonly memberId: string,
  ) {}

  async join(topics: string[]): Promise<ShareGroupHeartbeatResponse> {
    const r = await this.client().send<ShareGroupHeartbeatResponse>(HEARTBEAT, 1, { groupId: this.groupId, memberId: this.memberId, memberEpoch: this.epoch, rackId: null, subscribedTopicNames: topics });
    if (r.errorCode === 0) this.epoch = r.memberEpoch;
    return r;
  }

  leave(): Promise<ShareGroupHeartbeatResponse> {
    return this.client().send(HEARTBEAT, 1, { groupId: this.groupId, memberId: this.memberId, memberEpoch: -1, rackId: null, subscribedTopicNames: null });
  }

  async heartbeat(): Promise<ShareGroupHeartbeatResponse> {
    const r = await this.client().send<ShareGroupHeartbeatResponse>(HEARTBEAT, 1, { groupId: this.groupId, memberId: this.memberId, memberEpoch: this.epoch, rackId: null, subscribedTopicNames: null });
    if (r.errorCode === 0) this.epoch = r.memberEpoch;
    return r;
  }

  async fetch(topicId: string, over: Record<string, unknown> = {}, acks: { firstOffset: number; lastOffset: number; acknowledgeTypes: number[] }[] = [], partition = 0): Promise<ShareFetchResponse> {
    const r = await this.client().send<ShareFetchResponse>(FETCH, 2, {
      groupId: this.groupId,
      memberId: this.memberId,
      shareSessionEpoch: this.session,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      maxRecords: 100,
      batchSize: 100,
      shareAcquireMode: 0,
      isRenewAck: false,
      topics: [{ topicId, partitions: [{ partitionIndex: partition, acknowledgementBatches: acks }] }],
      forgottenTopicsData: [],
      ...over,
    });
    if (r.errorCode === 0 && over.shareSessionEpoch === undefined) this.session = this.session === -1 ? 0 : this.session + 1;
    return r;
  }

  async ack(topicId: string, firstOffset: number, lastOffset: number, type: number, partition = 0): Promise<ShareAcknowledgeResponse> {
    const r = await this.client().send<ShareAcknowledgeResponse>(ACK, 2, {
      groupId: this.groupId,
      memberId: this.memberId,
      shareSessionEpoch: this.session,
      isRenewAck: false,
      topics: [{ topicId, partitions: [{ partitionIndex: partition, acknowledgementBatches: [{ firstOffset, lastOffset, acknowledgeTypes: [type] }] }] }],
    });
    if (r.errorCode === 0) this.session++;
    return r;
  }
}

export function acquired(r: ShareFetchResponse): { firstOffset: number; lastOffset: number; deliveryCount: number }[] {
  return r.responses.flatMap((t) => t.partitions.flatMap((p) => p.acquiredRecords)).map((a) => ({ firstOffset: a.firstOffset, lastOffset: a.lastOffset, deliveryCount: a.deliveryCount }));
}
