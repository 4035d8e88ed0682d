// Counters of one service port: connections and bytes. Bytes of live connections are read from the
// sockets when asked (socket.bytesRead/bytesWritten), so the data path carries no per-chunk hooks.
// A UDP port counts its client sessions as connections and adds datagram counts; it has no byte
// counters on its sockets, so it adds bytes per datagram.
import type { Socket } from 'net';

export interface StatsSnapshot {
  connectionsTotal: number;
  connectionsActive: number;
  /** Bytes received from clients (and sent on to endpoints). */
  bytesIn: number;
  /** Bytes sent back to clients. */
  bytesOut: number;
  /** Connections that failed: no endpoint left, or a socket error. */
  errors: number;
  /** Endpoint connect attempts that were refused or timed out (each was retried on the next one). */
  connectFailures: number;
  /** UDP only (0 for TCP): datagrams from clients forwarded to endpoints. */
  datagramsIn: number;
  /** UDP only: datagrams from endpoints sent back to clients. */
  datagramsOut: number;
  /** UDP only: datagrams dropped (no endpoint, or a send queue over its bound). */
  datagramsDropped: number;
}

export class ServiceStats {
  connectionsTotal = 0;
  errors = 0;
  connectFailures = 0;
  datagramsDropped = 0;
  private datagramsIn = 0;
  private datagramsOut = 0;
  private sessionsActive = 0;
  private closedBytesIn = 0;
  private closedBytesOut = 0;
  private readonly active = new Set<Socket>();

  /** A client connection opened; call `closed` with the same socket when it has gone. */
  opened(client: Socket): void {
    this.connectionsTotal++;
    this.active.add(client);
  }

  closed(client: Socket): void {
    if (!this.active.delete(client)) return;
    this.closedBytesIn += client.bytesRead;
    this.closedBytesOut += client.bytesWritten;
  }

  /** A UDP client session began; `sessionClosed` when it ends. */
  sessionOpened(): void {
    this.connectionsTotal++;
    this.sessionsActive++;
  }

  sessionClosed(): void {
    this.sessionsActive--;
  }

  datagramIn(bytes: number): void {
    this.datagramsIn++;
    this.closedBytesIn += bytes;
  }

  datagramOut(bytes: number): void {
    this.datagramsOut++;
    this.closedBytesOut += bytes;
  }

  snapshot(): StatsSnapshot {
    let bytesIn = this.closedBytesIn;
    let bytesOut = this.closedBytesOut;
    for (const s of this.active) {
      bytesIn += s.bytesRead;
      bytesOut += s.bytesWritten;
    }
    return {
      connectionsTotal: this.connectionsTotal,
      connectionsActive: this.active.size + this.sessionsActive,
      bytesIn,
      bytesOut,
      errors: this.errors,
      connectFailures: this.connectFailures,
      datagramsIn: this.datagramsIn,
      datagramsOut: this.datagramsOut,
      datagramsDropped: this.datagramsDropped,
    };
  }
}
