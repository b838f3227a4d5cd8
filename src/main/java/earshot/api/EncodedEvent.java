package earshot.api;

import io.vertx.core.buffer.Buffer;

/**
 * An event ready to be written: its seq and its JSON, encoded once; the SSE frame is built on first use and then
 * written as it is to every SSE subscriber of the hub that made it (Vert.x writes a duplicate of a buffer's bytes, so
 * one buffer can go to many connections).
 *
 * <p>Threading: confined to the event loop of the HTTP verticle instance that made it.
 */
final class EncodedEvent {
  private final long seq;
  private final String json;
  private Buffer sse;

  EncodedEvent(long seq, String json) {
    this.seq = seq;
    this.json = json;
  }

  long seq() {
    return seq;
  }

  /** The event's JSON (a WebSocket text frame). */
  String json() {
    return json;
  }

  /** {@code id: <seq>}, {@code data: <json>} and the blank line that ends an SSE event. */
  Buffer sseFrame() {
    if (sse == null) {
      sse = Buffer.buffer("id: " + seq + "\ndata: " + json + "\n\n");
    }
    return sse;
  }
}
