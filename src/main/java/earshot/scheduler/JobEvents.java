package earshot.scheduler;

import earshot.bus.Addresses;
import earshot.bus.JobEvent;
import earshot.bus.JobsAvailable;
import earshot.jobs.Job;
import earshot.jobs.JobStatus;
import earshot.jobs.RecordedEvent;
import earshot.store.EventLog;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes job state changes and "work available" announcements on the event bus, and hands each change this
 * scheduler made to {@code onChange} (on the scheduler's event loop) first. An announcement wakes this scheduler
 * through {@code wakeSelf}, not through the bus: the published one names this scheduler, which skips it.
 *
 * <p>Every change is recorded in the store's {@link EventLog} before it is published, so the published event carries
 * its {@code seq} and a subscriber that reconnects can be given what it missed. The {@link EventRecorder} writes them
 * in batches, in order, so on this scheduler seqs rise in the order of the changes and events are published in that
 * order. An event that cannot be recorded is published anyway, with seq 0: webhooks and live subscribers still learn
 * of it.
 *
 * <p>Threading: confined to the scheduler's event loop.
 */
final class JobEvents {
  private static final Logger LOG = LoggerFactory.getLogger(JobEvents.class);

  private final Vertx vertx;
  private final EventRecorder recorder;
  private final Consumer<Job> onChange;
  private final String schedulerId;
  private final Runnable wakeSelf;

  JobEvents(Vertx vertx, EventLog log, Consumer<Job> onChange, String schedulerId, Runnable wakeSelf) {
    this.vertx = vertx;
    this.recorder = new EventRecorder(log);
    this.onChange = onChange;
    this.schedulerId = schedulerId;
    this.wakeSelf = wakeSelf;
  }

  /** Deletes the events recorded before {@code before} (every {@link EventRecorder#PRUNE_EVERY_MS}). */
  void prune(java.time.Instant before) {
    recorder.prune(before);
  }

  /** The job's new state, on the all-jobs stream and on the job's own address. */
  void publish(Job job) {
    publish(job, RecordedEvent.kindOf(job, false));
  }

  /** The running stage's progress moved. */
  void publishProgress(Job job) {
    publish(job, RecordedEvent.kindOf(job, true));
  }

  private void publish(Job job, String kind) {
    onChange.accept(job);
    JobEvent event = JobEvent.of(job, kind);
    recorder.record(event.recorded()).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("job {}'s {} event was not recorded (published without a seq): {}", job.id(), kind,
            ar.cause().getMessage());
      }
      send(event.withSeq(ar.succeeded() ? ar.result() : 0));
    });
  }

  private void send(JobEvent event) {
    JsonObject body = event.toJson();
    EventBus bus = vertx.eventBus();
    bus.publish(Addresses.JOB_EVENTS, body);
    bus.publish(Addresses.jobEvents(event.id()), body);
    if (JobStatus.fromWire(event.status()).isTerminal()) {
      bus.publish(Addresses.JOBS_FINISHED, body);
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
