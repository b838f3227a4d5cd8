package earshot.store;

import earshot.jobs.AcquireSpec;
import earshot.jobs.Job;
import earshot.jobs.JobFailure;
import earshot.jobs.JobQuery;
import earshot.jobs.JobStage;
import earshot.jobs.Lease;
import earshot.jobs.NewJob;
import earshot.jobs.ProgressSpan;
import earshot.jobs.QueueStats;
import earshot.tiers.QuotaRefusal;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Durable job storage. Every method returns a future and never blocks its caller; the SQLite implementation runs
 * JDBC on its own single worker thread, the Postgres one uses the reactive client.
 *
 * <p>Writes that a runner makes while it holds a lease are <em>fenced</em>: they take the {@link Lease} the job
 * was acquired with and succeed only while the job is still processing under that same token. A fenced write that
 * lost its lease returns an empty Optional (or false) and changes nothing.
 *
 * <p>Callers that need only part of it take the narrower interface: {@link DeliveryStore} (webhook deliveries),
 * {@link EventLog} (job events) or {@link TierLedger} (tiers, daily usage and reservations). What is left here is jobs and their leases, the job
 * queries and the store's own life.
 */
public interface JobStore extends DeliveryStore, TierLedger, EventLog {

  /** {@code "sqlite"} or {@code "postgres"}, for logs and readiness. */
  String kind();

  /** Applies the versioned schema migrations that this database has not seen yet. */
  Future<Void> migrate();

  /**
   * Inserts a queued job, or returns the existing one when the owner already used the idempotency key. With an
   * {@link NewJob.Admission}, the owner's tier is checked first in the same transaction: at {@code max_queued_jobs}
   * unfinished jobs, or with the day's minutes used up, nothing is inserted and the refusal is returned.
   */
  Future<Submitted> insert(NewJob job);

  /**
   * How many submission transactions ({@link #insertAll}) are worth running at once: 1 for a store with a single
   * writer; more where concurrent transactions overlap their round trips and commits.
   */
  default int concurrentWrites() {
    return 1;
  }

  /**
   * Inserts several jobs in one transaction (one commit), each exactly as {@link #insert} would, in order: a later
   * job that repeats an earlier one's owner and idempotency key, in this batch or before it, yields the earlier job.
   * The results are in the order of {@code jobs}. Either every row is committed or none is.
   */
  Future<List<Submitted>> insertAll(List<NewJob> jobs);

  Future<Optional<Job>> get(long id);

  /**
   * Atomically leases up to {@code spec.max()} queued, available jobs of one queue, by priority and then age,
   * never letting an owner exceed their tier's {@code concurrent_jobs} processing jobs (the tier stored for them, or
   * {@code spec.tiers()}' default), even with concurrent acquirers.
   */
  default Future<List<Job>> acquire(AcquireSpec spec) {
    return acquireWithTiers(spec).map(Acquired::jobs);
  }

  /**
   * {@link #acquire}, also yielding the tier each leased job's owner has stored, as the acquisition read it, so that
   * a later check of the same owners (the scheduler's {@code ActiveJobGate}) needs no second read.
   */
  Future<Acquired> acquireWithTiers(AcquireSpec spec);

  /** Extends the leases that are still held; returns the ids of those renewed. The rest are lost. */
  Future<Set<Long>> heartbeat(List<Lease> leases, Duration lease);

  /**
   * Fenced: the stage finished and the job moves on, queued at {@code next} on {@code nextQueue}; {@code span} is the
   * part of the job's progress {@code next} covers, and the job's progress rises to its start (never falls).
   */
  Future<Optional<Job>> advance(Lease lease, JsonObject payload, JobStage next, String nextQueue, ProgressSpan span);

  /** Fenced: the last stage finished; the job is completed with {@code result}. */
  Future<Optional<Job>> complete(Lease lease, JsonObject payload, JsonObject result);

  /**
   * Fenced: a retryable failure. The job is queued again at the same stage, available at {@code availableAt}, with
   * retry_count+1; when it has no retries left it fails instead.
   */
  Future<Optional<Job>> retryOrFail(Lease lease, String error, Instant availableAt);

  /** Fenced: a non-retryable failure; the job fails at once. */
  default Future<Optional<Job>> fail(Lease lease, String error) {
    return fail(lease, error, null);
  }

  /**
   * Fenced: a non-retryable failure with its typed reason ({@code failure}, null when it has none), which the job
   * keeps beside {@code error} until it is retried.
   */
  Future<Optional<Job>> fail(Lease lease, String error, JobFailure failure);

  /** Fenced: the runner gives the job back unfinished (shutdown), queued at the same stage without penalty. */
  default Future<Optional<Job>> release(Lease lease) {
    return release(lease, null);
  }

  /**
   * Fenced: gives the job back without penalty, available again at {@code availableAt} (null: at once); used when a
   * node-wide counter says the owner is already at their limit elsewhere.
   */
  Future<Optional<Job>> release(Lease lease, Instant availableAt);

  /**
   * Fenced: records the current stage's own progress (0–100) as {@code stage_progress}, and the job's progress at the
   * same point of the stage's span unless the job was already further (a retried stage never lowers it); empty when
   * the lease is lost.
   */
  Future<Optional<Job>> progress(Lease lease, int stageProgress);

  /**
   * Starts a failed or cancelled job again at {@code stage} (whose part of the job's progress is {@code span}) on
   * {@code queue}, with its retry budget reset and its progress kept; empty when the job is not failed or cancelled
   * (or does not exist).
   */
  Future<Optional<Job>> requeue(long id, JobStage stage, String queue, ProgressSpan span);

  /** Cancels a queued or processing job at once; empty when the job does not exist or has already finished. */
  Future<Optional<Job>> cancel(long id);

  /**
   * The rescuer: every processing job whose lease has expired goes back to the queue at its current stage with
   * retry_count+1, or fails when it has no retries left. Returns the jobs it changed.
   */
  Future<List<Job>> rescueExpired();

  /** A page of jobs, newest first (see {@link JobQuery}). */
  Future<List<Job>> list(JobQuery query);

  /** The job and, while it is queued, its 1-based queue position (0 otherwise), read together. */
  Future<Optional<Positioned>> getWithPosition(long id);


  /** Job counts by status, for one owner or (null) everyone. */
  Future<Map<String, Long>> countsByStatus(String ownerUserId);

  /** Counts per queue, with the age of the oldest queued job. */
  Future<List<QueueStats>> queueStats();

  /** Queued-job counts per queue. */
  Future<Map<String, Long>> queueDepths();

  /** Job counts by owner and status: {@code owner -> status -> count}. */
  Future<Map<String, Map<String, Long>>> countsByOwner();

  /** Succeeds when the database answers. */
  Future<Void> ping();

  Future<Void> close();

  /**
   * Leased jobs, in the order of the candidates, and the tiers their owners have stored (owner to tier name, as
   * {@link #tiersOf} answers: an owner without a stored tier is absent), as the acquisition read them.
   */
  record Acquired(List<Job> jobs, Map<String, String> storedTiers) {
    public static final Acquired NONE = new Acquired(List.of(), Map.of());
  }

  /** A job with its queue position (0 when not queued). */
  record Positioned(Job job, long queuePosition) {}

  /**
   * The outcome of {@link #insert}: the job and whether this call created it, or (job null) the tier limit that
   * refused it.
   */
  record Submitted(Job job, boolean created, QuotaRefusal refusal) {
    public Submitted(Job job, boolean created) {
      this(job, created, null);
    }

    public static Submitted refused(QuotaRefusal refusal) {
      return new Submitted(null, false, refusal);
    }
  }
}
