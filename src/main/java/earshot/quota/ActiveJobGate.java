package earshot.quota;

import earshot.bus.Addresses;
import earshot.bus.HoldReply;
import earshot.bus.HoldRequest;
import earshot.bus.JobEvent;
import earshot.bus.ReleaseHold;
import earshot.jobs.Job;
import earshot.jobs.JobStatus;
import earshot.jobs.Lease;
import earshot.metrics.QuotaMetrics;
import earshot.store.JobStore;
import earshot.tiers.Tier;
import earshot.tiers.Tiers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The after-acquisition check of the concurrent-jobs limit. The acquire transaction already keeps each owner under
 * their tier's limit within one store; nodes with their own stores (or a limit that must hold across a cluster) are
 * kept honest here: every leased job takes a place in the owner's active-jobs counter (this node's
 * {@code QuotaVerticle}: in-process, or Redis shared by every node). A job that finds the counter full is released
 * at once without penalty and becomes available again after a short delay, so together the nodes never exceed the
 * limit. The place is freed when the job leaves that lease: when this scheduler applies the lease's outcome, or on
 * the first event (from any node) that shows the job past that lease, by its fencing token, so that a late event about
 * an earlier lease never frees a newer one.
 *
 * <p>Only counters shared between nodes (Redis) can know more than the acquire transaction: with in-process counters
 * this node's leases are a subset of what its store already counted, so the gate then only keeps track of its leases
 * for the {@code audio_active_jobs} gauge and makes no counter requests.
 *
 * <p>Threading: used only on the scheduler's event loop; its map of holds is confined to it.
 */
public final class ActiveJobGate {
  private static final Logger LOG = LoggerFactory.getLogger(ActiveJobGate.class);
  private static final DeliveryOptions REQUEST = new DeliveryOptions().setSendTimeout(5_000);
  /** How often holds are checked against the store, in case a job's final event never reached this node. */
  private static final long RECONCILE_MS = 15_000;

  private final Vertx vertx;
  private final JobStore store;
  private final Tiers tiers;
  private final QuotaMetrics metrics;
  private final Clock clock;
  private final Duration retryDelay;
  private final boolean sharedCounters;
  /** Job id → lease token → the place that lease holds. */
  private final Map<Long, Map<Long, Held>> held = new HashMap<>();
  /** Places held per owner, for the gauge when the counters are in-process. */
  private final Map<String, Integer> perOwner = new HashMap<>();
  private MessageConsumer<JsonObject> events;
  private long reconcileTimer = -1;

  private record Held(String owner, String holder) {}

  /**
   * @param sharedCounters whether the active-jobs counters are shared between nodes (Redis configured); only then
   *     is each lease checked against them
   */
  public ActiveJobGate(Vertx vertx, JobStore store, Tiers tiers, QuotaMetrics metrics, Clock clock,
                       Duration retryDelay, boolean sharedCounters) {
    this.vertx = vertx;
    this.store = store;
    this.tiers = tiers;
    this.metrics = metrics;
    this.clock = clock;
    this.retryDelay = retryDelay;
    this.sharedCounters = sharedCounters;
  }

  public Future<Void> register() {
    events = vertx.eventBus().consumer(Addresses.JOB_EVENTS, m -> {
      if (!held.containsKey(m.body().getLong("id"))) {
        return; // most events are about jobs this node holds no place for
      }
      JobEvent e = JobEvent.fromJson(m.body());
      boolean running = JobStatus.PROCESSING.wireName().equals(e.status());
      // Processing under token T: leases before T are over. Anything else: the lease T (and earlier) is over.
      releaseUpTo(e.id(), running ? e.leaseToken() - 1 : e.leaseToken());
    });
    reconcileTimer = vertx.setPeriodic(RECONCILE_MS, id -> reconcile());
    return events.completion();
  }

  public Future<Void> stop() {
    vertx.cancelTimer(reconcileTimer);
    List.copyOf(held.keySet()).forEach(id -> releaseUpTo(id, Long.MAX_VALUE));
    return events == null ? Future.succeededFuture() : events.unregister();
  }

  /** How many places this scheduler holds now. */
  public int held() {
    return held.values().stream().mapToInt(Map::size).sum();
  }

  /** This scheduler applied the lease's outcome (or gave it back): its place is free. */
  public void release(Lease lease) {
    releaseUpTo(lease.jobId(), lease.token());
  }

  /**
   * Takes a counter place for each leased job; yields the jobs that got one. The others are released back to the
   * queue (available again after the retry delay) and passed to {@code onReleased}. {@code storedTiers} are the
   * owners' stored tiers as the acquisition read them ({@code JobStore.Acquired}), so the gate reads none itself.
   */
  public Future<List<Job>> admit(List<Job> leased, Map<String, String> storedTiers, Consumer<Job> onReleased) {
    if (leased.isEmpty()) {
      return Future.succeededFuture(leased);
    }
    if (!sharedCounters) {
      leased.forEach(job -> keep(job, job.uuid() + ":" + job.lease().token()));
      return Future.succeededFuture(leased);
    }
    List<Future<Optional<Job>>> checks = leased.stream()
        .map(job -> hold(job, tiers.resolve(storedTiers.get(job.ownerUserId())), onReleased))
        .toList();
    return Future.all(checks).map(all -> checks.stream().map(Future::result).flatMap(Optional::stream).toList());
  }

  private Future<Optional<Job>> hold(Job job, Tier tier, Consumer<Job> onReleased) {
    String holder = job.uuid() + ":" + job.lease().token();
    HoldRequest request = new HoldRequest(CounterKind.JOBS.wireName(), job.ownerUserId(), holder,
        tier.concurrentJobs());
    return vertx.eventBus().<JsonObject>request(Addresses.QUOTA_HOLD, request.toJson(), REQUEST)
        .map(reply -> HoldReply.fromJson(reply.body()).granted())
        .recover(err -> {
          // Without a quota verticle (or one that does not answer) the acquire transaction's check stands alone.
          if (!(err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS)) {
            LOG.warn("active-jobs counter did not answer for job {}: {}; admitting it", job.id(), err.getMessage());
          }
          return Future.succeededFuture(true);
        })
        .compose(granted -> {
          if (granted) {
            keep(job, holder);
            return Future.succeededFuture(Optional.of(job));
          }
          metrics.quotaHit(QuotaMetrics.CONCURRENT_JOBS);
          LOG.debug("owner {} is at {} active jobs elsewhere; job {} goes back to the queue", job.ownerUserId(),
              tier.concurrentJobs(), job.id());
          return store.release(job.lease(), clock.instant().plus(retryDelay))
              .map(released -> {
                released.ifPresent(onReleased);
                return Optional.<Job>empty();
              });
        });
  }

  private void keep(Job job, String holder) {
    held.computeIfAbsent(job.id(), id -> new HashMap<>()).put(job.lease().token(),
        new Held(job.ownerUserId(), holder));
    count(job.ownerUserId(), 1);
  }

  /** In-process counters: the gauge is this node's leases per owner, kept here (Redis: the QuotaVerticle's). */
  private void count(String owner, int delta) {
    if (!sharedCounters) {
      int n = perOwner.merge(owner, delta, Integer::sum);
      if (n <= 0) {
        perOwner.remove(owner);
      }
      metrics.activeJobs(owner, Math.max(0, n));
    }
  }

  /** Frees the places of the job's leases up to and including {@code token}. */
  private void releaseUpTo(long jobId, long token) {
    Map<Long, Held> leases = held.get(jobId);
    if (leases == null) {
      return;
    }
    leases.entrySet().removeIf(e -> {
      if (e.getKey() > token) {
        return false;
      }
      Held h = e.getValue();
      count(h.owner(), -1);
      if (sharedCounters) {
        vertx.eventBus().request(Addresses.QUOTA_RELEASE,
                new ReleaseHold(CounterKind.JOBS.wireName(), h.owner(), h.holder()).toJson(), REQUEST)
            .onFailure(err -> LOG.debug("releasing {} failed: {}", h.holder(), err.getMessage()));
      }
      return true;
    });
    if (leases.isEmpty()) {
      held.remove(jobId);
    }
  }

  /** Frees places whose lease has ended without this node hearing of it (an event it missed). */
  private void reconcile() {
    List.copyOf(held.keySet()).forEach(id -> store.get(id).onSuccess(job -> {
      boolean running = job.isPresent() && job.get().status() == JobStatus.PROCESSING;
      releaseUpTo(id, running ? job.get().leaseToken() - 1 : Long.MAX_VALUE);
    }));
  }
}
