package earshot.scheduler;

import earshot.bus.Addresses;
import earshot.bus.JobEvent;
import earshot.bus.JobsAvailable;
import earshot.jobs.Job;
import earshot.jobs.JobStatus;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

/**
 * Publishes job state changes and "work available" announcements on the event bus, and hands each change this
 * scheduler made to {@code onChange} (on the scheduler's event loop) first. An announcement wakes this scheduler
 * through {@code wakeSelf}, not through the bus: the published one names this scheduler, which skips it.
 */
final class JobEvents {
  private final Vertx vertx;
  private final java.util.function.Consumer<Job> onChange;
  private final String schedulerId;
  private final Runnable wakeSelf;

  JobEvents(Vertx vertx, java.util.function.Consumer<Job> onChange, String schedulerId, Runnable wakeSelf) {
    this.vertx = vertx;
    this.onChange = onChange;
    this.schedulerId = schedulerId;
    this.wakeSelf = wakeSelf;
  }

  /** The job's new state, on the all-jobs stream and on the job's own address. */
  void publish(Job job) {
    onChange.accept(job);
    JsonObject event = JobEvent.of(job).toJson();
    EventBus bus = vertx.eventBus();
    bus.publish(Addresses.JOB_EVENTS, event);
    bus.publish(Addresses.jobEvents(job.id()), event);
    if (job.status().isTerminal()) {
      bus.publish(Addresses.JOBS_FINISHED, event);
    }
  }

  void publishAndAnnounce(Job job) {
    publish(job);
    if (job.status() == JobStatus.QUEUED) {
      announce(job.queue());
    }
  }

  /** Tells every scheduler in the cluster that {@code queue} has work: this one directly, the others on the bus. */
  void announce(String queue) {
    wakeSelf.run();
    vertx.eventBus().publish(Addresses.JOBS_AVAILABLE, new JobsAvailable(queue, schedulerId).toJson());
  }
}
