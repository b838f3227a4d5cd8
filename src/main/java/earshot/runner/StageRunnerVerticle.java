package earshot.runner;

import earshot.bus.AcquireCancel;
import earshot.bus.AcquireReply;
import earshot.bus.AcquireRequest;
import earshot.bus.Addresses;
import earshot.bus.HeartbeatReply;
import earshot.bus.HeartbeatRequest;
import earshot.bus.JobAbort;
import earshot.bus.StageReport;
import earshot.bus.WorkerEntry;
import earshot.bus.WorkspaceCleanup;
import earshot.cluster.WorkerDirectory;
import earshot.jobs.Job;
import earshot.jobs.PermanentStageException;
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
 * <p>Reports are delivered by {@link StageReporter}, which sends one again while the job's lease holds; the lease keeps
 * being renewed meanwhile, so a finished stage is not lost to a short outage of the scheduler or its store.
 *
 * <p>Threading: deployed as a {@code ThreadingModel.WORKER} verticle; its own state is touched only on its
 * (ordered) worker context. Stages run their blocking parts on a named worker pool sized to the slots.
 */
public class StageRunnerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(StageRunnerVerticle.class);
  /** How long a parked acquire request waits at the scheduler before it is answered empty and renewed. */
  static final long ACQUIRE_WAIT_MS = 20_000;
  /** After a member left: for how long acquire requests do not park, their timeout, and the pause between them. */
  static final long PROBE_WINDOW_MS = 10_000;
  static final long PROBE_TIMEOUT_MS = 2_000;
  static final long PROBE_INTERVAL_MS = 250;

  private final RunnerSpec spec;
  private final StageRegistry stages;
  private final JobMetrics metrics;
  private final String worker;
  private final Map<Long, Running> running = new LinkedHashMap<>();
  /** Jobs whose stage has ended and whose report is still being delivered: their leases are renewed too. */
  private final Map<Long, Job> reporting = new LinkedHashMap<>();
  /** Per held job, the System.nanoTime() until which its lease holds: when it was granted or renewed + its length. */
  private final Map<Long, Long> leaseHeldUntil = new java.util.HashMap<>();
  private final java.util.Set<Future<Void>> inFlightReports = new java.util.HashSet<>();

  private WorkerExecutor stagePool;
  private MessageConsumer<JsonObject> abortConsumer;
  private boolean pulling;
  /** Bumped by each acquire request; the answer to an older one (given up after a member left) is a late one. */
  private long pullGeneration;
  /**
   * After a cluster member left, until this System.nanoTime(): acquire requests do not park and time out quickly, since
   * one may still be routed to the departed node's address until the cluster forgets it.
   */
  private long probingUntil = System.nanoTime();
  private MessageConsumer<JsonObject> memberConsumer;
  /** The acquire request in flight, if any: stop() waits for its answer so no leased job is left unattended. */
  private Future<?> inFlightPull = Future.succeededFuture();
  private boolean stopping;
  private long stopDeadline;
  private long heartbeatTimer = -1;
  private long listTimer = -1;
  private WorkerDirectory directory;
  private StageReporter reporter;

  private record Running(Job job, StageContext ctx, long startedNanos) {}

  public StageRunnerVerticle(RunnerSpec spec, StageRegistry stages, JobMetrics metrics) {
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
    reporter = new StageReporter(vertx, worker, spec.lease(), new StageReporter.Leases(leaseHeldUntil::get,
        now -> stopping && now - stopDeadline >= 0, now -> now - probingUntil < 0));
    stagePool = vertx.createSharedWorkerExecutor("earshot-" + worker, spec.slots(), 24, java.util.concurrent.TimeUnit.HOURS);
    abortConsumer = vertx.eventBus().consumer(Addresses.JOBS_ABORT, m -> {
      JobAbort abort = JobAbort.fromJson(m.body());
      Running r = running.get(abort.id());
      if (r != null) {
        LOG.info("{}: aborting job {} ({})", worker, abort.id(), abort.reason());
        r.ctx().abort(abort.reason());
      } else if (reporting.containsKey(abort.id())) {
        leaseHeldUntil.remove(abort.id()); // cancelled or re-queued: a report being retried would be fenced off
      }
    });
    memberConsumer = vertx.eventBus().localConsumer(Addresses.MEMBER_LEFT, m -> memberLeft());
    heartbeatTimer = vertx.setPeriodic(Math.max(1, spec.heartbeatInterval().toMillis()), id -> heartbeat());
    directory = new WorkerDirectory(vertx);
    listTimer = directory.listEvery(() -> stopping ? null
        : new WorkerEntry(worker, WorkerDirectory.NODE, spec.name(), queues(), models()));
    return abortConsumer.completion().onSuccess(v -> {
      LOG.info("{} runner started: queues {} with {} slots", worker, spec.queues(), spec.slots());
      pull();
    });
  }

  // ---- what this runner serves ---------------------------------------------------------------------------------

  /** The queues to ask for now; a transcriber in a cluster asks only for those of the models it holds. */
  protected List<String> queues() {
    return spec.queues();
  }

  /** The models this runner holds, for the worker directory (none but for a transcriber). */
  protected List<String> models() {
    return List.of();
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
    List<String> queues = queues();
    if (queues.isEmpty()) {
      // Nothing to ask for (a transcriber that holds no model yet): look again later.
      pulling = false;
      vertx.setTimer(WorkerDirectory.REFRESH.toMillis(), id -> pull());
      return;
    }
    long generation = ++pullGeneration;
    boolean probing = System.nanoTime() - probingUntil < 0;
    long wait = probing ? 0 : spec.acquireWaitMs();
    long timeout = probing ? Math.min(PROBE_TIMEOUT_MS, spec.busTimeout().toMillis())
        : wait + spec.busTimeout().toMillis();
    AcquireRequest request = new AcquireRequest(worker, queues, free(), wait);
    inFlightPull = vertx.eventBus().<JsonObject>request(Addresses.JOBS_ACQUIRE, request.toJson(),
            new DeliveryOptions().setSendTimeout(timeout))
        .onSuccess(reply -> {
          List<Job> jobs = AcquireReply.fromJson(reply.body()).jobs();
          // Granted just before this answer (the request itself may have been parked for long): counting the lease
          // from here overstates it by the answer's trip at most, and a report sent that late is fenced off.
          long leasedAt = System.nanoTime();
          if (generation != pullGeneration) {
            // A request given up after a member left, answered all the same: its jobs are ours; run what fits.
            jobs.forEach(job -> run(job, leasedAt, free() <= 0));
            return;
          }
          pulling = false;
          jobs.forEach(job -> run(job, leasedAt, false));
          if (probing && jobs.isEmpty()) {
            vertx.setTimer(PROBE_INTERVAL_MS, id -> pull()); // not parked: ask again in a moment
          } else {
            pull();
          }
        })
        .onFailure(err -> {
          if (generation != pullGeneration) {
            return;
          }
          pulling = false;
          if (!stopping) {
            LOG.debug("{}: acquire failed ({}); retrying", worker, err.getMessage());
            vertx.setTimer(1_000, id -> pull());
          }
        });
  }

  /**
   * A cluster member left, and with it perhaps the scheduler our parked acquire request waits at: such a request is
   * not failed before its timeout (the wait plus the bus timeout). Ask again now, and for {@link #PROBE_WINDOW_MS}
   * ask without parking and with a short timeout; then pull as before.
   */
  private void memberLeft() {
    if (stopping) {
      return;
    }
    probingUntil = System.nanoTime() + PROBE_WINDOW_MS * 1_000_000;
    if (pulling) {
      LOG.info("{}: a cluster member left; asking the schedulers again for work", worker);
      pulling = false;
      pull();
    }
  }

  // ---- running -----------------------------------------------------------------------------------------------

  private void run(Job job, long leasedAt, boolean noRoom) {
    leaseHeldUntil.put(job.id(), leasedAt + spec.lease().toNanos());
    if (stopping || noRoom) {
      // Leased after we began to stop, or more than our slots (a late answer): give it back for another runner.
      report(job, StageReport.Outcome.RELEASE, null, null, null);
      return;
    }
    if (stages.handler(job.jobType()).isEmpty()) {
      // Not a job this runner asked for (a stage it does not run): seen in a cluster after a node died, as an answer
      // that reached the wrong runner. Failing it would fail the job for good; given back, a runner that has the
      // stage takes it.
      LOG.warn("{}: got job {} at {} (queue {}, leased to {}), a stage this runner does not run; giving it back",
          worker, job.id(), job.jobType().wireName(), job.queue(), job.leaseOwner());
      report(job, StageReport.Outcome.RELEASE, null, null, null);
      return;
    }
    StageContext ctx = new StageContext(job, vertx, stagePool);
    running.put(job.id(), new Running(job, ctx, System.nanoTime()));
    metrics.workerActive(1);
    metrics.leaseHeld(job.id());
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
  public static Future<StageOutcome> classify(Throwable err) {
    String message = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
    if (err instanceof PermanentStageException permanent) {
      return Future.succeededFuture(new StageOutcome.Fail(message, permanent.failure()));
    }
    return Future.succeededFuture(new StageOutcome.Retry(message, null));
  }

  /** A stage completed after {@code took}; the transcriber counts its real-time factor here. */
  protected void completed(Job job, Duration took) {}

  private void finish(Job job, StageContext ctx, StageOutcome outcome) {
    Running r = running.remove(job.id());
    if (r == null) {
      return; // already given back when the shutdown grace ran out
    }
    metrics.workerActive(-1);
    metrics.leaseEnded(job.id());
    Duration took = Duration.ofNanos(System.nanoTime() - r.startedNanos());
    String stage = job.jobType().wireName();
    if (ctx.isAborted()) {
      // Cancelled or lease lost: the job is no longer ours, whatever the stage returned.
      metrics.stageDuration(stage, "aborted", took);
      leaseHeldUntil.remove(job.id());
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
          completed(job, took);
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
    reporting.put(job.id(), job);
    return reporter.send(job, outcome, payload, result, failure).andThen(ar -> {
      reporting.remove(job.id());
      leaseHeldUntil.remove(job.id());
    });
  }

  // ---- heartbeats --------------------------------------------------------------------------------------------

  /** Renews the leases of running stages and of ended ones whose report is still on its way. */
  private void heartbeat() {
    Map<Long, Job> held = new LinkedHashMap<>(reporting);
    running.values().forEach(r -> held.put(r.job().id(), r.job()));
    if (held.isEmpty()) {
      return;
    }
    long sent = System.nanoTime();
    List<earshot.jobs.Lease> leases = held.values().stream().map(Job::lease).toList();
    vertx.eventBus().<JsonObject>request(Addresses.JOBS_HEARTBEAT, new HeartbeatRequest(worker, leases).toJson(),
            new DeliveryOptions().setSendTimeout(Math.max(1_000, spec.heartbeatInterval().toMillis())))
        .onSuccess(reply -> {
          List<Long> lost = HeartbeatReply.fromJson(reply.body()).lost();
          held.keySet().stream().filter(id -> !lost.contains(id)).forEach(id ->
              leaseHeldUntil.computeIfPresent(id, (k, until) -> Math.max(until, sent + spec.lease().toNanos())));
          lost.forEach(id -> {
            leaseHeldUntil.remove(id); // a report still being retried stops at its next failure
            Running r = running.get(id);
            if (r != null) {
              LOG.warn("{}: lost the lease on job {}", worker, id);
              metrics.leaseLost(r.job().jobType().wireName());
              r.ctx().abort("lease_lost");
            }
          });
        })
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
    stopDeadline = System.nanoTime() + spec.shutdownGrace().toNanos();
    vertx.cancelTimer(heartbeatTimer);
    vertx.cancelTimer(listTimer);
    directory.remove(worker).onFailure(err -> LOG.debug("{}: could not leave the worker directory: {}", worker,
        err.getMessage()));
    vertx.eventBus().publish(Addresses.JOBS_ACQUIRE_CANCEL, new AcquireCancel(worker).toJson());
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
        metrics.leaseEnded(r.job().id());
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
        .compose(v -> memberConsumer.unregister())
        .eventually(() -> stagePool.close());
  }
}
