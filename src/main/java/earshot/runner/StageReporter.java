package earshot.runner;

import earshot.bus.Addresses;
import earshot.bus.Failures;
import earshot.bus.StageReport;
import earshot.bus.StageReportReply;
import earshot.jobs.Job;
import earshot.jobs.JobFailure;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a runner's stage reports to the scheduler. A report that does not get through (the scheduler or its store
 * briefly unreachable) is sent again with backoff for as long as the job's lease holds, so a finished stage is not
 * lost to an outage shorter than the lease and run a second time. Retrying stops when the report is answered
 * (accepted or fenced off), when the lease is lost or runs out, or when the runner's shutdown grace is over.
 *
 * <p>Threading: used on its runner's context only; the runner keeps the leases, this asks it about them.
 */
final class StageReporter {
  private static final Logger LOG = LoggerFactory.getLogger(StageReporter.class);
  /** First and longest wait between attempts to deliver a stage report. */
  static final long RETRY_FIRST_MS = 250;
  static final long RETRY_MAX_MS = 5_000;

  /**
   * What the runner knows, asked at each attempt: until when a job's lease holds (a System.nanoTime(), or null when
   * lost or no longer held), whether its shutdown grace is over, and whether a cluster member left a moment ago (a
   * report may then be routed to the departed node's address, where it is not failed before its timeout, so it is
   * sent with a short one, and again).
   */
  record Leases(LongFunction<Long> heldUntil, LongPredicate graceOver, LongPredicate memberJustLeft) {}

  private final Vertx vertx;
  private final String worker;
  private final Duration lease;
  private final Leases leases;

  StageReporter(Vertx vertx, String worker, Duration lease, Leases leases) {
    this.vertx = vertx;
    this.worker = worker;
    this.lease = lease;
    this.leases = leases;
  }

  /** Sends the report of {@code job}'s stage; completes when it was answered or given up (never fails). */
  Future<Void> send(Job job, StageReport.Outcome outcome, JsonObject payload, JsonObject result,
                    StageOutcome failure) {
    String error = switch (failure) {
      case StageOutcome.Retry r -> r.error();
      case StageOutcome.Fail f -> f.error();
      case null, default -> null;
    };
    Long retryAfter = failure instanceof StageOutcome.Retry r && r.delay() != null ? r.delay().toMillis() : null;
    JobFailure typed = failure instanceof StageOutcome.Fail f ? f.failure() : null;
    StageReport report = new StageReport(worker, job.lease(), job.jobType(), job.retryCount(), outcome,
        payload != null ? payload : job.payload(), result, error, typed, retryAfter);
    Promise<Void> delivered = Promise.promise();
    deliver(job, report, 1, delivered);
    return delivered.future();
  }

  /** One attempt to deliver {@code report}; a failure the scheduler may get over is tried again while it can count. */
  private void deliver(Job job, StageReport report, int attempt, Promise<Void> delivered) {
    String what = report.outcome().wireName();
    // Short enough that a lost request leaves time to try again within the lease.
    long timeout = leases.memberJustLeft().test(System.nanoTime()) ? StageRunnerVerticle.PROBE_TIMEOUT_MS
        : Math.clamp(lease.toMillis() / 4, 1_000, 30_000);
    vertx.eventBus().<JsonObject>request(Addresses.JOBS_STAGE_REPORT, report.toJson(),
            new DeliveryOptions().setSendTimeout(timeout))
        .onSuccess(reply -> {
          if (!StageReportReply.fromJson(reply.body()).accepted()) {
            LOG.warn("{}: {} of job {} was fenced off: the lease was lost", worker, what, job.id());
          } else if (attempt > 1) {
            LOG.info("{}: {} of job {} delivered at attempt {}", worker, what, job.id(), attempt);
          }
          delivered.complete();
        })
        .onFailure(err -> {
          long backoff = Math.min(RETRY_FIRST_MS << Math.min(attempt - 1, 10), RETRY_MAX_MS);
          Long heldUntil = leases.heldUntil().apply(job.id());
          long now = System.nanoTime();
          boolean leaseOutlastsWait = heldUntil != null && heldUntil - now > Duration.ofMillis(backoff).toNanos();
          if (!mayPass(err) || !leaseOutlastsWait || leases.graceOver().test(now)) {
            // The lease then expires and the sweeper re-queues the job; nothing is lost, but the stage runs again.
            LOG.warn("{}: could not report {} of job {} ({} attempts): {}", worker, what, job.id(), attempt,
                err.getMessage());
            delivered.complete();
            return;
          }
          if (attempt == 1) {
            LOG.warn("{}: could not report {} of job {} ({}); trying again while its lease holds", worker, what,
                job.id(), err.getMessage());
          }
          vertx.setTimer(backoff, id -> deliver(job, report, attempt + 1, delivered));
        });
  }

  /** Failures that say nothing about the report itself: no scheduler reached, no answer, or its store failing. */
  private static boolean mayPass(Throwable err) {
    return err instanceof ReplyException re && (re.failureType() == ReplyFailure.TIMEOUT
        || re.failureType() == ReplyFailure.NO_HANDLERS || re.failureCode() == Failures.UNAVAILABLE);
  }
}
