package earshot.scheduler;

import earshot.bus.AcquireCancel;
import earshot.bus.AcquireRequest;
import earshot.bus.Addresses;
import earshot.bus.Batch;
import earshot.bus.Failures;
import earshot.bus.HeartbeatReply;
import earshot.bus.HeartbeatRequest;
import earshot.bus.JobsAvailable;
import earshot.bus.ProgressReport;
import earshot.bus.StageReport;
import earshot.bus.StageReportReply;
import earshot.bus.StorePing;
import earshot.bus.SubmitJob;
import earshot.bus.Submitted;
import earshot.config.EarshotConfig;
import earshot.jobs.AcquireSpec;
import earshot.jobs.Backoff;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.JobUuids;
import earshot.jobs.NewJob;
import earshot.jobs.StagePlan;
import earshot.metrics.JobMetrics;
import earshot.metrics.NodeMetrics;
import earshot.metrics.QuotaMetrics;
import earshot.quota.ActiveJobGate;
import earshot.quota.DailyMinutes;
import earshot.quota.QuotaQueries;
import earshot.store.JobStore;
import earshot.store.JobStores;
import earshot.store.StoreFullException;
import earshot.tiers.Tiers;
import earshot.tiers.UtcDay;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job scheduler: owns the {@link JobStore}, accepts submissions (group-committed by {@link SubmissionBatcher}), leases work to runners that ask for it,
 * applies stage outcomes (fenced), runs the {@link LeaseSweeper} on a timer, and publishes every state change.
 *
 * <p>Threading: an event-loop verticle. It never blocks: every store call returns a future (the SQLite store does its
 * JDBC on its own worker thread). All fields are confined to this verticle's event loop.
 *
 * <p>Runners pull: an acquire request is answered at once when there is work, otherwise parked until a
 * {@link JobsAvailable} event wakes the scheduler or the safety-net poll timer fires.
 */
public final class SchedulerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(SchedulerVerticle.class);
  /** How often reservations of finished jobs that were never settled are looked for. */
  private static final long SETTLE_LEFTOVERS_MS = 60_000;
  /** How long a job the active-jobs counter turned away waits before it may be leased again. */
  private static final Duration OVER_LIMIT_DELAY = Duration.ofMillis(500);

  private final EarshotConfig config;
  private final JobMetrics metrics;
  private final QuotaMetrics quotaMetrics;
  private final NodeMetrics nodeMetrics;
  private final StoreFailure storeFailure;
  private final Tiers tiers;
  private final Clock clock;
  private final StagePlan plan;
  private final Backoff backoff;

  /** This scheduler's id in its own announcements, so that it skips them when the bus brings them back. */
  private final String schedulerId = java.util.UUID.randomUUID().toString();
  private AcquireWaiters waiters;
  private JobStore store;
  private LeaseSweeper sweeper;
  private JobEvents events;
  private ActiveJobGate gate;
  private DailyMinutes minutes;
  private StageReports reports;
  private SubmissionBatcher submissions;
  private boolean draining;
  private boolean stopping;
  private boolean drainAgain;
  private long wakeGeneration;
  private final List<Long> timers = new ArrayList<>();

  public SchedulerVerticle(EarshotConfig config, JobMetrics metrics, QuotaMetrics quotaMetrics,
                           NodeMetrics nodeMetrics, Clock clock) {
    this.config = config;
    this.metrics = metrics;
    this.quotaMetrics = quotaMetrics;
    this.nodeMetrics = nodeMetrics;
    this.storeFailure = new StoreFailure(nodeMetrics);
    this.tiers = config.quota().tiers();
    this.clock = clock;
    this.plan = new StagePlan(config.queues(), config.audio().defaultModel(), config.cluster().enabled());
    this.backoff = new Backoff(config.jobs().retryBackoff(), config.jobs().retryBackoffMax());
  }

  @Override
  public Future<?> start() {
    waiters = new AcquireWaiters(vertx);
    return JobStores.open(vertx, config.store(), clock)
        .onSuccess(s -> {
          store = s;
          minutes = new DailyMinutes(s, tiers, quotaMetrics, clock);
          // Its own announcements wake it on the next turn of its loop, as the bus delivered them before.
          events = new JobEvents(vertx, s, minutes::settleIfFinished, schedulerId,
              () -> context.runOnContext(v -> wake()));
          sweeper = new LeaseSweeper(vertx, s, events, metrics, nodeMetrics);
          reports = new StageReports(vertx, s, plan, backoff, metrics, minutes, clock, events::announce);
          gate = new ActiveJobGate(vertx, s, tiers, quotaMetrics, clock, OVER_LIMIT_DELAY,
              config.quota().redisUrl() != null);
          submissions = new SubmissionBatcher(context, s, this::onCommitted);
          LOG.info("job store ready: {} ({})", s.kind(), config.store().isPostgres() ? "postgres" : config.store().sqlitePath());
        })
        .compose(s -> registerConsumers())
        .onSuccess(v -> startTimers());
  }

  private Future<Void> registerConsumers() {
    EventBus bus = vertx.eventBus();
    List<Future<Void>> registrations = List.of(
        bus.<JsonObject>consumer(Addresses.JOBS_SUBMIT, m -> Batch.answerOne(m, this::submit)).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_SUBMIT_BATCH, m -> Batch.answer(m, this::submit)).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_ACQUIRE, this::onAcquire).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_ACQUIRE_CANCEL,
            m -> waiters.withdraw(AcquireCancel.fromJson(m.body()).worker())).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_HEARTBEAT, this::onHeartbeat).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_STAGE_REPORT, this::onStageReport).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_PROGRESS, this::onProgress).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_PING, this::onPing).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_AVAILABLE, this::onAvailable).completion());
    return Future.all(registrations)
        .compose(v -> gate.register())
        .compose(v -> new QuotaQueries(vertx, store, tiers, clock).register())
        .compose(v -> new JobQueries(vertx, store, config.queues(), config.audio().defaultModel()).register())
        .compose(v -> new JobCommands(vertx, store, plan, metrics, events, minutes, storeFailure).register())
        .compose(v -> new DeliveryLog(vertx, store, storeFailure).register());
  }

  private void startTimers() {
    timers.add(vertx.setPeriodic(config.jobs().pollInterval().toMillis(), id -> wake()));
    timers.add(vertx.setPeriodic(config.jobs().sweepInterval().toMillis(), id -> sweeper.sweep()));
    // Only a crash between a job's end and its settlement leaves a reservation behind: a slow timer is enough, and
    // keeps a write transaction off every sweep.
    timers.add(vertx.setPeriodic(SETTLE_LEFTOVERS_MS, id -> minutes.settleLeftovers()));
    QueueSampler sampler = new QueueSampler(store, config.queues().all(), metrics, nodeMetrics);
    timers.add(vertx.setPeriodic(QueueSampler.INTERVAL_MS, id -> sampler.sample()));
    timers.add(vertx.setPeriodic(EventRecorder.PRUNE_EVERY_MS,
        id -> events.prune(clock.instant().minus(config.events().retention()))));
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    timers.forEach(vertx::cancelTimer);
    if (waiters != null) {
      waiters.answerAll();
    }
    Future<Void> holds = gate == null ? Future.succeededFuture() : gate.stop();
    return holds.eventually(() -> store == null ? Future.succeededFuture() : store.close());
  }

  // ---- submissions and queries -------------------------------------------------------------------------------

  /** One submission (a {@link SubmitJob}) to the {@link Submitted} reply, or a failure with a {@link Failures} code. */
  private Future<JsonObject> submit(JsonObject body) {
    SubmitJob submit = SubmitJob.fromJson(body);
    if (submit.ownerUserId() == null || submit.ownerUserId().isBlank()) {
      return Future.failedFuture(Batch.failure(Failures.BAD_REQUEST, "owner_user_id is required"));
    }
    if (submit.priority() < 0) {
      return Future.failedFuture(Batch.failure(Failures.BAD_REQUEST, "priority must not be negative"));
    }
    JobStage first = plan.first(submit.payload());
    String uuid = submit.uuid() != null ? submit.uuid() : JobUuids.next().toString();
    NewJob job = new NewJob(uuid, submit.ownerUserId(), first, plan.queueFor(first, submit.payload()), submit.priority(),
        submit.maxRetries() == null ? config.jobs().maxRetries() : submit.maxRetries(), submit.payload(),
        submit.idempotencyKey(), new NewJob.Admission(tiers, UtcDay.today(clock), UtcDay.secondsToMidnight(clock)));
    return submissions.submit(job)
        .map(result -> {
          if (result.refusal() != null) {
            quotaMetrics.quotaHit(result.refusal().type().wireName());
          }
          return new Submitted(result.job(), result.created(), result.refusal()).toJson();
        })
        .recover(err -> {
          nodeMetrics.storeError("submit");
          if (err instanceof StoreFullException) {
            LOG.warn("submit refused: {}", err.getMessage()); // readiness reports it too; no stack trace per job
            return Future.failedFuture(Batch.failure(Failures.INSUFFICIENT_STORAGE,
                "submit failed: " + err.getMessage()));
          }
          LOG.error("submit failed", err);
          return Future.failedFuture(Batch.failure(Failures.UNAVAILABLE, "submit failed: " + err.getMessage()));
        });
  }

  /** A batch of submissions is committed: count and publish the new jobs, and announce each queue once. */
  private void onCommitted(List<JobStore.Submitted> batch) {
    Set<String> queues = new HashSet<>();
    for (JobStore.Submitted result : batch) {
      if (result.created()) {
        metrics.enqueued(result.job().queue(), result.job().jobType().wireName());
        events.publish(result.job());
        queues.add(result.job().queue());
      }
    }
    queues.forEach(events::announce);
  }

  private void onPing(Message<JsonObject> msg) {
    store.ping()
        .onSuccess(v -> msg.reply(new StorePing(store.kind()).toJson()))
        .onFailure(err -> msg.fail(Failures.UNAVAILABLE, store.kind() + " store cannot write: " + err.getMessage()));
  }

  // ---- acquisition -------------------------------------------------------------------------------------------

  private void onAcquire(Message<JsonObject> msg) {
    AcquireRequest request = AcquireRequest.fromJson(msg.body());
    if (stopping || waiters.hasWithdrawn(request.worker())) {
      // Closing the store, or the runner is stopping: lease nothing new.
      msg.reply(new earshot.bus.AcquireReply(List.of()).toJson());
      return;
    }
    long generation = wakeGeneration;
    lease(request, new HashSet<>())
        .onSuccess(jobs -> {
          if (!jobs.isEmpty() || request.waitMs() <= 0) {
            msg.reply(new earshot.bus.AcquireReply(jobs).toJson());
            return;
          }
          waiters.park(request, msg);
          if (generation != wakeGeneration) {
            wake(); // work arrived while we were looking; do not sleep on it
          }
        })
        .onFailure(err -> storeFailure.reply(msg, "acquire", err));
  }

  /** Leases up to {@code request.max()} jobs across the request's queues, skipping queues known to be empty. */
  private Future<List<Job>> lease(AcquireRequest request, Set<String> emptyQueues) {
    List<Job> leased = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (String queue : request.queues()) {
      if (emptyQueues.contains(queue)) {
        continue;
      }
      chain = chain.compose(v -> {
        int want = request.max() - leased.size();
        if (want <= 0) {
          return Future.succeededFuture();
        }
        AcquireSpec spec = new AcquireSpec(queue, request.worker(), want, config.jobs().lease(), tiers,
            config.jobs().ownerStrict());
        return store.acquireWithTiers(spec).compose(acquired -> {
          if (acquired.jobs().size() < want) {
            emptyQueues.add(queue); // nothing more for anyone on this queue in this round
          }
          return gate.admit(acquired.jobs(), acquired.storedTiers(), events::publish);
        }).map(jobs -> {
          jobs.forEach(j -> {
            metrics.started(j.queue(), j.jobType().wireName());
            if (j.retryCount() > 0) {
              metrics.reacquired(j.queue(), j.jobType().wireName());
            }
            events.publish(j);
          });
          leased.addAll(jobs);
          return null;
        });
      });
    }
    return chain.map(v -> leased);
  }

  /** Another scheduler announced work; this one's own announcements woke it already (see {@link JobEvents}). */
  private void onAvailable(Message<JsonObject> msg) {
    if (!schedulerId.equals(JobsAvailable.fromJson(msg.body()).scheduler())) {
      wake();
    }
  }

  /** Work may be available: answer parked requests. Wakes that arrive during a drain trigger one more drain. */
  private void wake() {
    wakeGeneration++;
    if (draining) {
      drainAgain = true;
      return;
    }
    if (waiters.live().isEmpty()) {
      return;
    }
    draining = true;
    drainAgain = false;
    drain().onComplete(ar -> {
      draining = false;
      if (ar.failed()) {
        LOG.warn("acquire drain failed: {}", ar.cause().getMessage());
      } else if (drainAgain) {
        wake();
      }
    });
  }

  private Future<Void> drain() {
    Set<String> emptyQueues = new HashSet<>();
    Future<Void> chain = Future.succeededFuture();
    for (AcquireWaiters.Waiter w : waiters.live()) {
      chain = chain.compose(v -> {
        if (w.answered || emptyQueues.containsAll(w.request.queues())) {
          return Future.succeededFuture();
        }
        return lease(w.request, emptyQueues).map(jobs -> {
          if (!jobs.isEmpty()) {
            waiters.remove(w);
            if (w.answered) {
              // The runner withdrew while we were leasing: give the jobs straight back.
              jobs.forEach(j -> store.release(j.lease()).onSuccess(r -> {
                gate.release(j.lease());
                r.ifPresent(events::publishAndAnnounce);
              }));
            } else {
              w.answer(jobs);
            }
          }
          return null;
        });
      });
    }
    return chain;
  }

  // ---- runner reports ----------------------------------------------------------------------------------------

  private void onHeartbeat(Message<JsonObject> msg) {
    HeartbeatRequest hb = HeartbeatRequest.fromJson(msg.body());
    store.heartbeat(hb.leases(), config.jobs().lease())
        .onSuccess(renewed -> msg.reply(new HeartbeatReply(
            hb.leases().stream().map(l -> l.jobId()).filter(id -> !renewed.contains(id)).toList()).toJson()))
        .onFailure(err -> storeFailure.reply(msg, "heartbeat", err));
  }

  private void onProgress(Message<JsonObject> msg) {
    ProgressReport report = ProgressReport.fromJson(msg.body());
    store.progress(report.lease(), report.progress())
        .onSuccess(job -> job.ifPresent(events::publishProgress))
        .onFailure(err -> LOG.warn("progress update for job {} failed: {}", report.lease().jobId(), err.getMessage()));
  }

  private void onStageReport(Message<JsonObject> msg) {
    StageReport report = StageReport.fromJson(msg.body());
    String stage = report.stage().wireName();
    reports.apply(report)
        .andThen(ar -> {
          if (ar.succeeded()) {
            gate.release(report.lease()); // that lease is over, applied or fenced off
          }
        })
        .onSuccess(job -> {
          if (job.isEmpty()) {
            metrics.leaseLost(stage);
            LOG.info("fenced off {} report for job {} from {}: lease no longer held",
                report.outcome().wireName(), report.lease().jobId(), report.worker());
          }
          job.ifPresent(events::publish);
          msg.reply(new StageReportReply(job.isPresent(), job.map(j -> j.status().wireName()).orElse(null)).toJson());
        })
        .onFailure(err -> storeFailure.reply(msg, "stage report", err));
  }
}
