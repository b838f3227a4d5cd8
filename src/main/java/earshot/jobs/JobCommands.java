package earshot.jobs;

import earshot.bus.Addresses;
import earshot.bus.CancelJob;
import earshot.bus.Failures;
import earshot.bus.JobAbort;
import earshot.metrics.JobMetrics;
import earshot.metrics.QuotaMetrics;
import earshot.pipeline.PayloadKeys;
import earshot.quota.QuotaRefusal;
import earshot.quota.Tiers;
import earshot.quota.UtcDay;
import earshot.store.JobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

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
  private final Tiers tiers;
  private final QuotaMetrics quotaMetrics;
  private final Clock clock;

  JobCommands(Vertx vertx, JobStore store, StagePlan plan, JobMetrics metrics, JobEvents events, Tiers tiers,
              QuotaMetrics quotaMetrics, Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.plan = plan;
    this.metrics = metrics;
    this.events = events;
    this.tiers = tiers;
    this.quotaMetrics = quotaMetrics;
    this.clock = clock;
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
        .onFailure(err -> SchedulerVerticle.fail(msg, "cancel", err));
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
          return minutesForRetry(job, stage).compose(refusal -> {
            if (refusal.isPresent()) {
              quotaMetrics.quotaHit(refusal.get().type().wireName());
              msg.fail(Failures.QUOTA_EXCEEDED, refusal.get().toJson().encode());
              return Future.<Void>succeededFuture();
            }
            return requeue(msg, id, stage, queue);
          });
        })
        .onFailure(err -> SchedulerVerticle.fail(msg, "retry", err));
  }

  /**
   * A job that resumes after audio_convert will not reserve its minutes again on its way (the refund when it stopped
   * gave them back), so they are reserved here, against what the owner has left today.
   */
  private Future<Optional<QuotaRefusal>> minutesForRetry(Job job, JobStage resumeAt) {
    Double seconds = job.payload().getDouble(PayloadKeys.DURATION_SECONDS);
    if (resumeAt.compareTo(JobStage.AUDIO_CONVERT) <= 0 || seconds == null) {
      return Future.succeededFuture(Optional.empty());
    }
    return store.reserveForRetry(job.id(), seconds, UtcDay.today(clock), tiers, UtcDay.secondsToMidnight(clock));
  }

  private Future<Void> requeue(Message<JsonObject> msg, long id, JobStage stage, String queue) {
    return store.requeue(id, stage, queue).map(requeued -> {
      requeued.ifPresentOrElse(j -> {
        metrics.enqueued(j.queue(), j.jobType().wireName());
        events.publishAndAnnounce(j);
        msg.reply(j.toJson());
      }, () -> msg.fail(Failures.CONFLICT, "job " + id + " changed while retrying; try again"));
      return null;
    });
  }
}
