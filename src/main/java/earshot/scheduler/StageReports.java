package earshot.scheduler;

import earshot.bus.StageReport;
import earshot.jobs.Backoff;
import earshot.jobs.Job;
import earshot.jobs.JobFailure;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import earshot.jobs.PayloadKeys;
import earshot.jobs.StagePlan;
import earshot.metrics.JobMetrics;
import earshot.quota.DailyMinutes;
import earshot.store.JobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The state machine's transitions on a runner's report: a completed stage advances the job to its next stage (after
 * audio_convert, once its minutes are reserved) or completes it; a retryable failure queues it again with backoff or
 * fails it; a permanent failure fails it; a release queues it again without penalty. Every write is fenced by the
 * report's lease; an empty result means the lease was no longer held.
 *
 * <p>Threading: the scheduler's event loop.
 */
final class StageReports {
  private final Vertx vertx;
  private final JobStore store;
  private final StagePlan plan;
  private final Backoff backoff;
  private final JobMetrics metrics;
  private final DailyMinutes minutes;
  private final Clock clock;
  private final Consumer<String> announce;

  StageReports(Vertx vertx, JobStore store, StagePlan plan, Backoff backoff, JobMetrics metrics,
               DailyMinutes minutes, Clock clock, Consumer<String> announce) {
    this.vertx = vertx;
    this.store = store;
    this.plan = plan;
    this.backoff = backoff;
    this.metrics = metrics;
    this.minutes = minutes;
    this.clock = clock;
    this.announce = announce;
  }

  Future<Optional<Job>> apply(StageReport r) {
    JsonObject payload = r.payload() == null ? new JsonObject() : r.payload();
    String stage = r.stage().wireName();
    String queue = plan.queueFor(r.stage(), payload);
    return switch (r.outcome()) {
      case COMPLETED -> completed(r, payload, queue, stage);
      case RETRY -> {
        Duration delay = r.retryAfterMs() != null ? Duration.ofMillis(r.retryAfterMs())
            : backoff.delayFor(r.retryCount(), ThreadLocalRandom.current());
        yield store.retryOrFail(r.lease(), r.error(), clock.instant().plus(delay)).andThen(ar -> {
          if (ar.succeeded() && ar.result().isPresent()) {
            if (ar.result().get().status() == JobStatus.FAILED) {
              metrics.failed(queue, stage, JobMetrics.RETRIES_EXHAUSTED);
            } else {
              vertx.setTimer(Math.max(1, delay.toMillis()), id -> announce.accept(queue));
            }
          }
        });
      }
      case FAIL -> fail(r, r.error(), r.failure(), queue, stage).andThen(ar -> {
        if (ar.succeeded() && ar.result().isPresent()) {
          minutes.countRunnerRefusal(r.failure());
        }
      });
      case RELEASE -> store.release(r.lease()).andThen(ar -> {
        if (ar.succeeded() && ar.result().isPresent()) {
          announce.accept(queue);
        }
      });
    };
  }

  private Future<Optional<Job>> completed(StageReport r, JsonObject payload, String queue, String stage) {
    Optional<JobStage> next = plan.next(r.stage(), payload);
    if (next.isEmpty()) {
      return store.complete(r.lease(), payload, r.result()).andThen(ar -> {
        if (ar.succeeded() && ar.result().isPresent()) {
          Job done = ar.result().get();
          metrics.completed(queue, stage);
          metrics.jobDuration(Duration.between(done.createdAt(), done.completedAt()));
        }
      });
    }
    Double seconds = payload.getDouble(PayloadKeys.DURATION_SECONDS);
    if (r.stage() != JobStage.AUDIO_CONVERT || seconds == null) {
      return advance(r, payload, next.get(), queue, stage);
    }
    // audio_convert measured the audio: it must fit the tier before the job goes on to be transcribed.
    return minutes.reserve(r.lease(), seconds).compose(refusal -> refusal.isPresent()
        ? fail(r, refusal.get().jobError(), JobFailure.of(refusal.get()), queue, stage)
        : advance(r, payload, next.get(), queue, stage));
  }

  private Future<Optional<Job>> advance(StageReport r, JsonObject payload, JobStage next, String queue,
                                        String stage) {
    String nextQueue = plan.queueFor(next, payload);
    return store.advance(r.lease(), payload, next, nextQueue, StagePlan.span(next, payload)).andThen(ar -> {
      if (ar.succeeded() && ar.result().isPresent()) {
        metrics.completed(queue, stage);
        metrics.enqueued(nextQueue, next.wireName());
        announce.accept(nextQueue);
      }
    });
  }

  private Future<Optional<Job>> fail(StageReport r, String error, JobFailure failure, String queue, String stage) {
    return store.fail(r.lease(), error, failure).andThen(ar -> {
      if (ar.succeeded() && ar.result().isPresent()) {
        metrics.failed(queue, stage, failure == null ? JobMetrics.STAGE_ERROR : failure.code());
      }
    });
  }
}
