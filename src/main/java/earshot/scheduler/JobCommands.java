package earshot.scheduler;

import earshot.bus.Addresses;
import earshot.bus.CancelJob;
import earshot.bus.Failures;
import earshot.bus.JobAbort;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import earshot.jobs.ProgressSpan;
import earshot.jobs.StagePlan;
import earshot.metrics.JobMetrics;
import earshot.quota.DailyMinutes;
import earshot.store.JobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The scheduler's user commands on existing jobs: cancel and retry. Registered by {@link SchedulerVerticle} on its
 * own event loop, with its store.
 */
final class JobCommands {
  private final Vertx vertx;
  private final JobStore store;
  private final StagePlan plan;
  private final JobMetrics metrics;
  private final JobEvents events;
  private final DailyMinutes minutes;
  private final StoreFailure storeFailure;

  JobCommands(Vertx vertx, JobStore store, StagePlan plan, JobMetrics metrics, JobEvents events,
              DailyMinutes minutes, StoreFailure storeFailure) {
    this.vertx = vertx;
    this.store = store;
    this.plan = plan;
    this.metrics = metrics;
    this.events = events;
    this.minutes = minutes;
    this.storeFailure = storeFailure;
  }

  Future<Void> register() {
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.<JsonObject>consumer(Addresses.JOBS_CANCEL, this::onCancel).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_RETRY, this::onRetry).completion())).mapEmpty();
  }

  private void onCancel(Message<JsonObject> msg) {
    long id = CancelJob.fromJson(msg.body()).id();
    store.cancel(id)
        .compose(cancelled -> {
          if (cancelled.isPresent()) {
            Job job = cancelled.get();
            vertx.eventBus().publish(Addresses.JOBS_ABORT, new JobAbort(id, JobAbort.CANCELLED).toJson());
            events.publish(job);
            msg.reply(job.toJson());
            return Future.<Void>succeededFuture();
          }
          return store.get(id).map(existing -> {
            existing.ifPresentOrElse(
                j -> msg.fail(Failures.CONFLICT, "job " + id + " has already " + j.status().wireName()),
                () -> msg.fail(Failures.NOT_FOUND, "job " + id + " not found"));
            return null;
          });
        })
        .onFailure(err -> storeFailure.reply(msg, "cancel", err));
  }

  /**
   * Starts a failed or cancelled job again from the stage it stopped at. Stages up to audio_transcribe read files
   * that were deleted when the job stopped, so those restart from the job's first stage.
   */
  private void onRetry(Message<JsonObject> msg) {
    long id = earshot.bus.RetryJob.fromJson(msg.body()).id();
    store.get(id)
        .compose(found -> {
          if (found.isEmpty()) {
            msg.fail(Failures.NOT_FOUND, "job " + id + " not found");
            return Future.<Void>succeededFuture();
          }
          Job job = found.get();
          if (job.status() != JobStatus.FAILED && job.status() != JobStatus.CANCELLED) {
            msg.fail(Failures.CONFLICT, "job " + id + " is " + job.status().wireName() + "; only failed or cancelled jobs can be retried");
            return Future.<Void>succeededFuture();
          }
          JobStage stage = job.jobType().compareTo(JobStage.AUDIO_TRANSCRIBE) <= 0 ? plan.first(job.payload()) : job.jobType();
          String queue = plan.queueFor(stage, job.payload());
          return minutes.reserveForRetry(job, stage).compose(refusal -> {
            if (refusal.isPresent()) {
              msg.fail(Failures.QUOTA_EXCEEDED, refusal.get().toJson().encode());
              return Future.<Void>succeededFuture();
            }
            return requeue(msg, id, stage, queue, StagePlan.span(stage, job.payload()));
          });
        })
        .onFailure(err -> storeFailure.reply(msg, "retry", err));
  }

  private Future<Void> requeue(Message<JsonObject> msg, long id, JobStage stage, String queue, ProgressSpan span) {
    return store.requeue(id, stage, queue, span).map(requeued -> {
      requeued.ifPresentOrElse(j -> {
        metrics.enqueued(j.queue(), j.jobType().wireName());
        events.publishAndAnnounce(j);
        msg.reply(j.toJson());
      }, () -> msg.fail(Failures.CONFLICT, "job " + id + " changed while retrying; try again"));
      return null;
    });
  }
}
