// One broker's membership in the cluster: a lease session, its registration, and its candidacy
// for controller. It is what a broker runs at start (the lead wires it into the broker):
// - start(): open a session, register (waiting out a previous incarnation's registration that is
//   still alive on the store, as a restarted Kafka broker waits for its old ZK session to expire),
//   campaign, and campaign again whenever the controller key disappears;
// - when elected, runs a Controller; when its lease is lost (store unreachable for the TTL, or the
//   lease expired) it reports 'sessionLost' at once, stops acting as controller ('resigned'), and
//   keeps trying to rejoin with a fresh session ('rejoined') until stopped.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { LeaseSession } from '../metadata-store/lease-session.js';
import type { BrokerRegistration, ClusterMetadataStore, Unwatch } from '../metadata-store/types.js';
import { Controller } from './controller.js';

export interface ClusterMemberOptions {
  store: ClusterMetadataStore;
  registration: BrokerRegistration;
  /** Lease TTL (Kafka's zookeeper.session.timeout.ms in spirit). */
  sessionTtlMs: number;
  uncleanLeaderElectionEnable?: boolean;
  /** auto.leader.rebalance.enable: the controller's periodic preferred-leader check (off when absent). */
  autoLeaderRebalance?: { intervalMs: number; imbalancePercent: number };
  /** Give up registering after this long (the id stays taken by a live broker). */
  registerTimeoutMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface ClusterMemberEvents {
  registered: [brokerEpoch: number];
  elected: [controller: Controller];
  resigned: [reason: string];
  sessionLost: [reason: string];
  rejoined: [];
}

export class BrokerIdInUseError extends Error {}

export class ClusterMember extends EventEmitter<ClusterMemberEvents> {
  private session: LeaseSession | undefined;
  private activeController: Controller | undefined;
  private unwatchController: Unwatch | undefined;
  /** Watches this broker's own live registration: UnregisterBroker deletes it while we run. */
  private unwatchSelf: Unwatch | undefined;
  /** What this process registers: the options' registration with this incarnation's id. */
  private readonly registration: BrokerRegistration;
  private stopped = false;
  private campaigning = false;
  private campaignAgain = false;
  private currentBrokerEpoch = -1;
  /** The session the active controller was elected under. */
  private controllerSession: LeaseSession | undefined;
  private rejoining = false;
  private joined = false;
  private readonly log: (msg: string, fields?: Record<string, unknown>) => void;

  constructor(private readonly opts: ClusterMemberOptions) {
    super();
    this.log = opts.log ?? (() => undefined);
    this.registration = { ...opts.registration, incarnationId: opts.registration.incarnationId ?? randomUUID() };
  }

  get brokerId(): number {
    return this.opts.registration.brokerId;
  }

  get controller(): Controller | undefined {
    return this.activeController?.isActive ? this.activeController : undefined;
  }

  /** This incarnation's broker epoch (its registration's create revision; new on every rejoin), -1 before registering. */
  get brokerEpoch(): number {
    return this.currentBrokerEpoch;
  }

  /** Until when (epoch ms) the lease is certainly alive on the store; 0 without a session. */
  get leaseAliveUntil(): number {
    return this.session && !this.session.lost ? this.session.aliveUntil : 0;
  }

  get sessionLost(): boolean {
    return this.session?.lost ?? true;
  }

  async start(): Promise<void> {
    await this.join();
    this.joined = true;
    // Lost during the final campaign: the rejoin loop takes over from here.
    if (this.session?.lost) void this.runRejoin(this.session);
  }

  private async join(): Promise<void> {
    const { store } = this.opts;
    const session = await store.openSession(this.opts.sessionTtlMs);
    this.session = session;
    session.onLost((reason) => void this.onSessionLost(session, reason));
    // A session that lapses while we join makes this join fail (the one rejoin loop retries).
    const check = () => {
      if (session.lost) throw new Error(`session lost while joining: ${session.reason}`);
    };
    let unwatch: Unwatch | undefined;
    let unwatchSelf: Unwatch | undefined;
    try {
      const deadline = Date.now() + (this.opts.registerTimeoutMs ?? Math.max(3 * session.ttlMs, 10_000));
      for (;;) {
        const res = await store.registerBroker(session, this.registration);
        check();
        if (res === 'ok') break;
        if (Date.now() > deadline || this.stopped) throw new BrokerIdInUseError(`broker id ${this.brokerId} is registered by another live broker`);
        await delay(Math.min(250, session.ttlMs / 4));
      }
      const brokers = await store.listBrokers();
      check();
      // Watch from a revision read now, then campaign: a controller that vanishes after this
      // read is seen either by the campaign or by the watch.
      unwatch = await store.watchController(brokers.revision, (ev) => {
        if (ev.type === 'delete') void this.campaign();
      });
      check();
      // Unregistered while running (UnregisterBroker, or a lease key removed by hand): like a KRaft
      // broker whose registration is gone, register again, as a new incarnation of the session.
      unwatchSelf = await store.watchBrokers(brokers.revision, (ev) => {
        if (ev.type !== 'delete' || ev.key !== this.brokerId || this.stopped || this.session !== session || session.lost) return;
        session.markLost(`broker ${this.brokerId} was unregistered`);
      });
      check();
      this.unwatchController = unwatch;
      this.unwatchSelf = unwatchSelf;
      this.currentBrokerEpoch = brokers.items.find((b) => b.brokerId === this.brokerId)?.brokerEpoch ?? -1;
      this.emit('registered', this.currentBrokerEpoch);
    } catch (err) {
      // Nothing of a half-joined session may outlive it: not its lease, not its watch.
      if (this.session === session) this.session = undefined;
      await unwatch?.().catch(() => undefined);
      await unwatchSelf?.().catch(() => undefined);
      await session.close();
      throw err;
    }
    await this.campaign();
  }

  private async campaign(): Promise<void> {
    if (this.campaigning) {
      // The controller key may have vanished after our running attempt read it: go again after.
      this.campaignAgain = true;
      return;
    }
    const session = this.session;
    if (!session || session.lost || this.stopped || this.activeController?.isActive) return;
    this.campaigning = true;
    this.campaignAgain = false;
    try {
      const res = await this.opts.store.campaign(session, this.brokerId);
      if (!res.elected || session.lost || this.stopped) return;
      this.log('elected controller', { brokerId: this.brokerId, epoch: res.fence.epoch });
      const controller = new Controller({
        store: this.opts.store,
        fence: res.fence,
        uncleanLeaderElectionEnable: this.opts.uncleanLeaderElectionEnable,
        log: this.log,
      });
      this.activeController = controller;
      this.controllerSession = session;
      controller.onFenced((reason) => void this.resign(controller, reason));
      try {
        await controller.start();
      } catch (err) {
        // A half-started controller must not stay in charge: give the role up (the key's
        // deletion makes every broker, us included, campaign again).
        await this.resign(controller, `controller start failed: ${(err as Error).message}`);
        await this.opts.store.resign(res.fence).catch(() => undefined);
        throw err;
      }
      const rebalance = this.opts.autoLeaderRebalance;
      if (rebalance) controller.startAutoLeaderRebalance(rebalance.intervalMs, rebalance.imbalancePercent);
      this.emit('elected', controller);
    } catch (err) {
      this.log('campaign failed', { error: (err as Error).message });
    } finally {
      this.campaigning = false;
    }
    if (this.campaignAgain) {
      this.campaignAgain = false;
      await this.campaign();
    }
  }

  private async resign(controller: Controller, reason: string): Promise<void> {
    if (this.activeController !== controller) return;
    this.activeController = undefined;
    // stop() refuses new work synchronously; 'resigned' is reported at that moment, and the
    // work already queued drains after.
    const stopped = controller.stop();
    this.emit('resigned', reason);
    await stopped;
  }

  private async onSessionLost(session: LeaseSession, reason: string): Promise<void> {
    if (this.stopped) return;
    // The controller elected under this session stops first, whatever else happens: no split brain.
    const controller = this.activeController;
    if (controller && this.controllerSession === session) await this.resign(controller, reason);
    // A session superseded or abandoned by a failed join needs nothing more; before the first
    // join completes, start() itself fails instead (no background loop).
    if (this.session !== session || !this.joined) return;
    this.log('metadata session lost', { brokerId: this.brokerId, reason });
    this.emit('sessionLost', reason);
    await this.unwatchController?.().catch(() => undefined);
    this.unwatchController = undefined;
    await this.unwatchSelf?.().catch(() => undefined);
    this.unwatchSelf = undefined;
    await this.runRejoin(session);
  }

  /** One rejoin loop at a time: a session lost inside the loop's own join just makes it retry. */
  private async runRejoin(from: LeaseSession): Promise<void> {
    if (this.rejoining) return;
    this.rejoining = true;
    try {
      await this.rejoin(from);
    } finally {
      this.rejoining = false;
    }
    // Lost again in the moment between the loop's last check and here.
    const s = this.session;
    if (!this.stopped && s?.lost) await this.runRejoin(s);
  }

  private async rejoin(old: LeaseSession): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      try {
        // The old lease may have survived on the store (etcd restarts extend leases): revoke it
        // so our stale registration and controller key go at once instead of after the TTL.
        await old.close();
        await this.join();
        if (this.stopped) {
          // stop() ran while we were joining: do not leave a live session behind.
          await this.session?.close();
          return;
        }
        if (this.session?.lost) {
          // Lost again right after joining: go round once more.
          old = this.session;
          continue;
        }
        this.emit('rejoined');
        return;
      } catch (err) {
        this.log('rejoin failed', { brokerId: this.brokerId, error: (err as Error).message });
        await delay(backoff);
        backoff = Math.min(backoff * 2, 2_000);
      }
    }
  }

  /**
   * Stops like `kill -9` would: no resignation, no revoke. The registration and controller key
   * stay until the lease expires on the store (failover drills and tests).
   */
  async crash(): Promise<void> {
    this.stopped = true;
    const controller = this.activeController;
    this.activeController = undefined;
    this.session?.abandon();
    await controller?.stop();
    await this.unwatchController?.().catch(() => undefined);
    await this.unwatchSelf?.().catch(() => undefined);
  }

  /** Stops: resigns the controllership and revokes the lease (registration and controller key go at once). */
  async stop(): Promise<void> {
    this.stopped = true;
    const controller = this.activeController;
    this.activeController = undefined;
    if (controller) {
      await controller.stop();
      await this.opts.store.resign(controller.fence).catch(() => undefined);
    }
    await this.unwatchController?.().catch(() => undefined);
    await this.unwatchSelf?.().catch(() => undefined);
    await this.session?.close();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
