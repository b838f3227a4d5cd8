package earshot.pipeline;

import earshot.bus.AcquireCancel;
import earshot.bus.AcquireReply;
import earshot.bus.AcquireRequest;
import earshot.bus.Addresses;
import earshot.bus.HeartbeatReply;
import earshot.bus.HeartbeatRequest;
import earshot.bus.JobAbort;
import earshot.bus.StageReport;
import earshot.bus.StageReportReply;
import earshot.bus.WorkspaceCleanup;
import earshot.jobs.Job;
import earshot.metrics.JobMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A runner: pulls leased jobs for its queues from the scheduler, runs their current stage, renews leases by
 * heartbeat and reports each outcome. It asks only for as many jobs as it has free slots, so it never holds more
 * than it can run.
 *
 * <p>Threading: deployed as a {@code ThreadingModel.WORKER} verticle; its own state is touched only on its
 * (ordered) worker context. Stages run their blocking parts on a named worker pool sized to the slots.
 */
public class StageRunnerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(StageRunnerVerticle.class);
  /** How long a parked acquire request waits at the scheduler before it is answered empty and renewed. */
  static final long ACQUIRE_WAIT_MS = 20_000;

  /** What a runner serves. */
  public record Spec(String name, List<String> queues, int slots, Duration heartbeatInterval, Duration shutdownGrace) {}

  private final Spec spec;
  private final StageRegistry stages;
  private final JobMetrics metrics;
  private final String worker;
  private final Map<Long, Running> running = new LinkedHashMap<>();
  private final java.util.Set<Future<Void>> inFlightReports = new java.util.HashSet<>();

  private WorkerExecutor stagePool;
  private MessageConsumer<JsonObject> abortConsumer;
  private boolean pulling;
  /** The acquire request in flight, if any: stop() waits for its answer so no leased job is left unattended. */
  private Future<?> inFlightPull = Future.succeededFuture();
  private boolean stopping;
  private long heartbeatTimer = -1;

  private record Running(Job job, StageContext ctx, long startedNanos) {}

  public StageRunnerVerticle(Spec spec, StageRegistry stages, JobMetrics metrics) {
    this.spec = spec;
    this.stages = stages;
    this.metrics = metrics;
    this.worker = spec.name() + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  public String workerId() {
    return worker;
  }

  @Override
  public Future<?> start() {
    stagePool = vertx.createSharedWorkerExecutor("earshot-" + worker, spec.slots(), 24, java.util.concurrent.TimeUnit.HOURS);
    abortConsumer = vertx.eventBus().consumer(Addresses.JOBS_ABORT, m -> {
      JobAbort abort = JobAbort.fromJson(m.body());
      Running r = running.get(abort.id());
      if (r != null) {
        LOG.info("{}: aborting job {} ({})", worker, abort.id(), abort.reason());
        r.ctx().abort(abort.reason());
      }
    });
    heartbeatTimer = vertx.setPeriodic(Math.max(1, spec.heartbeatInterval().toMillis()), id -> heartbeat());
    return abortConsumer.completion().onSuccess(v -> {
      LOG.info("{} runner started: queues {} with {} slots", worker, spec.queues(), spec.slots());
      pull();
    });
  }

  // ---- pulling -----------------------------------------------------------------------------------------------

  private int free() {
    return spec.slots() - running.size();
  }

  private void pull() {
    if (stopping || pulling || free() <= 0) {
      return;
    }
    pulling = true;
    AcquireRequest request = new AcquireRequest(worker, spec.queues(), free(), ACQUIRE_WAIT_MS);
    inFlightPull = vertx.eventBus().<JsonObject>request(Addresses.JOBS_ACQUIRE, request.toJson(),
            new DeliveryOptions().setSendTimeout(ACQUIRE_WAIT_MS + 10_000))
        .onSuccess(reply -> {
          pulling = false;
          List<Job> jobs = AcquireReply.fromJson(reply.body()).jobs();
          jobs.forEach(this::run);
          pull();
        })
        .onFailure(err -> {
          pulling = false;
          if (!stopping) {
            LOG.debug("{}: acquire failed ({}); retrying", worker, err.getMessage());
            vertx.setTimer(1_000, id -> pull());
          }
        });
  }

  // ---- running -----------------------------------------------------------------------------------------------

  private void run(Job job) {
    if (stopping) {
      report(job, StageReport.Outcome.RELEASE, null, null, null); // leased after we began to stop: give it back
      return;
    }
    StageContext ctx = new StageContext(job, vertx, stagePool);
    running.put(job.id(), new Running(job, ctx, System.nanoTime()));
    metrics.workerActive(1);
    Future<StageOutcome> outcome;
    try {
      outcome = stages.handler(job.jobType())
          .map(h -> h.execute(ctx))
          .orElseGet(() -> Future.failedFuture(new PermanentStageException(
              "stage " + job.jobType().wireName() + " is not available on this node")));
    } catch (RuntimeException e) {
      outcome = Future.failedFuture(e);
    }
    outcome.recover(StageRunnerVerticle::classify).onComplete(ar -> finish(job, ctx, ar.result()));
  }

  /** A stage's failure as its outcome: a {@link PermanentStageException} fails the job, anything else is retried. */
  static Future<StageOutcome> classify(Throwable err) {
    String message = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
    if (err instanceof PermanentStageException) {
      return Future.succeededFuture(new StageOutcome.Fail(message));
    }
    return Future.succeededFuture(new StageOutcome.Retry(message, null));
  }

  private void finish(Job job, StageContext ctx, StageOutcome outcome) {
    Running r = running.remove(job.id());
    if (r == null) {
      return; // already given back when the shutdown grace ran out
    }
    metrics.workerActive(-1);
    Duration took = Duration.ofNanos(System.nanoTime() - r.startedNanos());
    String stage = job.jobType().wireName();
    if (ctx.isAborted()) {
      // Cancelled or lease lost: the job is no longer ours, whatever the stage returned.
      metrics.stageDuration(stage, "aborted", took);
      LOG.info("{}: job {} stopped at {} ({})", worker, job.id(), stage, ctx.abortReason());
      if (JobAbort.CANCELLED.equals(ctx.abortReason())) {
        // The stage has stopped writing now; a lost lease keeps the files for whoever runs the job next.
        vertx.eventBus().send(Addresses.WORKSPACE_CLEANUP, new WorkspaceCleanup(job.uuid()).toJson());
      }
    } else if (stopping && outcome instanceof StageOutcome.Retry) {
      metrics.stageDuration(stage, "release", took);
      report(job, StageReport.Outcome.RELEASE, null, null, null);
    } else {
      switch (outcome) {
        case StageOutcome.Completed c -> {
          metrics.stageDuration(stage, "completed", took);
          report(job, StageReport.Outcome.COMPLETED, c.payload(), c.result(), null);
        }
        case StageOutcome.Retry retry -> {
          metrics.stageDuration(stage, "retry", took);
          LOG.warn("{}: job {} {} failed, will retry: {}", worker, job.id(), stage, retry.error());
          report(job, StageReport.Outcome.RETRY, null, null, retry);
        }
        case StageOutcome.Fail fail -> {
          metrics.stageDuration(stage, "fail", took);
          LOG.warn("{}: job {} {} failed: {}", worker, job.id(), stage, fail.error());
          report(job, StageReport.Outcome.FAIL, null, null, fail);
        }
      }
    }
    if (stopping && running.isEmpty() && drained != null) {
      drained.tryComplete();
    }
    pull();
  }

  private void report(Job job, StageReport.Outcome outcome, JsonObject payload, JsonObject result, StageOutcome failure) {
    Future<Void> sent = sendReport(job, outcome, payload, result, failure);
    inFlightReports.add(sent);
    sent.onComplete(ar -> inFlightReports.remove(sent));
  }

  private Future<Void> sendReport(
      Job job, StageReport.Outcome outcome, JsonObject payload, JsonObject result, StageOutcome failure) {
    String error = switch (failure) {
      case StageOutcome.Retry r -> r.error();
      case StageOutcome.Fail f -> f.error();
      case null, default -> null;
    };
    Long retryAfter = failure instanceof StageOutcome.Retry r && r.delay() != null ? r.delay().toMillis() : null;
    StageReport report = new StageReport(worker, job.lease(), job.jobType(), job.retryCount(), outcome,
        payload != null ? payload : job.payload(), result, error, retryAfter);
    return vertx.eventBus().<JsonObject>request(Addresses.JOBS_STAGE_REPORT, report.toJson())
        .onSuccess(reply -> {
          if (!StageReportReply.fromJson(reply.body()).accepted()) {
            LOG.warn("{}: {} of job {} was fenced off: the lease was lost", worker, outcome.wireName(), job.id());
          }
        })
        // The lease then expires and the sweeper re-queues the job; nothing is lost.
        .onFailure(err -> LOG.warn("{}: could not report job {}: {}", worker, job.id(), err.getMessage()))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  // ---- heartbeats --------------------------------------------------------------------------------------------

  private void heartbeat() {
    if (running.isEmpty()) {
      return;
    }
    List<earshot.jobs.Lease> leases = running.values().stream().map(r -> r.job().lease()).toList();
    vertx.eventBus().<JsonObject>request(Addresses.JOBS_HEARTBEAT, new HeartbeatRequest(worker, leases).toJson())
        .onSuccess(reply -> HeartbeatReply.fromJson(reply.body()).lost().forEach(id -> {
          Running r = running.get(id);
          if (r != null) {
            LOG.warn("{}: lost the lease on job {}", worker, id);
            metrics.leaseLost(r.job().jobType().wireName());
            r.ctx().abort("lease_lost");
          }
        }))
        .onFailure(err -> LOG.warn("{}: heartbeat failed: {}", worker, err.getMessage()));
  }

  // ---- shutdown ----------------------------------------------------------------------------------------------

  private Promise<Void> drained;

  /**
   * Stops pulling, lets running stages finish within the shutdown grace, then aborts the rest and gives their
   * leases back so another runner can start them at once.
   */
  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(heartbeatTimer);
    vertx.eventBus().send(Addresses.JOBS_ACQUIRE_CANCEL, new AcquireCancel(worker).toJson());
    drained = Promise.promise();
    if (running.isEmpty()) {
      drained.tryComplete();
    }
    long grace = spec.shutdownGrace().toMillis();
    long timer = vertx.setTimer(Math.max(1, grace), id -> {
      for (Running r : List.copyOf(running.values())) {
        LOG.info("{}: shutdown grace over; giving job {} back", worker, r.job().id());
        // Report before aborting: the abort may complete the stage synchronously, and the release must already
        // be in flight when stop() collects the outstanding reports.
        running.remove(r.job().id());
        metrics.workerActive(-1);
        report(r.job(), StageReport.Outcome.RELEASE, null, null, null);
        r.ctx().abort("shutdown");
      }
      drained.tryComplete();
    });
    return drained.future()
        .onComplete(ar -> vertx.cancelTimer(timer))
        // An acquire answered after the withdrawal still gets its jobs released (run() sees stopping).
        .compose(v -> inFlightPull.transform(ar -> Future.succeededFuture()))
        .compose(v -> Future.join(List.copyOf(inFlightReports)).otherwiseEmpty())
        .compose(v -> abortConsumer.unregister())
        .eventually(() -> stagePool.close());
  }
}
