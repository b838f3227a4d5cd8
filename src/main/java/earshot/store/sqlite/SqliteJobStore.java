package earshot.store.sqlite;

import static earshot.store.sqlite.SqliteRows.JOB_COLUMNS;
import static earshot.store.sqlite.SqliteRows.bind;
import static earshot.store.sqlite.SqliteRows.map;

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
import earshot.store.WriteHealth;
import earshot.store.sqlite.SqliteStoreThread.Work;
import earshot.tiers.DailyUsage;
import earshot.tiers.QuotaRefusal;
import earshot.tiers.Tier;
import earshot.tiers.Tiers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * SQLite job store (xerial sqlite-jdbc, WAL mode).
 *
 * <p>Threading: one JDBC connection, used only from one dedicated worker thread ({@link SqliteStoreThread}, which
 * also runs the transactions and repairs the connection after a failure). That makes this process a single writer;
 * {@code BEGIN IMMEDIATE} takes SQLite's write lock so that other processes on the same file serialize with it too.
 * SQLite has no SKIP LOCKED, and with one writer it needs none: acquisition reads candidates and leases them inside
 * one immediate transaction.
 *
 * <p>WAL checkpoints run beside that thread ({@link SqliteCheckpointer}), not in its commits.
 *
 * <p>Readiness: {@link #ping} tells whether the store can write now ({@link WriteHealth}, with a one-row write probe).
 *
 * <p>This class owns submission, requeue and cancel; the other statements are in this package's {@code Sqlite*Sql}
 * classes, one per responsibility, run here through {@code read} and {@code write} on the store thread.
 */
public final class SqliteJobStore implements JobStore {
  private final Clock clock;
  private final SqliteStoreThread thread;
  private final StatementCache statements; // the thread's, used only inside its units of work
  private final SqliteAcquireSql acquisition = new SqliteAcquireSql();
  private final SqliteCheckpointer checkpointer;
  private final WriteHealth health = new WriteHealth(this::probe);

  private SqliteJobStore(Vertx vertx, Path file, Clock clock) {
    this.clock = clock;
    this.thread = new SqliteStoreThread(vertx, file, health::failed);
    this.statements = thread.statements();
    this.checkpointer = new SqliteCheckpointer(vertx, file);
  }

  public static SqliteJobStore create(Vertx vertx, Path file, Clock clock) {
    return new SqliteJobStore(vertx, file, clock);
  }

  @Override
  public String kind() {
    return "sqlite";
  }

  private <T> Future<T> read(Work<T> work) {
    return thread.read(work);
  }

  private <T> Future<T> write(Work<T> work) {
    return thread.write(work);
  }

  @Override
  public Future<Void> migrate() {
    return write(c -> {
      SqliteMigrationSql.migrate(c, this::now);
      return (Void) null;
    }).onSuccess(v -> checkpointer.start());
  }


  @Override
  public Future<Submitted> insert(NewJob job) {
    return write(c -> SqliteSubmitSql.insert(c, statements, job, new HashMap<>(), now()));
  }

  @Override
  public Future<List<Submitted>> insertAll(List<NewJob> jobs) {
    return write(c -> {
      List<Submitted> out = new ArrayList<>(jobs.size());
      Map<String, Tier> tiers = new HashMap<>();
      for (NewJob job : jobs) {
        out.add(SqliteSubmitSql.insert(c, statements, job, tiers, now()));
      }
      return out;
    });
  }

  @Override
  public Future<Optional<Job>> get(long id) {
    return read(c -> selectOne(c, "id = ?", id));
  }

  @Override
  public Future<Acquired> acquireWithTiers(AcquireSpec spec) {
    return write(c -> acquisition.acquire(c, spec, now()));
  }

  // ---- the held lease: the SQL is in SqliteLeaseSql ------------------------------------------------------------

  @Override
  public Future<Set<Long>> heartbeat(List<Lease> leases, Duration lease) {
    if (leases.isEmpty()) {
      return Future.succeededFuture(Set.of());
    }
    return write(c -> SqliteLeaseSql.heartbeat(c, leases, lease, now()));
  }

  @Override
  public Future<Optional<Job>> advance(Lease lease, JsonObject payload, JobStage next, String nextQueue,
                                      ProgressSpan span) {
    return write(SqliteLeaseSql.advance(lease, payload, next, nextQueue, span, now(), now()));
  }

  @Override
  public Future<Optional<Job>> complete(Lease lease, JsonObject payload, JsonObject result) {
    return write(SqliteLeaseSql.complete(lease, payload, result, now()));
  }

  @Override
  public Future<Optional<Job>> retryOrFail(Lease lease, String error, Instant availableAt) {
    return write(SqliteLeaseSql.retryOrFail(lease, error, availableAt, now()));
  }

  @Override
  public Future<Optional<Job>> fail(Lease lease, String error, JobFailure failure) {
    return write(SqliteLeaseSql.fail(lease, error, failure, now()));
  }

  @Override
  public Future<Optional<Job>> release(Lease lease, Instant availableAt) {
    return write(SqliteLeaseSql.release(lease, availableAt, now()));
  }

  @Override
  public Future<Optional<Job>> progress(Lease lease, int stageProgress) {
    return write(SqliteLeaseSql.progress(lease, stageProgress, now()));
  }

  @Override
  public Future<List<Job>> rescueExpired() {
    return write(c -> SqliteLeaseSql.rescueExpired(c, now()));
  }

  @Override
  public Future<Optional<Job>> requeue(long id, JobStage stage, String queue, ProgressSpan span) {
    return write(c -> {
      long now = now();
      try (PreparedStatement ps = c.prepareStatement("""
          UPDATE jobs SET status = 'queued', job_type = ?, queue = ?, retry_count = 0, error = NULL, failure = NULL,
                 progress = MAX(progress, ?), stage_progress = 0, progress_from = ?, progress_to = ?,
                 lease_owner = NULL, lease_expires_at = NULL, completed_at = NULL, available_at = ?, updated_at = ?
          WHERE id = ? AND status IN ('failed', 'cancelled')
          RETURNING""" + " " + JOB_COLUMNS)) {
        bind(ps, stage.wireName(), queue, span.from(), span.from(), span.to(), now, now, id);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(map(rs)) : Optional.<Job>empty();
        }
      }
    });
  }

  @Override
  public Future<Optional<Job>> cancel(long id) {
    return write(c -> {
      long now = now();
      try (PreparedStatement ps = c.prepareStatement("""
          UPDATE jobs SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL,
                 completed_at = ?, updated_at = ?
          WHERE id = ? AND status IN ('queued', 'processing')
          RETURNING""" + " " + JOB_COLUMNS)) {
        ps.setLong(1, now);
        ps.setLong(2, now);
        ps.setLong(3, id);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(map(rs)) : Optional.<Job>empty();
        }
      }
    });
  }

  // ---- read-side queries: the SQL is in SqliteJobQueriesSql ----------------------------------------------------

  @Override
  public Future<List<Job>> list(JobQuery q) {
    return read(c -> SqliteJobQueriesSql.list(c, q));
  }

  @Override
  public Future<Optional<Positioned>> getWithPosition(long id) {
    return read(c -> SqliteJobQueriesSql.getAllWithPosition(c, statements, List.of(id)).getFirst());
  }

  @Override
  public Future<Map<String, Long>> countsByStatus(String ownerUserId) {
    return read(c -> SqliteJobQueriesSql.countsByStatus(c, ownerUserId));
  }

  @Override
  public Future<List<QueueStats>> queueStats() {
    return read(c -> SqliteJobQueriesSql.queueStats(c, now()));
  }

  @Override
  public Future<Map<String, Long>> queueDepths() {
    return read(SqliteJobQueriesSql::queueDepths);
  }

  // ---- job events: the SQL is in SqliteEventsSql -----------------------------------------------------------------

  /** One transaction for the batch: one commit however many events. */
  @Override
  public Future<List<Long>> appendEvents(List<RecordedEvent> events) {
    return write(c -> {
      List<Long> seqs = new java.util.ArrayList<>(events.size());
      long now = now();
      for (RecordedEvent e : events) {
        seqs.add(SqliteEventsSql.append(c, statements, e.jobId(), e.ownerUserId(), e.event(), e.job(), now));
      }
      return seqs;
    });
  }

  @Override
  public Future<Integer> pruneEvents(Instant before) {
    return write(c -> SqliteEventsSql.prune(c, statements, before.toEpochMilli()));
  }

  // ---- webhook deliveries: the SQL is in SqliteDeliveriesSql ---------------------------------------------------

  @Override
  public Future<Boolean> recordDelivery(DeliveryAttempt a) {
    return write(c -> SqliteDeliveriesSql.recordDelivery(c, a, now()));
  }

  @Override
  public Future<List<DeliveryAttempt>> deliveries(long jobId) {
    return read(c -> SqliteDeliveriesSql.deliveries(c, jobId));
  }

  // ---- tiers and daily usage: the SQL is in SqliteQuotaSql -----------------------------------------------------

  @Override
  public Future<Optional<String>> tierOf(String ownerUserId) {
    return read(c -> SqliteQuotaSql.tierOf(c, ownerUserId));
  }

  @Override
  public Future<Map<String, String>> tiersOf(Collection<String> owners) {
    return read(c -> SqliteQuotaSql.tiersOf(c, owners));
  }

  @Override
  public Future<Void> setTier(String ownerUserId, String tier) {
    return write(c -> {
      SqliteQuotaSql.setTier(c, ownerUserId, tier, now());
      return null;
    });
  }

  @Override
  public Future<DailyUsage> usage(String ownerUserId, LocalDate day) {
    return read(c -> SqliteQuotaSql.usage(c, ownerUserId, day));
  }

  @Override
  public Future<DailyUsage> addStreamed(String ownerUserId, double seconds, LocalDate day) {
    return write(c -> {
      SqliteQuotaSql.addUsage(c, ownerUserId, day.toString(), seconds, 0, now());
      return SqliteQuotaSql.usage(c, ownerUserId, day);
    });
  }

  @Override
  public Future<Optional<QuotaRefusal>> reserve(Lease lease, double seconds, LocalDate day, Tiers tiers) {
    return write(c -> SqliteQuotaSql.reserve(c, lease, seconds, day, tiers, now()));
  }

  @Override
  public Future<Optional<QuotaRefusal>> reserveForRetry(long jobId, double seconds, LocalDate day, Tiers tiers,
                                                        long secondsToMidnight) {
    return write(c -> SqliteQuotaSql.reserveForRetry(c, jobId, seconds, day, tiers, secondsToMidnight, now()));
  }

  @Override
  public Future<Integer> settle(Collection<Long> jobIds) {
    return write(c -> SqliteQuotaSql.settle(c, jobIds, now()));
  }

  @Override
  public Future<Map<String, Map<String, Long>>> countsByOwner() {
    return read(SqliteQuotaSql::countsByOwner);
  }

  /** Whether the store can write now (see {@link WriteHealth}); a /ready request probes at most every few seconds. */
  @Override
  public Future<Void> ping() {
    return health.check();
  }

  /** The probe: rewrites the one row of {@code store_health} in a write transaction of its own. */
  private Future<Void> probe() {
    return write(c -> {
      PreparedStatement ps = statements.prepare(c, "UPDATE store_health SET probed_at = ?");
      ps.setLong(1, now());
      ps.executeUpdate();
      return null;
    });
  }

  @Override
  public Future<Void> close() {
    return checkpointer.close().eventually(thread::close);
  }

  /** {@code where} is one of a few fixed texts, so its statement is cached. */
  private Optional<Job> selectOne(Connection c, String where, Object... params) throws SQLException {
    PreparedStatement ps = statements.prepare(c, "SELECT " + JOB_COLUMNS + " FROM jobs WHERE " + where);
    bind(ps, params);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(map(rs)) : Optional.empty();
    }
  }

  private long now() {
    return clock.millis();
  }
}
