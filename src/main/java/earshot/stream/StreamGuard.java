package earshot.stream;

import earshot.metrics.StreamMetrics;
import earshot.metrics.StreamMetrics.CloseReason;
import earshot.tiers.QuotaRefusal;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of one stream that both protocols share: its place in the owner's {@code concurrent_streams}, its seconds
 * counted toward {@code daily_minutes} as they arrive (reported to the store every {@value #REPORT_SECONDS} s of audio,
 * so every node of a cluster counts against one budget), the idle timer, and the cleanup that runs once on every way
 * a stream ends (normal end, a client that drops, a server error): the place is released, the unreported seconds are
 * recorded, and the close is counted by reason.
 *
 * <p>Threading: the socket's event loop only.
 */
public final class StreamGuard {
  private static final Logger LOG = LoggerFactory.getLogger(StreamGuard.class);
  static final double REPORT_SECONDS = 2;
  public static final short QUOTA_CLOSE = 4003;
  public static final String QUOTA_REASON = "{\"error_type\":\"quota_exceeded\"}";

  private final StreamServices services;
  private final ServerWebSocket ws;
  private final String owner;
  private final String id = UUID.randomUUID().toString();
  private boolean admitted;
  private boolean ended;
  private boolean reporting;
  private double unreported;
  private long lastActivity = System.nanoTime();
  private long idleTimer = -1;
  private boolean held; // the server paused reading: the client cannot be idle meanwhile
  private CloseReason reason = CloseReason.CLIENT_GONE;
  private Runnable onClosed = () -> {};
  private Runnable onBudgetOut = () -> {};

  public StreamGuard(StreamServices services, ServerWebSocket ws, String owner) {
    this.services = services;
    this.ws = ws;
    this.owner = owner;
    ws.closeHandler(v -> cleanup());
  }

  public String id() {
    return id;
  }

  /** Runs once when the socket has closed, after the quota place is released. */
  public void onClosed(Runnable r) {
    this.onClosed = r;
  }

  /** Runs when the owner's daily minutes ran out mid-stream. */
  public void onBudgetOut(Runnable r) {
    this.onBudgetOut = r;
  }

  /** Takes a place in the owner's concurrent streams and checks the day's minutes: the refusal when not admitted. */
  public Future<Optional<QuotaRefusal>> admit() {
    return services.admission().open(owner, id).andThen(ar -> {
      if (ar.succeeded() && ar.result().isEmpty()) {
        admitted = true;
        if (ended) { // the client left while we asked
          services.admission().close(owner, id);
        }
      }
    });
  }

  /** Starts closing idle streams: no audio and no keepalive for the configured time. */
  public void startIdleTimer(Runnable onIdle) {
    long idle = services.settings().idleTimeout().toMillis();
    idleTimer = services.vertx().setPeriodic(Math.max(50, idle / 4), t -> {
      if (!ended && !held && (System.nanoTime() - lastActivity) / 1_000_000 >= idle) {
        onIdle.run();
      }
    });
  }

  public void touch() {
    lastActivity = System.nanoTime();
  }

  /**
   * Pauses reading the socket ({@code true}: back-pressure, the quota check, the last flush) or reads again: a client
   * whose frames wait unread is not idle, and its idle time starts afresh when reading resumes.
   */
  public void hold(boolean paused) {
    held = paused;
    touch();
    if (paused) {
      ws.pause();
    } else {
      ws.resume();
    }
  }

  /** Audio arrived: counted toward the meters and the owner's daily minutes. */
  public void audio(double seconds) {
    touch();
    services.metrics().audioSeconds(seconds);
    unreported += seconds;
    if (unreported >= REPORT_SECONDS && !reporting) {
      report();
    }
  }

  private void report() {
    double seconds = unreported;
    unreported = 0;
    reporting = true;
    services.used(owner, seconds).onComplete(ar -> {
      reporting = false;
      if (ar.failed()) {
        LOG.warn("stream {}: recording {} s of usage failed: {}", id, seconds, ar.cause().getMessage());
        unreported += seconds; // tried again with the next report, or at the close
      } else if (ar.result().exhausted() && !ended) {
        onBudgetOut.run();
      }
    });
  }

  /** Closes the socket, remembering why for {@code stream_closed_total}. */
  public void close(CloseReason why, short code, String text) {
    if (reason == CloseReason.CLIENT_GONE) {
      reason = why;
    }
    if (!ws.isClosed()) {
      ws.close(code, text).onFailure(err -> LOG.debug("stream {}: close failed: {}", id, err.toString()));
    }
  }

  private void cleanup() {
    if (ended) {
      return;
    }
    ended = true;
    if (idleTimer >= 0) {
      services.vertx().cancelTimer(idleTimer);
    }
    services.metrics().closed(reason);
    if (unreported > 0) {
      double seconds = unreported;
      unreported = 0;
      services.used(owner, seconds).onFailure(err ->
          LOG.warn("stream {}: recording its last {} s of usage failed: {}", id, seconds, err.getMessage()));
    }
    Future<Void> released = admitted ? services.admission().close(owner, id) : Future.succeededFuture();
    released.onFailure(err -> LOG.warn("stream {}: releasing its place failed: {}", id, err.getMessage()))
        .onComplete(ar -> onClosed.run());
  }
}
