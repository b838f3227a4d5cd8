package earshot.scheduler;

import earshot.bus.Addresses;
import earshot.bus.JobAbort;
import earshot.jobs.Job;
import earshot.jobs.JobStatus;
import earshot.metrics.JobMetrics;
import earshot.metrics.NodeMetrics;
import earshot.store.JobStore;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dead-execution detection: finds processing jobs whose lease expired (their runner crashed, hung or lost its
 * node) and hands them back to the queue at their current stage with retry_count+1, or fails them when no retries
 * are left. The SQL lives in the store's {@code rescueExpired}; the scheduler runs this on a timer. For each job it
 * rescued, it tells a runner that may still run it to stop ({@link Addresses#JOBS_ABORT}), counts it, and publishes
 * the job's new state.
 *
 * <p>Threading: the scheduler verticle's event loop.
 */
final class LeaseSweeper {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseSweeper.class);

  private final Vertx vertx;
  private final JobStore store;
  private final JobEvents events;
  private final JobMetrics metrics;
  private final NodeMetrics nodeMetrics;
  private boolean running;

  LeaseSweeper(Vertx vertx, JobStore store, JobEvents events, JobMetrics metrics, NodeMetrics nodeMetrics) {
    this.vertx = vertx;
    this.store = store;
    this.events = events;
    this.metrics = metrics;
    this.nodeMetrics = nodeMetrics;
  }

  /** One sweep; overlapping calls are skipped so a slow database never piles sweeps up. */
  void sweep() {
    if (running) {
      return;
    }
    running = true;
    store.rescueExpired()
        .andThen(ar -> running = false)
        .onSuccess(rescued -> rescued.forEach(this::rescued))
        .onFailure(err -> {
          nodeMetrics.storeError("lease sweep");
          LOG.warn("lease sweep failed: {}", err.getMessage());
        });
  }

  private void rescued(Job job) {
    LOG.warn("job {} lost its lease at {}: {}", job.id(), job.jobType().wireName(),
        job.status() == JobStatus.FAILED ? "failed, no retries left" : "queued again");
    vertx.eventBus().publish(Addresses.JOBS_ABORT, new JobAbort(job.id(), "lease_lost").toJson());
    metrics.leaseExpired(job.jobType().wireName());
    if (job.status() == JobStatus.FAILED) {
      metrics.failed(job.queue(), job.jobType().wireName(), JobMetrics.LEASE_EXPIRED);
    }
    events.publishAndAnnounce(job);
  }
}
