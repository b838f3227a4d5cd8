package earshot.api;

import earshot.config.EarshotConfig;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.shareddata.Counter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds what an idle, slow or abundant client can hold on this node's HTTP listener. Vert.x's own idle timeout is not
 * used because it cannot tell a client that stalls from a server that is still working: a synchronous OpenAI request
 * waits minutes for its job without a byte either way. So each connection is followed through its phases instead, by
 * one sweep timer per HTTP verticle instance:
 *
 * <ul>
 *   <li><b>Waiting for a request head</b> (a new connection, or a kept-alive one after its response ended): the head
 *       must be complete within {@code http.header_timeout_seconds}, or {@code http.idle_timeout_seconds} if that is
 *       shorter, counted from the connection opening or the response ending (plus the time the response takes to
 *       read at the minimum rate below, since an ended response may still sit in the socket's buffers). It is a
 *       total deadline, so a client that trickles a request line a byte at a time is closed as surely as a silent
 *       one. No response can be framed without a head, so the connection is just closed.
 *   <li><b>Reading a request body</b>: a body that brings no byte for the idle timeout, or fewer than
 *       {@code http.min_upload_bytes_per_second} a second over a {@code http.min_upload_window_seconds} window (a
 *       floor measured over a window, so a mobile link that stalls for a few seconds still gets through), is answered
 *       408 when the response has not started, and the connection is closed.
 *   <li><b>Request read, response not ended</b>: the server is working; no limit here.
 *   <li><b>Switched protocols</b> (a 101 answer: a WebSocket upgrade): no longer followed nor counted. Live
 *       WebSocket streams will keep their own idle rules and their own cap (the tiers' concurrent streams). A WebSocket route must take its upgrade through the request
 *       handler ({@code toWebSocket()}), not a server {@code webSocketHandler}, which the guard would not see: the
 *       connection would look like one still waiting for a head.
 * </ul>
 *
 * <p>The connection cap is node-wide: every instance counts its connections in one Vert.x local shared counter, the
 * only state the instances share, so the cap holds exactly however the accepted connections spread over the event
 * loops (a per-instance share would refuse early when they spread unevenly). A connection over the cap is closed at
 * once, before it can send anything.
 *
 * <p>Threading: confined to the event loop of the verticle instance that installs it; the server's connection,
 * request and close handlers and the sweep timer all run there.
 */
final class ConnectionGuard {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);
  /** The node's open HTTP connections, counted by all of its HTTP verticle instances. */
  static final String OPEN_CONNECTIONS = "earshot.http.open_connections";

  private final Vertx vertx;
  private final EarshotConfig.Http limits;
  private final Counter open;
  private final Map<HttpConnection, Tracked> tracked = new HashMap<>();
  private final long headNanos;
  private final long idleNanos;
  private final long windowNanos;
  private long sweepTimer = -1;

  /** One connection: the request in progress (null while waiting for a head) and how its body is coming in. */
  private static final class Tracked {
    final HttpConnection connection;
    HttpServerRequest request;
    long waitingSince;
    long lastRead;
    long lastReadAt;
    long windowStart;
    long windowRead;
    boolean closing;

    Tracked(HttpConnection connection, long now) {
      this.connection = connection;
      this.waitingSince = now;
    }
  }

  private ConnectionGuard(Vertx vertx, EarshotConfig.Http limits, Counter open) {
    this.vertx = vertx;
    this.limits = limits;
    this.open = open;
    this.headNanos = Math.min(limits.headerTimeout().toNanos(), limits.idleTimeout().toNanos());
    this.idleNanos = limits.idleTimeout().toNanos();
    this.windowNanos = limits.minUploadWindow().toNanos();
  }

  static Future<ConnectionGuard> create(Vertx vertx, EarshotConfig.Http limits) {
    return vertx.sharedData().getLocalCounter(OPEN_CONNECTIONS).map(c -> new ConnectionGuard(vertx, limits, c));
  }

  /** Guards {@code server}: every connection is counted and followed, and every request passes here first. */
  HttpServer install(HttpServer server, Handler<HttpServerRequest> requests) {
    long shortest = Math.min(Math.min(headNanos, idleNanos), windowNanos);
    long tickMillis = Math.clamp(Duration.ofNanos(shortest / 4).toMillis(), 20, 1000);
    sweepTimer = vertx.setPeriodic(tickMillis, id -> sweep());
    return server.connectionHandler(this::opened).requestHandler(request -> {
      headComplete(request);
      requests.handle(request);
    });
  }

  void stop() {
    vertx.cancelTimer(sweepTimer);
  }

  private void opened(HttpConnection connection) {
    tracked.put(connection, new Tracked(connection, System.nanoTime()));
    connection.closeHandler(v -> {
      if (tracked.remove(connection) != null) {
        open.decrementAndGet();
      }
    });
    open.incrementAndGet().onSuccess(count -> {
      if (count > limits.maxConnections()) {
        LOG.debug("refusing a connection from {}: the node holds {} (http.max_connections)",
            connection.remoteAddress(), limits.maxConnections());
        close(tracked.get(connection));
      }
    });
  }

  private void headComplete(HttpServerRequest request) {
    Tracked t = tracked.get(request.connection());
    if (t != null) {
      long now = System.nanoTime();
      t.request = request;
      t.lastRead = request.bytesRead();
      t.lastReadAt = now;
      t.windowStart = now;
      t.windowRead = t.lastRead;
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Tracked t : List.copyOf(tracked.values())) {
      HttpServerRequest request = t.request;
      if (t.closing) {
        continue;
      }
      if (request != null && request.response().getStatusCode() == 101 && request.response().headWritten()) {
        // Upgraded: a live stream's own rules apply from here. Vert.x no longer reports this connection's close (the
        // WebSocket owns the channel now), so it leaves the count as well.
        tracked.remove(t.connection);
        open.decrementAndGet();
        continue;
      }
      if (request != null && request.isEnded() && request.response().ended()) {
        // Answered. An ended response may still be on its way through the socket's buffers, so the wait for the
        // next head starts once the client had time to read it at the minimum rate: a slow reader is not cut off.
        t.request = null;
        t.waitingSince = now + readingTime(request.response().bytesWritten());
      }
      if (t.request == null) {
        if (now - t.waitingSince > headNanos) {
          LOG.debug("closing the connection from {}: no complete request head within {} ms",
              t.connection.remoteAddress(), headNanos / 1_000_000);
          close(t);
        }
      } else if (!request.isEnded()) {
        checkBody(t, request, now);
      }
    }
  }

  private long readingTime(long bytes) {
    long rate = limits.minUploadBytesPerSecond();
    return rate <= 0 ? 0 : (long) (bytes * 1e9 / rate);
  }

  private void checkBody(Tracked t, HttpServerRequest request, long now) {
    long read = request.bytesRead();
    if (read != t.lastRead) {
      t.lastRead = read;
      t.lastReadAt = now;
    }
    if (now - t.lastReadAt > idleNanos) {
      timedOut(t, request, "no part of the request body arrived for " + limits.idleTimeout().toSeconds() + " s");
      return;
    }
    long elapsed = now - t.windowStart;
    if (limits.minUploadBytesPerSecond() > 0 && elapsed >= windowNanos) {
      double floor = limits.minUploadBytesPerSecond() * (elapsed / 1e9);
      if (read - t.windowRead < floor) {
        timedOut(t, request, "the request body arrived at less than " + limits.minUploadBytesPerSecond()
            + " bytes per second over " + limits.minUploadWindow().toSeconds() + " s");
        return;
      }
      t.windowStart = now;
      t.windowRead = read;
    }
  }

  /**
   * A body too slow: 408 if a response can still be sent, and the connection is closed either way. The 408 is written
   * whole (with its Content-Length) but not ended: Vert.x tells a request whose body is still coming in that its
   * connection closed only while that request's response is in progress, and that is what makes MultipartUpload
   * delete the part of an upload it already wrote to disk.
   */
  private void timedOut(Tracked t, HttpServerRequest request, String detail) {
    LOG.debug("closing the connection from {} during {} {}: {}", t.connection.remoteAddress(), request.method(),
        request.path(), detail);
    HttpServerResponse response = request.response();
    if (response.headWritten() || response.ended() || response.closed()) {
      close(t);
      return;
    }
    t.closing = true;
    byte[] body = Problem.of(408, ProblemTypes.REQUEST_TIMEOUT, "Request Timeout", detail).toJson().encode()
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    response.setStatusCode(408).putHeader("Content-Type", Problem.CONTENT_TYPE).putHeader("Connection", "close")
        .putHeader("Content-Length", String.valueOf(body.length))
        .write(io.vertx.core.buffer.Buffer.buffer(body))
        .onComplete(ar -> close(t));
  }

  private void close(Tracked t) {
    if (t != null) {
      t.closing = true;
      t.connection.close().onFailure(err -> LOG.debug("closing a connection failed: {}", err.getMessage()));
    }
  }
}
