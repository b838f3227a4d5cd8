package earshot.store.sqlite;

import earshot.jobs.AcquireSpec;
import earshot.jobs.DeliveryAttempt;
import earshot.jobs.JobQuery;
import earshot.jobs.QueueStats;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import earshot.jobs.Lease;
import earshot.jobs.NewJob;
import earshot.quota.DailyUsage;
import earshot.quota.QuotaRefusal;
import earshot.quota.Tier;
import earshot.quota.Tiers;
import earshot.store.JobStore;
import earshot.store.Migrations;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * SQLite job store (xerial sqlite-jdbc, WAL mode).
 *
 * <p>Threading: one JDBC connection, used only from one dedicated worker thread (a Vert.x worker executor of size
 * one). That makes this process a single writer; {@code BEGIN IMMEDIATE} takes SQLite's write lock so that other
 * processes on the same file serialize with it too. SQLite has no SKIP LOCKED, and with one writer it needs none:
 * acquisition reads candidates and leases them inside one immediate transaction.
 */
public final class SqliteJobStore implements JobStore {
  private static final String JOB_COLUMNS = """
      id, uuid, owner_user_id, domain, job_type, queue, status, priority, retry_count, max_retries, payload,
      result, error, progress, lease_owner, lease_expires_at, lease_token, available_at, idempotency_key,
      created_at, started_at, completed_at, updated_at""";

  private final Path file;
  private final Clock clock;
  private final WorkerExecutor executor;
  private Connection connection; // touched only on the executor's single thread
  private final StatementCache statements = new StatementCache(); // likewise

  private SqliteJobStore(Vertx vertx, Path file, Clock clock) {
    this.file = file;
    this.clock = clock;
    this.executor = vertx.createSharedWorkerExecutor("earshot-sqlite-" + UUID.randomUUID(), 1);
  }

  public static SqliteJobStore create(Vertx vertx, Path file, Clock clock) {
    return new SqliteJobStore(vertx, file, clock);
  }

  @Override
  public String kind() {
    return "sqlite";
  }

  /** A unit of JDBC work; runs on the store thread. */
  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> Future<T> read(Work<T> work) {
    return executor.executeBlocking(() -> work.run(connection()), true);
  }

  /** Runs {@code work} in a {@code BEGIN IMMEDIATE} transaction on the store thread. */
  private <T> Future<T> write(Work<T> work) {
    return executor.executeBlocking(() -> {
      Connection c = connection();
      statements.prepare(c, "BEGIN IMMEDIATE").execute();
      try {
        T result = work.run(c);
        statements.prepare(c, "COMMIT").execute();
        return result;
      } catch (SQLException | RuntimeException e) {
        try (Statement s = c.createStatement()) {
          s.execute("ROLLBACK");
        } catch (SQLException rollback) {
          e.addSuppressed(rollback);
        }
        throw e;
      }
    }, true);
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      try {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
      } catch (IOException e) {
        throw new SQLException("cannot create directory for " + file + ": " + e.getMessage(), e);
      }
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=NORMAL");
        s.execute("PRAGMA busy_timeout=10000");
      }
      c.setAutoCommit(true);
      connection = c;
    }
    return connection;
  }

  @Override
  public Future<Void> migrate() {
    return write(c -> {
      try (Statement s = c.createStatement()) {
        s.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
              version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)""");
      }
      Set<Integer> applied = new HashSet<>();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT version FROM schema_migrations")) {
        while (rs.next()) {
          applied.add(rs.getInt(1));
        }
      }
      for (Migrations.Script script : Migrations.load("sqlite")) {
        if (applied.contains(script.version())) {
          continue;
        }
        try (Statement s = c.createStatement()) {
          for (String sql : script.statements()) {
            s.execute(sql);
          }
        }
        try (PreparedStatement ps = c.prepareStatement(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")) {
          ps.setInt(1, script.version());
          ps.setString(2, script.name());
          ps.setLong(3, now());
          ps.executeUpdate();
        }
      }
      return null;
    });
  }

  @Override
  public Future<Submitted> insert(NewJob job) {
    return write(c -> insertRow(c, job));
  }

  @Override
  public Future<List<Submitted>> insertAll(List<NewJob> jobs) {
    return write(c -> {
      List<Submitted> out = new ArrayList<>(jobs.size());
      for (NewJob job : jobs) {
        out.add(insertRow(c, job));
      }
      return out;
    });
  }

  private static final String INSERT = """
      INSERT INTO jobs (uuid, owner_user_id, domain, job_type, queue, status, priority, max_retries, payload,
                        available_at, idempotency_key, created_at, updated_at)
      VALUES (?, ?, 'audio', ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)
      RETURNING""" + " " + JOB_COLUMNS;

  /** One job, inside the caller's transaction; an owner's repeated idempotency key yields the earlier job. */
  private Submitted insertRow(Connection c, NewJob job) throws SQLException {
    if (job.idempotencyKey() != null) {
      Optional<Job> existing = selectOne(c, "owner_user_id = ? AND idempotency_key = ?",
          job.ownerUserId(), job.idempotencyKey());
      if (existing.isPresent()) {
        return new Submitted(existing.get(), false);
      }
    }
    int priority = job.priority();
    if (job.admission() != null) {
      // The owner's tier is checked in the same transaction, after the rows inserted before this one in a batch.
      Tier tier = job.admission().tiers().resolve(SqliteQuotaSql.tierOf(c, job.ownerUserId()).orElse(null));
      Optional<QuotaRefusal> refusal = SqliteQuotaSql.admit(c, job, tier);
      if (refusal.isPresent()) {
        return Submitted.refused(refusal.get());
      }
      priority += tier.priorityBoost();
    }
    long now = now();
    PreparedStatement ps = statements.prepare(c, INSERT);
    ps.setString(1, job.uuid());
    ps.setString(2, job.ownerUserId());
    ps.setString(3, job.firstStage().wireName());
    ps.setString(4, job.queue());
    ps.setInt(5, priority);
    ps.setInt(6, job.maxRetries());
    ps.setString(7, job.payload().encode());
    ps.setLong(8, now);
    ps.setString(9, job.idempotencyKey());
    ps.setLong(10, now);
    ps.setLong(11, now);
    try (ResultSet rs = ps.executeQuery()) {
      rs.next();
      return new Submitted(map(rs), true);
    }
  }

  @Override
  public Future<Optional<Job>> get(long id) {
    return read(c -> selectOne(c, "id = ?", id));
  }

  /**
   * Candidates: queued, available jobs ranked within their owner ({@code rn}), minus what would push an owner over
   * their tier's limit (%1$s: the tier's concurrent_jobs). Also yields each owner's tier and rotation start.
   */
  private static final String SELECT_CANDIDATES = """
      WITH active AS (
        SELECT owner_user_id, COUNT(*) AS n FROM jobs WHERE status = 'processing' GROUP BY owner_user_id
      ), ranked AS (
        SELECT j.id, j.owner_user_id, j.priority, j.created_at, ut.tier,
               ROW_NUMBER() OVER (PARTITION BY j.owner_user_id ORDER BY j.priority DESC, j.created_at, j.id) AS rn,
               COALESCE(a.n, 0) AS active_n
        FROM jobs j LEFT JOIN active a ON a.owner_user_id = j.owner_user_id
        LEFT JOIN user_tiers ut ON ut.user_id = j.owner_user_id
        WHERE j.queue = ? AND j.status = 'queued' AND j.available_at <= ?
      )
      SELECT r.id, r.owner_user_id, r.tier, %3$s AS start_pass
      FROM ranked r LEFT JOIN owner_turns t ON t.owner_user_id = r.owner_user_id
      WHERE r.rn + r.active_n <= %1$s
      ORDER BY %2$s LIMIT ?""";

  private static final String PRIORITY_ORDER = "r.priority DESC, r.created_at, r.id";
  /**
   * Owner-strict: weighted fair rotation. Each owner's k-th job in this round finishes at start_pass + k/weight (an
   * owner lags at most one turn behind the most served one), so a tier of weight 3 gets three turns for one.
   */
  private static final String OWNER_STRICT_ORDER =
      "start_pass + r.rn * 1.0 / %s, t.last_turn NULLS FIRST, r.priority DESC, r.created_at, r.id";
  /** Where an owner's rotation starts; only owner-strict acquisition reads it. */
  private static final String START_PASS =
      "MAX(COALESCE(t.pass, 0), (SELECT COALESCE(MAX(pass), 0) FROM owner_turns) - 1)";

  /** The candidate query for these tiers, built once per distinct Tiers value (tier names are safe literals). */
  private final Map<Tiers, String> candidateSql = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<Tiers, String> strictCandidateSql = new java.util.concurrent.ConcurrentHashMap<>();

  private String candidates(AcquireSpec spec) {
    return (spec.ownerStrict() ? strictCandidateSql : candidateSql).computeIfAbsent(spec.tiers(), k ->
        SELECT_CANDIDATES.formatted(
        spec.tiers().sqlCase("r.tier", Tier::concurrentJobs),
        spec.ownerStrict() ? OWNER_STRICT_ORDER.formatted(spec.tiers().sqlCase("r.tier", Tier::weight))
            : PRIORITY_ORDER,
        spec.ownerStrict() ? START_PASS : "0"));
  }

  @Override
  public Future<List<Job>> acquire(AcquireSpec spec) {
    return write(c -> {
      long now = now();
      List<Long> ids = new ArrayList<>();
      Map<String, Turn> turns = new java.util.LinkedHashMap<>();
      try (PreparedStatement ps = c.prepareStatement(candidates(spec))) {
        ps.setString(1, spec.queue());
        ps.setLong(2, now);
        ps.setInt(3, spec.max());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getLong(1));
            String owner = rs.getString(2);
            Tier tier = spec.tiers().resolve(rs.getString(3));
            double start = rs.getDouble(4);
            turns.merge(owner, new Turn(start, tier.weight(), 1), (a, b) -> new Turn(a.start, a.weight, a.jobs + 1));
          }
        }
      }
      if (ids.isEmpty()) {
        return List.of();
      }
      if (spec.ownerStrict()) {
        recordTurns(c, turns);
      }
      String in = ids.stream().map(String::valueOf).collect(Collectors.joining(","));
      Map<Long, Job> leased = new HashMap<>();
      try (PreparedStatement ps = c.prepareStatement("""
          UPDATE jobs SET status = 'processing', lease_owner = ?, lease_expires_at = ?,
                 lease_token = lease_token + 1, started_at = COALESCE(started_at, ?), updated_at = ?
          WHERE status = 'queued' AND id IN (%s)
          RETURNING %s""".formatted(in, JOB_COLUMNS))) {
        ps.setString(1, spec.worker());
        ps.setLong(2, now + spec.lease().toMillis());
        ps.setLong(3, now);
        ps.setLong(4, now);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Job j = map(rs);
            leased.put(j.id(), j);
          }
        }
      }
      List<Job> ordered = new ArrayList<>(leased.size());
      for (Long id : ids) {
        Job j = leased.get(id);
        if (j != null) {
          ordered.add(j);
        }
      }
      return ordered;
    });
  }

  /** An owner served in one acquisition: where its rotation started, its tier's weight, how many jobs it got. */
  private record Turn(double start, int weight, int jobs) {
    double pass() {
      return start + (double) jobs / weight;
    }
  }

  /** Remembers the order in which owners were served and how far each advanced, for the owner-strict rotation. */
  private static void recordTurns(Connection c, Map<String, Turn> turns) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO owner_turns (owner_user_id, last_turn, pass)
        VALUES (?, (SELECT COALESCE(MAX(last_turn), 0) + 1 FROM owner_turns), ?)
        ON CONFLICT (owner_user_id) DO UPDATE SET last_turn = excluded.last_turn, pass = excluded.pass""")) {
      for (Map.Entry<String, Turn> e : turns.entrySet()) {
        ps.setString(1, e.getKey());
        ps.setDouble(2, e.getValue().pass());
        ps.executeUpdate();
      }
    }
  }

  @Override
  public Future<Set<Long>> heartbeat(List<Lease> leases, Duration lease) {
    if (leases.isEmpty()) {
      return Future.succeededFuture(Set.of());
    }
    return write(c -> {
      long now = now();
      Set<Long> renewed = new HashSet<>();
      try (PreparedStatement ps = c.prepareStatement("""
          UPDATE jobs SET lease_expires_at = ?, updated_at = ?
          WHERE id = ? AND lease_token = ? AND status = 'processing'""")) {
        for (Lease l : leases) {
          ps.setLong(1, now + lease.toMillis());
          ps.setLong(2, now);
          ps.setLong(3, l.jobId());
          ps.setLong(4, l.token());
          if (ps.executeUpdate() == 1) {
            renewed.add(l.jobId());
          }
        }
      }
      return renewed;
    });
  }

  @Override
  public Future<Optional<Job>> advance(Lease lease, JsonObject payload, JobStage next, String nextQueue) {
    return fenced(lease, """
        status = 'queued', job_type = ?, queue = ?, payload = ?, progress = 0, error = NULL,
        lease_owner = NULL, lease_expires_at = NULL, available_at = ?, updated_at = ?""",
        next.wireName(), nextQueue, payload.encode(), now(), now());
  }

  @Override
  public Future<Optional<Job>> complete(Lease lease, JsonObject payload, JsonObject result) {
    long now = now();
    return fenced(lease, """
        status = 'completed', payload = ?, result = ?, progress = 100, error = NULL,
        lease_owner = NULL, lease_expires_at = NULL, completed_at = ?, updated_at = ?""",
        payload.encode(), result == null ? null : result.encode(), now, now);
  }

  @Override
  public Future<Optional<Job>> retryOrFail(Lease lease, String error, Instant availableAt) {
    long now = now();
    return fenced(lease, """
        status = CASE WHEN retry_count < max_retries THEN 'queued' ELSE 'failed' END,
        completed_at = CASE WHEN retry_count < max_retries THEN NULL ELSE ? END,
        retry_count = CASE WHEN retry_count < max_retries THEN retry_count + 1 ELSE retry_count END,
        error = ?, lease_owner = NULL, lease_expires_at = NULL, available_at = ?, updated_at = ?""",
        now, error, availableAt.toEpochMilli(), now);
  }

  @Override
  public Future<Optional<Job>> fail(Lease lease, String error) {
    long now = now();
    return fenced(lease, """
        status = 'failed', error = ?, lease_owner = NULL, lease_expires_at = NULL, completed_at = ?,
        updated_at = ?""", error, now, now);
  }

  @Override
  public Future<Optional<Job>> release(Lease lease, Instant availableAt) {
    long now = now();
    return fenced(lease, """
        status = 'queued', lease_owner = NULL, lease_expires_at = NULL, available_at = ?, updated_at = ?""",
        availableAt == null ? now : availableAt.toEpochMilli(), now);
  }

  @Override
  public Future<Optional<Job>> progress(Lease lease, int progress) {
    return fenced(lease, "progress = ?, updated_at = ?", Math.clamp(progress, 0, 100), now());
  }

  /** One fenced UPDATE: applies only while the job is processing under the lease's token. */
  private Future<Optional<Job>> fenced(Lease lease, String setClause, Object... params) {
    return write(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE jobs SET " + setClause
          + " WHERE id = ? AND lease_token = ? AND status = 'processing' RETURNING " + JOB_COLUMNS)) {
        int i = bind(ps, params);
        ps.setLong(i++, lease.jobId());
        ps.setLong(i, lease.token());
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(map(rs)) : Optional.<Job>empty();
        }
      }
    });
  }

  @Override
  public Future<Optional<Job>> requeue(long id, JobStage stage, String queue) {
    return write(c -> {
      long now = now();
      try (PreparedStatement ps = c.prepareStatement("""
          UPDATE jobs SET status = 'queued', job_type = ?, queue = ?, retry_count = 0, error = NULL, progress = 0,
                 lease_owner = NULL, lease_expires_at = NULL, completed_at = NULL, available_at = ?, updated_at = ?
          WHERE id = ? AND status IN ('failed', 'cancelled')
          RETURNING""" + " " + JOB_COLUMNS)) {
        bind(ps, stage.wireName(), queue, now, now, id);
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

  @Override
  public Future<List<Job>> rescueExpired() {
    return write(c -> {
      long now = now();
      List<Job> rescued = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("""
          UPDATE jobs SET
            status = CASE WHEN retry_count < max_retries THEN 'queued' ELSE 'failed' END,
            completed_at = CASE WHEN retry_count < max_retries THEN NULL ELSE ? END,
            error = 'lease expired on worker ' || COALESCE(lease_owner, '?')
                    || CASE WHEN retry_count < max_retries THEN '' ELSE '; no retries left' END,
            retry_count = CASE WHEN retry_count < max_retries THEN retry_count + 1 ELSE retry_count END,
            lease_owner = NULL, lease_expires_at = NULL, available_at = ?, updated_at = ?
          WHERE status = 'processing' AND lease_expires_at < ?
          RETURNING""" + " " + JOB_COLUMNS)) {
        ps.setLong(1, now);
        ps.setLong(2, now);
        ps.setLong(3, now);
        ps.setLong(4, now);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            rescued.add(map(rs));
          }
        }
      }
      return rescued;
    });
  }

  @Override
  public Future<List<Job>> list(JobQuery q) {
    return read(c -> {
      List<Object> params = new ArrayList<>();
      StringBuilder where = new StringBuilder("1 = 1");
      if (q.ownerUserId() != null) {
        where.append(" AND owner_user_id = ?");
        params.add(q.ownerUserId());
      }
      if (q.status() != null) {
        where.append(" AND status = ?");
        params.add(q.status().wireName());
      }
      if (q.beforeId() != null) {
        where.append(" AND id < ?");
        params.add(q.beforeId());
      }
      params.add(q.limit());
      List<Job> jobs = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT " + JOB_COLUMNS + " FROM jobs WHERE " + where + " ORDER BY id DESC LIMIT ?")) {
        bind(ps, params.toArray());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            jobs.add(map(rs));
          }
        }
      }
      return jobs;
    });
  }

  /** The job and its queue position in one statement, so both come from the same snapshot. */
  private static final String GET_WITH_POSITION = "SELECT " + JOB_COLUMNS.replaceAll("(\\w+)", "j.$1") + """
      , CASE WHEN j.status <> 'queued' THEN 0 ELSE (
          SELECT COUNT(*) + 1 FROM jobs q
          WHERE q.queue = j.queue AND q.status = 'queued'
            AND (q.priority > j.priority OR (q.priority = j.priority
                 AND (q.created_at < j.created_at OR (q.created_at = j.created_at AND q.id < j.id)))))
        END
      FROM jobs j WHERE j.id = ?""";

  @Override
  public Future<Optional<Positioned>> getWithPosition(long id) {
    return read(c -> getWithPosition(c, statements, id));
  }

  /** Also the read path of {@link SqliteJobReader}, on its own connection and statements. */
  static Optional<Positioned> getWithPosition(Connection c, StatementCache statements, long id) throws SQLException {
    PreparedStatement ps = statements.prepare(c, GET_WITH_POSITION);
    ps.setLong(1, id);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(new Positioned(map(rs), rs.getLong(24))) : Optional.empty();
    }
  }

  @Override
  public Future<Map<String, Long>> countsByStatus(String ownerUserId) {
    return read(c -> {
      Map<String, Long> counts = new HashMap<>();
      String sql = "SELECT status, COUNT(*) FROM jobs" + (ownerUserId == null ? "" : " WHERE owner_user_id = ?")
          + " GROUP BY status";
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        if (ownerUserId != null) {
          ps.setString(1, ownerUserId);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            counts.put(rs.getString(1), rs.getLong(2));
          }
        }
      }
      return counts;
    });
  }

  @Override
  public Future<List<QueueStats>> queueStats() {
    return read(c -> {
      long now = now();
      List<QueueStats> stats = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("""
          SELECT queue,
                 SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END),
                 SUM(CASE WHEN status = 'processing' THEN 1 ELSE 0 END),
                 MIN(CASE WHEN status = 'queued' THEN available_at END)
          FROM jobs WHERE status IN ('queued', 'processing') GROUP BY queue ORDER BY queue""");
           ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long oldest = rs.getLong(4);
          double age = rs.wasNull() ? 0 : Math.max(0, now - oldest) / 1000.0;
          stats.add(new QueueStats(rs.getString(1), rs.getLong(2), rs.getLong(3), age));
        }
      }
      return stats;
    });
  }

  @Override
  public Future<Map<String, Long>> queueDepths() {
    return read(c -> {
      Map<String, Long> depths = new HashMap<>();
      try (Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT queue, COUNT(*) FROM jobs WHERE status = 'queued' GROUP BY queue")) {
        while (rs.next()) {
          depths.put(rs.getString(1), rs.getLong(2));
        }
      }
      return depths;
    });
  }

  @Override
  public Future<Boolean> recordDelivery(DeliveryAttempt a) {
    return write(c -> {
      try (PreparedStatement ps = c.prepareStatement("""
          INSERT INTO webhook_deliveries (job_id, delivery_id, event, url, attempt, status_code, error, duration_ms,
                                          created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (delivery_id, attempt) DO NOTHING""")) {
        bind(ps, a.jobId(), a.deliveryId(), a.event(), a.url(), a.attempt(), a.statusCode(), a.error(),
            a.durationMs(), now());
        return ps.executeUpdate() == 1;
      }
    });
  }

  @Override
  public Future<List<DeliveryAttempt>> deliveries(long jobId) {
    return read(c -> {
      List<DeliveryAttempt> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("""
          SELECT job_id, delivery_id, event, url, attempt, status_code, error, duration_ms, created_at
          FROM webhook_deliveries WHERE job_id = ? ORDER BY id""")) {
        ps.setLong(1, jobId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            int status = rs.getInt("status_code");
            Integer statusCode = rs.wasNull() ? null : status;
            out.add(new DeliveryAttempt(rs.getLong("job_id"), rs.getString("delivery_id"), rs.getString("event"),
                rs.getString("url"), rs.getInt("attempt"), statusCode, rs.getString("error"),
                rs.getLong("duration_ms"), instant(rs, 9)));
          }
        }
      }
      return out;
    });
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

  @Override
  public Future<Void> ping() {
    return read(c -> {
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
        rs.next();
      }
      return null;
    });
  }

  @Override
  public Future<Void> close() {
    return executor.<Void>executeBlocking(() -> {
      if (connection != null) {
        statements.closeAll();
        connection.close();
        connection = null;
      }
      return null;
    }, true).eventually(executor::close);
  }

  /** {@code where} is one of a few fixed texts, so its statement is cached. */
  private Optional<Job> selectOne(Connection c, String where, Object... params) throws SQLException {
    PreparedStatement ps = statements.prepare(c, "SELECT " + JOB_COLUMNS + " FROM jobs WHERE " + where);
    bind(ps, params);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(map(rs)) : Optional.empty();
    }
  }

  private static int bind(PreparedStatement ps, Object... params) throws SQLException {
    int i = 1;
    for (Object p : params) {
      switch (p) {
        case null -> ps.setNull(i, Types.NULL);
        case Long l -> ps.setLong(i, l);
        case Integer n -> ps.setInt(i, n);
        case String s -> ps.setString(i, s);
        default -> throw new IllegalArgumentException("unsupported parameter type " + p.getClass());
      }
      i++;
    }
    return i;
  }

  private long now() {
    return clock.millis();
  }

  /** Maps a row whose first columns are {@link #JOB_COLUMNS}, by position (lookups by name cost a native call each). */
  private static Job map(ResultSet rs) throws SQLException {
    String result = rs.getString(12);
    return new Job(
        rs.getLong(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        JobStage.fromWire(rs.getString(5)),
        rs.getString(6),
        JobStatus.fromWire(rs.getString(7)),
        rs.getInt(8),
        rs.getInt(9),
        rs.getInt(10),
        new JsonObject(rs.getString(11)),
        result == null ? null : new JsonObject(result),
        rs.getString(13),
        rs.getInt(14),
        rs.getString(15),
        instant(rs, 16),
        rs.getLong(17),
        instant(rs, 18),
        rs.getString(19),
        instant(rs, 20),
        instant(rs, 21),
        instant(rs, 22),
        instant(rs, 23));
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(v);
  }
}
