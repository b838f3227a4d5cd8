package earshot.store;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Whether a store can write now, as its {@link JobStore#ping} (and so {@code /ready}) tells: a probe, a real write of
 * one row, run when asked but at most once per {@link #PROBE_INTERVAL}, and in between the last storage failure a
 * write of the store met (a full disk, an I/O error), which the store reports here. Only a later probe that writes
 * clears that failure, not any write that succeeds: a transaction that changed nothing commits on a full disk too.
 * So readiness follows the disk within one probe interval either way, and a /ready request costs no write of its own.
 *
 * <p>Threading: thread-safe; a store reports failures from whichever thread completes its writes, and the scheduler
 * asks from its event loop.
 */
public final class WriteHealth {
  public static final Duration PROBE_INTERVAL = Duration.ofSeconds(2);

  private final Supplier<Future<Void>> probe;
  private Throwable failure; // guarded by this
  private long failedAt; // System.nanoTime() of the failure, guarded by this
  private long probedAt; // when the last probe started, guarded by this
  private boolean probedOnce;
  private Future<Void> probing; // the probe in flight, or null

  /** {@code probe} writes one row in a transaction of the store's own, and fails as that write does. */
  public WriteHealth(Supplier<Future<Void>> probe) {
    this.probe = probe;
  }

  /** A write failed because the storage could not take it: the store is not writable until a probe writes. */
  public synchronized void failed(Throwable err) {
    failure = err;
    failedAt = System.nanoTime();
  }

  /**
   * Succeeds while the store can write: the latest probe wrote and no write failed after it started. Probes again
   * when the last one is older than {@link #PROBE_INTERVAL}; concurrent callers share a probe in flight.
   */
  public Future<Void> check() {
    long started;
    synchronized (this) {
      if (probing != null) {
        return probing;
      }
      long now = System.nanoTime();
      if (probedOnce && now - probedAt < PROBE_INTERVAL.toNanos()) {
        return current();
      }
      probedOnce = true;
      probedAt = now;
      started = now;
    }
    Future<Void> run;
    try {
      run = probe.get();
    } catch (RuntimeException e) {
      run = Future.failedFuture(e);
    }
    Future<Void> outcome = run.transform(ar -> {
      synchronized (this) {
        probing = null;
        if (ar.failed()) {
          failed(ar.cause());
        } else if (failure != null && failedAt - started < 0) {
          failure = null; // the probe wrote after that failure
        }
        return current();
      }
    });
    synchronized (this) {
      if (!outcome.isComplete()) {
        probing = outcome;
      }
    }
    return outcome;
  }

  private synchronized Future<Void> current() {
    return failure == null ? Future.succeededFuture() : Future.failedFuture(failure);
  }
}
