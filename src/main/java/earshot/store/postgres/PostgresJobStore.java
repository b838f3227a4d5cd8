package earshot.store.postgres;

import static earshot.store.postgres.PostgresRows.JOB_COLUMNS;
import static earshot.store.postgres.PostgresRows.map;

import earshot.config.EarshotConfig;
import earshot.jobs.AcquireSpec;
import earshot.jobs.DeliveryAttempt;
import earshot.jobs.JobQuery;
import earshot.jobs.QueueStats;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.Lease;
import earshot.jobs.ProgressSpan;
import earshot.jobs.NewJob;
import earshot.quota.DailyUsage;
import earshot.quota.QuotaRefusal;
import earshot.quota.Tier;
import earshot.quota.Tiers;
import earshot.store.JobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Postgres job store on the reactive vertx-pg-client; nothing here blocks.
 *
 * <p>Acquisition is one transaction: candidates are locked with {@code FOR UPDATE SKIP LOCKED} so concurrent
 * acquirers never wait for each other's rows; then a transaction-scoped advisory lock per candidate owner (taken in
 * a fixed order, so acquirers cannot deadlock) serializes the owner-limit check, and the processing count is read
 * again under that lock before the rows are leased. Two nodes can therefore never over-admit one owner.
 *
 * <p>This class owns the pool and the transactions, submission, requeue and cancel; the other statements are in this
 * package's {@code Postgres*Sql} classes, one per responsibility, each run on the pool or the transaction given it.
 */
public final class PostgresJobStore implements JobStore {
  /** Namespace for Earshot's advisory locks (ASCII "EARS"); migration and acquisition take them. */
  static final int LOCK_NAMESPACE = 0x45415253;

  private final Pool pool;
  private final Clock clock;
  private final PostgresAcquireSql acquisition = new PostgresAcquireSql();
  private final int poolSize;

  private PostgresJobStore(Pool pool, int poolSize, Clock clock) {
    this.pool = pool;
    this.poolSize = poolSize;
    this.clock = clock;
  }

  public static PostgresJobStore create(Vertx vertx, EarshotConfig.Store config, Clock clock) {
    return new PostgresJobStore(pool(vertx, config, config.poolSize()), config.poolSize(), clock);
  }

  /** Half the pool: the other half stays free for leases, heartbeats and reports while submissions pour in. */
  @Override
  public int concurrentWrites() {
    return Math.max(1, poolSize / 2);
  }

  /** A pool of at most {@code size} connections to the configured database. */
  static Pool pool(Vertx vertx, EarshotConfig.Store config, int size) {
    String uri = config.url().startsWith("postgres://")
        ? "postgresql://" + config.url().substring("postgres://".length()) : config.url();
    PgConnectOptions connect = PgConnectOptions.fromUri(uri).setCachePreparedStatements(true);
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(size))
        .connectingTo(connect)
        .using(vertx)
        .build();
  }

  @Override
  public String kind() {
    return "postgres";
  }

  @Override
  public Future<Void> migrate() {
    return pool.withTransaction(conn -> PostgresMigrationSql.migrate(conn, this::now));
  }

  /** ON CONFLICT DO NOTHING returns no row for a repeated key; the existing job is then read back. */
  private static final String INSERT = """
      INSERT INTO jobs (uuid, owner_user_id, domain, job_type, queue, status, priority, max_retries, payload,
                        available_at, idempotency_key, created_at, updated_at, progress_to)
      VALUES ($1, $2, 'audio', $3, $4, 'queued', $5, $6, $7, $8, $9, $8, $8, $10)
      ON CONFLICT (owner_user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
      RETURNING""" + " " + JOB_COLUMNS;

  private static final String SELECT_BY_KEY =
      "SELECT " + JOB_COLUMNS + " FROM jobs WHERE owner_user_id = $1 AND idempotency_key = $2";

  @Override
  public Future<Submitted> insert(NewJob job) {
    if (job.admission() == null) {
      return insertOne(pool, job, job.priority());
    }
    // Admission and insert in one transaction; the owner's admission lock serializes the max_queued_jobs check.
    return pool.withTransaction(conn -> PostgresQuotaSql.tierOf(conn, job.ownerUserId())
        .compose(stored -> admitAndInsert(conn, job, job.admission().tiers().resolve(stored.orElse(null)))));
  }

  /**
   * One transaction. When no row's tier has a queued-jobs or daily limit to check, the inserts go in one pipelined
   * batch (with each tier's priority boost) and repeated keys are read back in order; otherwise each row is admitted
   * against its owner's tier after the rows before it, one by one.
   */
  @Override
  public Future<List<Submitted>> insertAll(List<NewJob> jobs) {
    if (jobs.stream().noneMatch(j -> j.admission() != null)) {
      return pool.withTransaction(conn -> pipelined(conn, jobs, jobs.stream().map(NewJob::priority).toList()));
    }
    Set<String> owners = new LinkedHashSet<>();
    jobs.forEach(j -> owners.add(j.ownerUserId()));
    return pool.withTransaction(conn -> PostgresQuotaSql.tiersOf(conn, owners).compose(stored -> {
      List<Tier> tiers = new ArrayList<>(jobs.size());
      List<Integer> priorities = new ArrayList<>(jobs.size());
      boolean nothingToCheck = true;
      for (NewJob job : jobs) {
        Tier tier = job.admission() == null ? null : job.admission().tiers().resolve(stored.get(job.ownerUserId()));
        nothingToCheck &= tier == null || (tier.maxQueuedJobs() == null && tier.dailySeconds() == null);
        tiers.add(tier);
        priorities.add(job.priority() + (tier == null ? 0 : tier.priorityBoost()));
      }
      if (nothingToCheck) {
        return pipelined(conn, jobs, priorities);
      }
      // Batches run concurrently (concurrentWrites): take every admission lock this batch will need up front, in
      // one order, so that two batches locking the same owners cannot deadlock.
      Set<String> locked = new LinkedHashSet<>();
      for (int i = 0; i < jobs.size(); i++) {
        if (tiers.get(i) != null && tiers.get(i).maxQueuedJobs() != null) {
          locked.add(jobs.get(i).ownerUserId());
        }
      }
      List<Submitted> out = new ArrayList<>(jobs.size());
      Future<Void> chain = PostgresQuotaSql.lockAdmission(conn, locked);
      for (int i = 0; i < jobs.size(); i++) {
        NewJob job = jobs.get(i);
        Tier tier = tiers.get(i);
        chain = chain.compose(v -> (tier == null ? insertOne(conn, job, job.priority())
            : admitAndInsert(conn, job, tier)).map(s -> {
              out.add(s);
              return null;
            }));
      }
      return chain.map(v -> out);
    }));
  }

  private Future<List<Submitted>> pipelined(SqlConnection conn, List<NewJob> jobs, List<Integer> priorities) {
    OffsetDateTime now = now();
    List<Tuple> params = new ArrayList<>(jobs.size());
    for (int i = 0; i < jobs.size(); i++) {
      params.add(insertParams(jobs.get(i), priorities.get(i), now));
    }
    return conn.preparedQuery(INSERT).executeBatch(params).compose(first -> {
      List<Job> inserted = new ArrayList<>(jobs.size());
      for (RowSet<Row> rows = first; rows != null; rows = rows.next()) {
        inserted.add(rows.size() == 1 ? map(rows.iterator().next()) : null);
      }
      Submitted[] out = new Submitted[jobs.size()];
      Future<Void> chain = Future.succeededFuture();
      for (int i = 0; i < jobs.size(); i++) {
        int at = i;
        if (inserted.get(at) != null) {
          out[at] = new Submitted(inserted.get(at), true);
        } else {
          chain = chain.compose(v -> existing(conn, jobs.get(at)).map(s -> {
            out[at] = s;
            return null;
          }));
        }
      }
      return chain.map(v -> List.of(out));
    });
  }

  /** Within the caller's transaction: a repeated key's job, the tier's refusal, or the inserted job. */
  private Future<Submitted> admitAndInsert(SqlConnection conn, NewJob job, Tier tier) {
    Future<Optional<Job>> found = job.idempotencyKey() == null ? Future.succeededFuture(Optional.empty())
        : conn.preparedQuery(SELECT_BY_KEY).execute(Tuple.of(job.ownerUserId(), job.idempotencyKey()))
            .map(PostgresRows::first);
    return found.compose(existing -> {
      if (existing.isPresent()) {
        return Future.succeededFuture(new Submitted(existing.get(), false));
      }
      return PostgresQuotaSql.admit(conn, job, tier).compose(refusal -> refusal.isPresent()
          ? Future.succeededFuture(Submitted.refused(refusal.get()))
          : insertOne(conn, job, job.priority() + tier.priorityBoost()));
    });
  }

  private Future<Submitted> insertOne(SqlClient client, NewJob job, int priority) {
    return client.preparedQuery(INSERT).execute(insertParams(job, priority, now()))
        .compose(rows -> rows.size() == 1
            ? Future.succeededFuture(new Submitted(map(rows.iterator().next()), true))
            : existing(client, job));
  }

  private static Tuple insertParams(NewJob job, int priority, OffsetDateTime now) {
    return Tuple.tuple()
        .addString(job.uuid())
        .addString(job.ownerUserId())
        .addString(job.firstStage().wireName())
        .addString(job.queue())
        .addInteger(priority)
        .addInteger(job.maxRetries())
        .addValue(job.payload())
        .addOffsetDateTime(now)
        .addString(job.idempotencyKey())
        .addInteger(job.progressSpan().to()); // the first stage starts at 0, the column's default
  }

  private static Future<Submitted> existing(SqlClient client, NewJob job) {
    return client.preparedQuery(SELECT_BY_KEY)
        .execute(Tuple.of(job.ownerUserId(), job.idempotencyKey()))
        .map(rows -> new Submitted(map(rows.iterator().next()), false));
  }

  @Override
  public Future<Optional<Job>> get(long id) {
    return pool.preparedQuery("SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = $1")
        .execute(Tuple.of(id))
        .map(PostgresRows::first);
  }

  @Override
  public Future<List<Job>> acquire(AcquireSpec spec) {
    OffsetDateTime now = now();
    return pool.withTransaction(conn -> acquisition.acquire(conn, spec, now));
  }

  // ---- the held lease: the SQL is in PostgresLeaseSql ----------------------------------------------------------

  @Override
  public Future<Set<Long>> heartbeat(List<Lease> leases, Duration lease) {
    if (leases.isEmpty()) {
      return Future.succeededFuture(Set.of());
    }
    return PostgresLeaseSql.heartbeat(pool, leases, lease, now());
  }

  @Override
  public Future<Optional<Job>> advance(Lease lease, JsonObject payload, JobStage next, String nextQueue,
                                      ProgressSpan span) {
    return PostgresLeaseSql.advance(pool, lease, payload, next, nextQueue, span, now());
  }

  @Override
  public Future<Optional<Job>> complete(Lease lease, JsonObject payload, JsonObject result) {
    return PostgresLeaseSql.complete(pool, lease, payload, result, now());
  }

  @Override
  public Future<Optional<Job>> retryOrFail(Lease lease, String error, Instant availableAt) {
    return PostgresLeaseSql.retryOrFail(pool, lease, error, availableAt, now());
  }

  @Override
  public Future<Optional<Job>> fail(Lease lease, String error) {
    return PostgresLeaseSql.fail(pool, lease, error, now());
  }

  @Override
  public Future<Optional<Job>> release(Lease lease, Instant availableAt) {
    return PostgresLeaseSql.release(pool, lease, availableAt == null ? now() : availableAt.atOffset(ZoneOffset.UTC),
        now());
  }

  @Override
  public Future<Optional<Job>> progress(Lease lease, int stageProgress) {
    return PostgresLeaseSql.progress(pool, lease, stageProgress, now());
  }

  @Override
  public Future<List<Job>> rescueExpired() {
    return PostgresLeaseSql.rescueExpired(pool, now());
  }

  @Override
  public Future<Optional<Job>> requeue(long id, JobStage stage, String queue, ProgressSpan span) {
    return pool.preparedQuery("""
            UPDATE jobs SET status = 'queued', job_type = $2, queue = $3, retry_count = 0, error = NULL,
                   progress = GREATEST(progress, $5), stage_progress = 0, progress_from = $5, progress_to = $6,
                   lease_owner = NULL, lease_expires_at = NULL, completed_at = NULL, available_at = $4, updated_at = $4
            WHERE id = $1 AND status IN ('failed', 'cancelled')
            RETURNING""" + " " + JOB_COLUMNS)
        .execute(Tuple.of(id, stage.wireName(), queue, now(), span.from(), span.to()))
        .map(PostgresRows::first);
  }

  @Override
  public Future<Optional<Job>> cancel(long id) {
    return pool.preparedQuery("""
            UPDATE jobs SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL,
                   completed_at = $2, updated_at = $2
            WHERE id = $1 AND status IN ('queued', 'processing')
            RETURNING""" + " " + JOB_COLUMNS)
        .execute(Tuple.of(id, now()))
        .map(PostgresRows::first);
  }

  // ---- read-side queries: the SQL is in PostgresJobQueriesSql --------------------------------------------------

  @Override
  public Future<List<Job>> list(JobQuery q) {
    return PostgresJobQueriesSql.list(pool, q);
  }

  @Override
  public Future<Optional<Positioned>> getWithPosition(long id) {
    return PostgresJobQueriesSql.getAllWithPosition(pool, List.of(id)).map(List::getFirst);
  }

  @Override
  public Future<Map<String, Long>> countsByStatus(String ownerUserId) {
    return PostgresJobQueriesSql.countsByStatus(pool, ownerUserId);
  }

  @Override
  public Future<List<QueueStats>> queueStats() {
    return PostgresJobQueriesSql.queueStats(pool, now());
  }

  @Override
  public Future<Map<String, Long>> queueDepths() {
    return PostgresJobQueriesSql.queueDepths(pool);
  }

  // ---- webhook deliveries: the SQL is in PostgresDeliveriesSql -------------------------------------------------

  @Override
  public Future<Boolean> recordDelivery(DeliveryAttempt a) {
    return PostgresDeliveriesSql.recordDelivery(pool, a, now());
  }

  @Override
  public Future<List<DeliveryAttempt>> deliveries(long jobId) {
    return PostgresDeliveriesSql.deliveries(pool, jobId);
  }

  // ---- tiers and daily usage: the SQL is in PostgresQuotaSql ---------------------------------------------------

  @Override
  public Future<Optional<String>> tierOf(String ownerUserId) {
    return PostgresQuotaSql.tierOf(pool, ownerUserId);
  }

  @Override
  public Future<Map<String, String>> tiersOf(Collection<String> owners) {
    return PostgresQuotaSql.tiersOf(pool, owners);
  }

  @Override
  public Future<Void> setTier(String ownerUserId, String tier) {
    return PostgresQuotaSql.setTier(pool, ownerUserId, tier, now());
  }

  @Override
  public Future<DailyUsage> usage(String ownerUserId, LocalDate day) {
    return PostgresQuotaSql.usage(pool, ownerUserId, day);
  }

  @Override
  public Future<Optional<QuotaRefusal>> reserve(Lease lease, double seconds, LocalDate day, Tiers tiers) {
    return pool.withTransaction(conn -> PostgresQuotaSql.reserve(conn, lease, seconds, day, tiers, now()));
  }

  @Override
  public Future<Optional<QuotaRefusal>> reserveForRetry(long jobId, double seconds, LocalDate day, Tiers tiers,
                                                        long secondsToMidnight) {
    return pool.withTransaction(conn -> PostgresQuotaSql.reserveForRetry(conn, jobId, seconds, day, tiers,
        secondsToMidnight, now()));
  }

  @Override
  public Future<Integer> settle(Collection<Long> jobIds) {
    return PostgresQuotaSql.settle(pool, jobIds, now());
  }

  @Override
  public Future<Map<String, Map<String, Long>>> countsByOwner() {
    return PostgresQuotaSql.countsByOwner(pool);
  }

  @Override
  public Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  @Override
  public Future<Void> close() {
    return pool.close();
  }

  private OffsetDateTime now() {
    return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

}
