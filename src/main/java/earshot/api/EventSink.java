package earshot.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;

/**
 * Where a job-event subscriber's events go: an SSE response or a WebSocket. Both tell when the client went away
 * ({@link #onGone}), and both refuse more once the client reads slower than events arrive ({@link #full}): the
 * subscription then ends, and an SSE client resumes with {@code Last-Event-ID}.
 *
 * <p>Threading: used on the event loop of the connection it writes to.
 */
interface EventSink {
  /**
   * One event; its {@code seq} is its SSE {@code id:}. It is 0 for a job's state that is not in the event log (a job older
   * than the log, a pruned one, or one whose first event is still being recorded) and for an event the store could not
   * record: a client that resumes from 0 is replayed the whole log, so it may see events twice but misses none.
   */
  void send(EncodedEvent event);

  /** Something that keeps proxies from closing an idle stream and shows whether the client is still there. */
  void keepalive();

  /** True when the client is not reading what was already sent. */
  boolean full();

  /** Ends the stream normally (the job ended, or the node is stopping). */
  void end();

  /** {@code gone} runs once when the connection closes, whoever closed it. */
  void onGone(Runnable gone);

  /** {@code text/event-stream} on a response whose head this writes now. */
  static EventSink sse(HttpServerResponse response) {
    response.setChunked(true).setStatusCode(200)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .putHeader("X-Accel-Buffering", "no"); // nginx would otherwise hold events back in its buffer
    response.write(": job events\n\n");
    return new EventSink() {
      @Override
      public void send(EncodedEvent event) {
        if (!response.closed() && !response.ended()) {
          response.write(event.sseFrame());
        }
      }

      @Override
      public void keepalive() {
        if (!response.closed() && !response.ended()) {
          response.write(": keepalive\n\n");
        }
      }

      @Override
      public boolean full() {
        return response.writeQueueFull();
      }

      @Override
      public void end() {
        if (!response.closed() && !response.ended()) {
          response.end();
        }
      }

      @Override
      public void onGone(Runnable gone) {
        response.closeHandler(v -> gone.run());
        response.endHandler(v -> gone.run());
        if (response.closed()) {
          gone.run(); // went away before the handlers were set
        }
      }
    };
  }

  /** Text frames of event JSON on an accepted WebSocket; pings keep it alive; a normal close (1000) ends it. */
  static EventSink webSocket(ServerWebSocket ws) {
    return new EventSink() {
      @Override
      public void send(EncodedEvent event) {
        if (!ws.isClosed()) {
          ws.writeTextMessage(event.json());
        }
      }

      @Override
      public void keepalive() {
        if (!ws.isClosed()) {
          ws.writePing(Buffer.buffer());
        }
      }

      @Override
      public boolean full() {
        return ws.writeQueueFull();
      }

      @Override
      public void end() {
        if (!ws.isClosed()) {
          ws.close((short) 1000, "end");
        }
      }

      @Override
      public void onGone(Runnable gone) {
        ws.closeHandler(v -> gone.run());
        if (ws.isClosed()) {
          gone.run();
        }
      }
    };
  }
}
