package earshot.store.postgres;

import static earshot.store.postgres.PostgresRows.JOB_COLUMNS;

import earshot.config.EarshotConfig;
import earshot.jobs.AcquireSpec;
import earshot.jobs.DeliveryAttempt;
import earshot.jobs.Job;
import earshot.jobs.RecordedEvent;
import earshot.jobs.JobFailure;
import earshot.jobs.JobQuery;
import earshot.jobs.JobStage;
import earshot.jobs.Lease;
import earshot.jobs.NewJob;
import earshot.jobs.ProgressSpan;
import earshot.jobs.QueueStats;
import earshot.store.JobStore;
import earshot.store.StoreFullException;
import earshot.store.WriteHealth;
import earshot.tiers.DailyUsage;
import earshot.tiers.QuotaRefusal;
import earshot.tiers.Tiers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
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
 * <p>A failed write leaves nothing behind to repair: the pool rolls the transaction back and keeps (or replaces) the
 * connection, so the store goes on by itself once a full disk has room again. Readiness: {@link #ping} tells whether
 * the store can write now ({@link WriteHealth}, with a write probe that needs a new page from the disk).
 *
 * <p>This class owns the pool and the transactions, requeue and cancel; the other statements are in this package's
 * {@code Postgres*Sql} classes, one per responsibility, each run on the pool or the transaction given it.
 */
public final class PostgresJobStore implements JobStore {
  /** Namespace for Earshot's advisory locks (ASCII "EARS"); migration and acquisition take them. */
  static final int LOCK_NAMESPACE = 0x45415253;

  private final Pool pool;
  private final Clock clock;
  /** SQLSTATE of a write the disk had no room for. */
  private static final String DISK_FULL = "53100";

  private final PostgresAcquireSql acquisition = new PostgresAcquireSql();
  private final int poolSize;
  private final WriteHealth health = new WriteHealth(this::probe);

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

  @Override
  public Future<Submitted> insert(NewJob job) {
    return written(PostgresSubmitSql.insert(pool, job, this::now));
  }

  @Override
  public Future<List<Submitted>> insertAll(List<NewJob> jobs) {
    return written(PostgresSubmitSql.insertAll(pool, jobs, this::now));
  }

  /**
   * A submission's outcome, as the caller sees it: a full disk fails it with {@link StoreFullException} and tells
   * {@link #health}, so that readiness turns until a probe writes again.
   */
  private <T> Future<T> written(Future<T> write) {
    return write.recover(err -> {
      if (!(err instanceof PgException pg) || !isStorageFailure(pg.getSqlState())) {
        return Future.failedFuture(err);
      }
      health.failed(err);
      return Future.failedFuture(DISK_FULL.equals(pg.getSqlState())
          ? new StoreFullException("the database's disk is full: " + pg.getErrorMessage(), err) : err);
    });
  }

  /** {@code 53100} disk_full, or class 58 (system error: I/O, a missing or duplicate file). */
  static boolean isStorageFailure(String sqlState) {
    return DISK_FULL.equals(sqlState) || (sqlState != null && sqlState.startsWith("58"));
  }

  @Override
  public Future<Optional<Job>> get(long id) {
    return pool.preparedQuery("SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = $1")
        .execute(Tuple.of(id))
        .map(PostgresRows::first);
  }

  @Override
  public Future<Acquired> acquireWithTiers(AcquireSpec spec) {
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
  public Future<Optional<Job>> fail(Lease lease, String error, JobFailure failure) {
    return PostgresLeaseSql.fail(pool, lease, error, failure, now());
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
            UPDATE jobs SET status = 'queued', job_type = $2, queue = $3, retry_count = 0, error = NULL, failure = NULL,
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

  // ---- job events: the SQL is in PostgresEventsSql -------------------------------------------------------------

  @Override
  public Future<List<Long>> appendEvents(List<RecordedEvent> events) {
    return written(PostgresEventsSql.append(pool, events, now()));
  }

  @Override
  public Future<Integer> pruneEvents(Instant before) {
    return PostgresEventsSql.prune(pool, before.atOffset(java.time.ZoneOffset.UTC));
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
  public Future<DailyUsage> addStreamed(String ownerUserId, double seconds, LocalDate day) {
    return PostgresQuotaSql.addUsage(pool, ownerUserId, day, seconds, 0, now())
        .compose(v -> PostgresQuotaSql.usage(pool, ownerUserId, day));
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

  /** Whether the store can write now (see {@link WriteHealth}); a /ready request probes at most every few seconds. */
  @Override
  public Future<Void> ping() {
    return health.check();
  }

  /**
   * The probe: empties {@code store_health} and inserts one row, in a transaction of its own. The truncated table is a
   * new, empty file, so the insert takes a new page from the disk, as a new job's row would (an update in place
   * still succeeds on a full disk). Another scheduler's probe holds the table's lock for a moment at most.
   */
  private Future<Void> probe() {
    return pool.withTransaction(conn -> conn.query("SET LOCAL lock_timeout = '2s'").execute()
        .compose(v -> conn.query("TRUNCATE store_health").execute())
        .compose(v -> conn.preparedQuery("INSERT INTO store_health (probed_at) VALUES ($1)").execute(Tuple.of(now())))
        .<Void>mapEmpty());
  }

  @Override
  public Future<Void> close() {
    return pool.close();
  }

  private OffsetDateTime now() {
    return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

}
