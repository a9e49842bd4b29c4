/**
 * Where the ingest driver's messages come from: the embedded broker in-process, or an external
 * broker over the network (mqtt.js). The narrow interface lets tests run either, or a fake.
 */

export interface IncomingMessage {
  topic: string;
  payload: Uint8Array;
  /** a retained message handed over at subscribe time (its age is unknown) */
  retain: boolean;
}

export interface SourceStatus {
  /** e.g. `embedded` or `mqtt://10.0.0.5:1883` (never with credentials) */
  link: string;
  connected: boolean;
  /** successful connects (a reconnect counts again) */
  connects: number;
  /** connections lost after being up */
  disconnects: number;
  lastError: string | null;
  /** messages received on this link */
  messages: number;
}

export interface MessageSource {
  readonly link: string;
  /**
   * Connects (once; later calls join it) and subscribes to `filters`; resolves when messages
   * flow. Keeps reconnecting and resubscribing by itself after a loss until close().
   */
  open(filters: readonly string[], onMessage: (message: IncomingMessage) => void, signal: AbortSignal): Promise<void>;
  /** connected and subscribed now */
  isUp(): boolean;
  /**
   * Publishes a device command (issue 14): QoS 1, not retained (a retained command would run
   * again on the device's every reconnect). Resolves when the broker has it (PUBACK, or in-process
   * delivery); rejects when the link is down.
   */
  publish(topic: string, payload: Buffer, signal: AbortSignal): Promise<void>;
  status(): SourceStatus;
  close(): Promise<void>;
}
