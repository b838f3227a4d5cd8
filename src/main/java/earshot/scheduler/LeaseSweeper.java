package earshot.scheduler;

import earshot.jobs.Job;
import earshot.store.JobStore;
import io.vertx.core.Future;
import java.util.List;

/**
 * Dead-execution detection: finds processing jobs whose lease expired (their runner crashed, hung or lost its
 * node) and hands them back to the queue at their current stage with retry_count+1, or fails them when no retries
 * are left. The SQL lives in the store's {@code rescueExpired}; the scheduler runs this on a timer and publishes
 * what changed.
 */
final class LeaseSweeper {
  private final JobStore store;
  private boolean running;

  LeaseSweeper(JobStore store) {
    this.store = store;
  }

  /** One sweep; overlapping calls are skipped so a slow database never piles sweeps up. */
  Future<List<Job>> sweep() {
    if (running) {
      return Future.succeededFuture(List.of());
    }
    running = true;
    return store.rescueExpired().andThen(ar -> running = false);
  }
}
