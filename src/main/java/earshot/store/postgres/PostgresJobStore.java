package earshot.store.postgres;

import earshot.config.EarshotConfig;
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
import java.util.HashMap;
import java.util.HashSet;
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
 */
public final class PostgresJobStore implements JobStore {
  private static final String JOB_COLUMNS = """
      id, uuid, owner_user_id, domain, job_type, queue, status, priority, retry_count, max_retries, payload,
      result, error, progress, lease_owner, lease_expires_at, lease_token, available_at, idempotency_key,
      created_at, started_at, completed_at, updated_at""";
  /** Namespace for Earshot's advisory locks (ASCII "EARS"). */
  private static final int LOCK_NAMESPACE = 0x45415253;

  private final Pool pool;
  private final Clock clock;

  private PostgresJobStore(Pool pool, Clock clock) {
    this.pool = pool;
    this.clock = clock;
  }

  public static PostgresJobStore create(Vertx vertx, EarshotConfig.Store config, Clock clock) {
    return new PostgresJobStore(pool(vertx, config, config.poolSize()), clock);
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
    return pool.withTransaction(conn -> conn
        .query("SELECT pg_advisory_xact_lock(" + LOCK_NAMESPACE + ", 0)").execute()
        .compose(v -> conn.query("SET LOCAL client_min_messages = warning").execute())
        .compose(v -> conn.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
              version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)""").execute())
        .compose(v -> conn.query("SELECT version FROM schema_migrations").execute())
        .compose(rows -> {
          Set<Integer> applied = new HashSet<>();
          rows.forEach(r -> applied.add(r.getInteger(0)));
          Future<Void> chain = Future.succeededFuture();
          for (Migrations.Script script : Migrations.load("postgres")) {
            if (!applied.contains(script.version())) {
              chain = chain.compose(v -> apply(conn, script));
            }
          }
          return chain;
        }));
  }

  private Future<Void> apply(SqlConnection conn, Migrations.Script script) {
    Future<?> chain = Future.succeededFuture();
    for (String sql : script.statements()) {
      chain = chain.compose(v -> conn.query(sql).execute());
    }
    return chain
        .compose(v -> conn.preparedQuery("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .execute(Tuple.of(script.version(), script.name(), now())))
        .mapEmpty();
  }

  /** ON CONFLICT DO NOTHING returns no row for a repeated key; the existing job is then read back. */
  private static final String INSERT = """
      INSERT INTO jobs (uuid, owner_user_id, domain, job_type, queue, status, priority, max_retries, payload,
                        available_at, idempotency_key, created_at, updated_at)
      VALUES ($1, $2, 'audio', $3, $4, 'queued', $5, $6, $7, $8, $9, $8, $8)
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
    return pool.withTransaction(conn -> admitAndInsert(conn, job));
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
      List<Integer> priorities = new ArrayList<>(jobs.size());
      boolean nothingToCheck = true;
      for (NewJob job : jobs) {
        Tier tier = job.admission() == null ? null : job.admission().tiers().resolve(stored.get(job.ownerUserId()));
        nothingToCheck &= tier == null || (tier.maxQueuedJobs() == null && tier.dailySeconds() == null);
        priorities.add(job.priority() + (tier == null ? 0 : tier.priorityBoost()));
      }
      if (nothingToCheck) {
        return pipelined(conn, jobs, priorities);
      }
      List<Submitted> out = new ArrayList<>(jobs.size());
      Future<Void> chain = Future.succeededFuture();
      for (NewJob job : jobs) {
        chain = chain.compose(v -> (job.admission() == null ? insertOne(conn, job, job.priority())
            : admitAndInsert(conn, job)).map(s -> {
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

  private Future<Submitted> admitAndInsert(SqlConnection conn, NewJob job) {
    Future<Optional<Job>> found = job.idempotencyKey() == null ? Future.succeededFuture(Optional.empty())
        : conn.preparedQuery(SELECT_BY_KEY).execute(Tuple.of(job.ownerUserId(), job.idempotencyKey()))
            .map(PostgresJobStore::first);
    return found.compose(existing -> {
      if (existing.isPresent()) {
        return Future.succeededFuture(new Submitted(existing.get(), false));
      }
      return PostgresQuotaSql.tierOf(conn, job.ownerUserId())
          .map(stored -> job.admission().tiers().resolve(stored.orElse(null)))
          .compose(tier -> PostgresQuotaSql.admit(conn, job, tier).compose(refusal -> refusal.isPresent()
              ? Future.succeededFuture(Submitted.refused(refusal.get()))
              : insertOne(conn, job, job.priority() + tier.priorityBoost())));
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
        .addString(job.idempotencyKey());
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
        .map(PostgresJobStore::first);
  }

  /**
   * Candidates, locked: queued, available jobs ranked within their owner ({@code rn}), minus what would push an
   * owner over their tier's limit (%1$s: the tier's concurrent_jobs). Also yields each owner's tier and rotation
   * start; the limit is checked again under the owners' advisory locks.
   */
  private static final String SELECT_CANDIDATES = """
      WITH active AS (
        SELECT owner_user_id, COUNT(*) AS n FROM jobs WHERE status = 'processing' GROUP BY owner_user_id
      ), ranked AS (
        SELECT j.id, j.priority, j.created_at, ut.tier,
               ROW_NUMBER() OVER (PARTITION BY j.owner_user_id ORDER BY j.priority DESC, j.created_at, j.id) AS rn,
               COALESCE(a.n, 0) AS active_n
        FROM jobs j LEFT JOIN active a ON a.owner_user_id = j.owner_user_id
        LEFT JOIN user_tiers ut ON ut.user_id = j.owner_user_id
        WHERE j.queue = $1 AND j.status = 'queued' AND j.available_at <= $2
      )
      SELECT j.id, j.owner_user_id, r.tier, %3$s AS start_pass
      FROM jobs j JOIN ranked r ON r.id = j.id
      LEFT JOIN owner_turns t ON t.owner_user_id = j.owner_user_id
      WHERE r.rn + r.active_n <= %1$s AND j.status = 'queued'
      ORDER BY %2$s LIMIT $3
      FOR UPDATE OF j SKIP LOCKED""";
  private static final String PRIORITY_ORDER = "r.priority DESC, r.created_at, r.id";
  /**
   * Owner-strict: weighted fair rotation. Each owner's k-th job in this round finishes at start_pass + k/weight (an
   * owner lags at most one turn behind the most served one), so a tier of weight 3 gets three turns for one.
   */
  private static final String OWNER_STRICT_ORDER =
      "%s + r.rn * 1.0 / %s, t.last_turn NULLS FIRST, r.priority DESC, r.created_at, r.id";
  /** Where an owner's rotation starts (Postgres cannot order by an output alias inside an expression). */
  private static final String START_PASS =
      "GREATEST(COALESCE(t.pass, 0), (SELECT COALESCE(MAX(pass), 0) FROM owner_turns) - 1)";

  private final Map<Tiers, String> candidateSql = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<Tiers, String> strictCandidateSql = new java.util.concurrent.ConcurrentHashMap<>();

  private String candidates(AcquireSpec spec) {
    return (spec.ownerStrict() ? strictCandidateSql : candidateSql).computeIfAbsent(spec.tiers(), k ->
        SELECT_CANDIDATES.formatted(
            spec.tiers().sqlCase("r.tier", Tier::concurrentJobs),
            spec.ownerStrict() ? OWNER_STRICT_ORDER.formatted(START_PASS, spec.tiers().sqlCase("r.tier", Tier::weight))
                : PRIORITY_ORDER, spec.ownerStrict() ? START_PASS : "0"));
  }

  private static final String RECORD_TURNS = """
      INSERT INTO owner_turns (owner_user_id, last_turn, pass)
      SELECT o, (SELECT COALESCE(MAX(last_turn), 0) FROM owner_turns) + ord, p
      FROM unnest($1::text[], $2::float8[]) WITH ORDINALITY AS u(o, p, ord)
      ON CONFLICT (owner_user_id) DO UPDATE SET last_turn = excluded.last_turn, pass = excluded.pass""";

  private static final String LOCK_OWNERS = """
      SELECT pg_advisory_xact_lock(%d, k) FROM (
        SELECT DISTINCT hashtext(o) AS k FROM unnest($1::text[]) AS o
      ) keys ORDER BY k""".formatted(LOCK_NAMESPACE);

  private static final String COUNT_ACTIVE = """
      SELECT owner_user_id, COUNT(*) FROM jobs
      WHERE status = 'processing' AND owner_user_id = ANY($1::text[]) GROUP BY owner_user_id""";

  private static final String LEASE = """
      UPDATE jobs SET status = 'processing', lease_owner = $2, lease_expires_at = $3,
             lease_token = lease_token + 1, started_at = COALESCE(started_at, $4), updated_at = $4
      WHERE id = ANY($1::bigint[]) AND status = 'queued'
      RETURNING""" + " " + JOB_COLUMNS;

  @Override
  public Future<List<Job>> acquire(AcquireSpec spec) {
    OffsetDateTime now = now();
    return pool.withTransaction(conn -> conn.preparedQuery(candidates(spec))
        .execute(Tuple.of(spec.queue(), now, spec.max()))
        .compose(rows -> {
          List<Long> ids = new ArrayList<>();
          List<String> owners = new ArrayList<>();
          Map<String, Tier> tierOf = new HashMap<>();
          Map<String, Double> startOf = new HashMap<>();
          rows.forEach(r -> {
            ids.add(r.getLong(0));
            owners.add(r.getString(1));
            tierOf.put(r.getString(1), spec.tiers().resolve(r.getString(2)));
            startOf.put(r.getString(1), r.getDouble(3));
          });
          if (ids.isEmpty()) {
            return Future.succeededFuture(List.<Job>of());
          }
          String[] distinctOwners = new LinkedHashSet<>(owners).toArray(String[]::new);
          return conn.preparedQuery(LOCK_OWNERS).execute(Tuple.of(distinctOwners))
              .compose(v -> conn.preparedQuery(COUNT_ACTIVE).execute(Tuple.of(distinctOwners)))
              .compose(counts -> {
                Map<String, Long> active = new HashMap<>();
                counts.forEach(r -> active.put(r.getString(0), r.getLong(1)));
                List<Long> admitted = new ArrayList<>();
                Map<String, Integer> served = new java.util.LinkedHashMap<>();
                for (int i = 0; i < ids.size(); i++) {
                  String owner = owners.get(i);
                  long n = active.getOrDefault(owner, 0L);
                  if (n < tierOf.get(owner).concurrentJobs()) {
                    active.put(owner, n + 1);
                    admitted.add(ids.get(i));
                    served.merge(owner, 1, Integer::sum);
                  }
                }
                if (admitted.isEmpty()) {
                  return Future.succeededFuture(List.<Job>of());
                }
                Future<?> turns = spec.ownerStrict() ? recordTurns(conn, served, tierOf, startOf)
                    : Future.succeededFuture();
                return turns.compose(t -> conn.preparedQuery(LEASE)
                    .execute(Tuple.of(admitted.toArray(Long[]::new), spec.worker(),
                        now.plus(spec.lease()), now))
                    .map(leased -> inOrder(admitted, leased)));
              });
        }));
  }

  /** Remembers the order in which owners were served and how far each advanced (by jobs/weight) in the rotation. */
  private static Future<?> recordTurns(SqlConnection conn, Map<String, Integer> served, Map<String, Tier> tierOf,
                                       Map<String, Double> startOf) {
    String[] owners = served.keySet().toArray(String[]::new);
    Double[] passes = new Double[owners.length];
    for (int i = 0; i < owners.length; i++) {
      passes[i] = startOf.get(owners[i]) + (double) served.get(owners[i]) / tierOf.get(owners[i]).weight();
    }
    return conn.preparedQuery(RECORD_TURNS).execute(Tuple.tuple().addArrayOfString(owners).addArrayOfDouble(passes));
  }

  private static List<Job> inOrder(List<Long> ids, RowSet<Row> rows) {
    Map<Long, Job> byId = new HashMap<>();
    rows.forEach(r -> byId.put(r.getLong("id"), map(r)));
    List<Job> out = new ArrayList<>();
    for (Long id : ids) {
      Job j = byId.get(id);
      if (j != null) {
        out.add(j);
      }
    }
    return out;
  }

  @Override
  public Future<Set<Long>> heartbeat(List<Lease> leases, Duration lease) {
    if (leases.isEmpty()) {
      return Future.succeededFuture(Set.of());
    }
    OffsetDateTime now = now();
    Long[] ids = leases.stream().map(Lease::jobId).toArray(Long[]::new);
    Long[] tokens = leases.stream().map(Lease::token).toArray(Long[]::new);
    return pool.preparedQuery("""
            UPDATE jobs SET lease_expires_at = $1, updated_at = $2
            FROM unnest($3::bigint[], $4::bigint[]) AS held(id, token)
            WHERE jobs.id = held.id AND jobs.lease_token = held.token AND jobs.status = 'processing'
            RETURNING jobs.id""")
        .execute(Tuple.of(now.plus(lease), now, ids, tokens))
        .map(rows -> {
          Set<Long> renewed = new HashSet<>();
          rows.forEach(r -> renewed.add(r.getLong(0)));
          return renewed;
        });
  }

  @Override
  public Future<Optional<Job>> advance(Lease lease, JsonObject payload, JobStage next, String nextQueue) {
    OffsetDateTime now = now();
    return fenced(lease, """
        status = 'queued', job_type = $3, queue = $4, payload = $5, progress = 0, error = NULL,
        lease_owner = NULL, lease_expires_at = NULL, available_at = $6, updated_at = $6""",
        next.wireName(), nextQueue, payload, now);
  }

  @Override
  public Future<Optional<Job>> complete(Lease lease, JsonObject payload, JsonObject result) {
    return fenced(lease, """
        status = 'completed', payload = $3, result = $4, progress = 100, error = NULL,
        lease_owner = NULL, lease_expires_at = NULL, completed_at = $5, updated_at = $5""",
        payload, result, now());
  }

  @Override
  public Future<Optional<Job>> retryOrFail(Lease lease, String error, Instant availableAt) {
    return fenced(lease, """
        status = CASE WHEN retry_count < max_retries THEN 'queued' ELSE 'failed' END,
        completed_at = CASE WHEN retry_count < max_retries THEN NULL ELSE $5 END,
        retry_count = CASE WHEN retry_count < max_retries THEN retry_count + 1 ELSE retry_count END,
        error = $3, lease_owner = NULL, lease_expires_at = NULL, available_at = $4, updated_at = $5""",
        error, availableAt.atOffset(ZoneOffset.UTC), now());
  }

  @Override
  public Future<Optional<Job>> fail(Lease lease, String error) {
    return fenced(lease, """
        status = 'failed', error = $3, lease_owner = NULL, lease_expires_at = NULL, completed_at = $4,
        updated_at = $4""", error, now());
  }

  @Override
  public Future<Optional<Job>> release(Lease lease, Instant availableAt) {
    return fenced(lease, """
        status = 'queued', lease_owner = NULL, lease_expires_at = NULL, available_at = $3, updated_at = $4""",
        availableAt == null ? now() : availableAt.atOffset(ZoneOffset.UTC), now());
  }

  @Override
  public Future<Optional<Job>> progress(Lease lease, int progress) {
    return fenced(lease, "progress = $3, updated_at = $4", Math.clamp(progress, 0, 100), now());
  }

  /** One fenced UPDATE: $1 is the job id and $2 its lease token; the SET clause numbers its own from $3. */
  private Future<Optional<Job>> fenced(Lease lease, String setClause, Object... params) {
    Tuple tuple = Tuple.of(lease.jobId(), lease.token());
    for (Object p : params) {
      tuple.addValue(p);
    }
    return pool.preparedQuery("UPDATE jobs SET " + setClause
            + " WHERE id = $1 AND lease_token = $2 AND status = 'processing' RETURNING " + JOB_COLUMNS)
        .execute(tuple)
        .map(PostgresJobStore::first);
  }

  @Override
  public Future<Optional<Job>> requeue(long id, JobStage stage, String queue) {
    return pool.preparedQuery("""
            UPDATE jobs SET status = 'queued', job_type = $2, queue = $3, retry_count = 0, error = NULL, progress = 0,
                   lease_owner = NULL, lease_expires_at = NULL, completed_at = NULL, available_at = $4, updated_at = $4
            WHERE id = $1 AND status IN ('failed', 'cancelled')
            RETURNING""" + " " + JOB_COLUMNS)
        .execute(Tuple.of(id, stage.wireName(), queue, now()))
        .map(PostgresJobStore::first);
  }

  @Override
  public Future<Optional<Job>> cancel(long id) {
    return pool.preparedQuery("""
            UPDATE jobs SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL,
                   completed_at = $2, updated_at = $2
            WHERE id = $1 AND status IN ('queued', 'processing')
            RETURNING""" + " " + JOB_COLUMNS)
        .execute(Tuple.of(id, now()))
        .map(PostgresJobStore::first);
  }

  @Override
  public Future<List<Job>> rescueExpired() {
    return pool.preparedQuery("""
            UPDATE jobs SET
              status = CASE WHEN retry_count < max_retries THEN 'queued' ELSE 'failed' END,
              completed_at = CASE WHEN retry_count < max_retries THEN NULL ELSE $1 END,
              error = 'lease expired on worker ' || COALESCE(lease_owner, '?')
                      || CASE WHEN retry_count < max_retries THEN '' ELSE '; no retries left' END,
              retry_count = CASE WHEN retry_count < max_retries THEN retry_count + 1 ELSE retry_count END,
              lease_owner = NULL, lease_expires_at = NULL, available_at = $1, updated_at = $1
            WHERE status = 'processing' AND lease_expires_at < $1
            RETURNING""" + " " + JOB_COLUMNS)
        .execute(Tuple.of(now()))
        .map(rows -> {
          List<Job> out = new ArrayList<>();
          rows.forEach(r -> out.add(map(r)));
          return out;
        });
  }

  @Override
  public Future<List<Job>> list(JobQuery q) {
    Tuple params = Tuple.tuple();
    StringBuilder where = new StringBuilder("TRUE");
    if (q.ownerUserId() != null) {
      params.addString(q.ownerUserId());
      where.append(" AND owner_user_id = $").append(params.size());
    }
    if (q.status() != null) {
      params.addString(q.status().wireName());
      where.append(" AND status = $").append(params.size());
    }
    if (q.beforeId() != null) {
      params.addLong(q.beforeId());
      where.append(" AND id < $").append(params.size());
    }
    params.addInteger(q.limit());
    return pool.preparedQuery("SELECT " + JOB_COLUMNS + " FROM jobs WHERE " + where + " ORDER BY id DESC LIMIT $"
            + params.size())
        .execute(params)
        .map(rows -> {
          List<Job> out = new ArrayList<>();
          rows.forEach(r -> out.add(map(r)));
          return out;
        });
  }

  private static final String GET_WITH_POSITION = "SELECT " + JOB_COLUMNS + """
      , CASE WHEN j.status <> 'queued' THEN 0 ELSE (
          SELECT COUNT(*) + 1 FROM jobs q
          WHERE q.queue = j.queue AND q.status = 'queued'
            AND (q.priority > j.priority OR (q.priority = j.priority AND (q.created_at, q.id) < (j.created_at, j.id))))
        END AS queue_position
      FROM jobs j WHERE j.id = $1""";

  @Override
  public Future<Optional<Positioned>> getWithPosition(long id) {
    return getWithPosition(pool, id);
  }

  /** Also the read path of {@link PostgresJobReader}, on its own pool. */
  static Future<Optional<Positioned>> getWithPosition(SqlClient client, long id) {
    return client.preparedQuery(GET_WITH_POSITION)
        .execute(Tuple.of(id))
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.empty();
          }
          Row row = rows.iterator().next();
          return Optional.of(new Positioned(map(row), row.getLong("queue_position")));
        });
  }

  @Override
  public Future<Map<String, Long>> countsByStatus(String ownerUserId) {
    String sql = "SELECT status, COUNT(*) FROM jobs" + (ownerUserId == null ? "" : " WHERE owner_user_id = $1")
        + " GROUP BY status";
    return pool.preparedQuery(sql).execute(ownerUserId == null ? Tuple.tuple() : Tuple.of(ownerUserId))
        .map(rows -> {
          Map<String, Long> counts = new HashMap<>();
          rows.forEach(r -> counts.put(r.getString(0), r.getLong(1)));
          return counts;
        });
  }

  @Override
  public Future<List<QueueStats>> queueStats() {
    OffsetDateTime now = now();
    return pool.preparedQuery("""
            SELECT queue,
                   COUNT(*) FILTER (WHERE status = 'queued'),
                   COUNT(*) FILTER (WHERE status = 'processing'),
                   EXTRACT(EPOCH FROM ($1 - MIN(available_at) FILTER (WHERE status = 'queued')))
            FROM jobs WHERE status IN ('queued', 'processing') GROUP BY queue ORDER BY queue""")
        .execute(Tuple.of(now))
        .map(rows -> {
          List<QueueStats> out = new ArrayList<>();
          rows.forEach(r -> {
            Object age = r.getValue(3);
            double seconds = age instanceof Number n ? Math.max(0, n.doubleValue()) : 0;
            out.add(new QueueStats(r.getString(0), r.getLong(1), r.getLong(2), seconds));
          });
          return out;
        });
  }

  @Override
  public Future<Map<String, Long>> queueDepths() {
    return pool.query("SELECT queue, COUNT(*) FROM jobs WHERE status = 'queued' GROUP BY queue").execute()
        .map(rows -> {
          Map<String, Long> depths = new HashMap<>();
          rows.forEach(r -> depths.put(r.getString(0), r.getLong(1)));
          return depths;
        });
  }

  @Override
  public Future<Boolean> recordDelivery(DeliveryAttempt a) {
    Tuple params = Tuple.tuple()
        .addLong(a.jobId())
        .addString(a.deliveryId())
        .addString(a.event())
        .addString(a.url())
        .addInteger(a.attempt())
        .addInteger(a.statusCode())
        .addString(a.error())
        .addLong(a.durationMs())
        .addOffsetDateTime(now());
    return pool.preparedQuery("""
            INSERT INTO webhook_deliveries (job_id, delivery_id, event, url, attempt, status_code, error, duration_ms,
                                            created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (delivery_id, attempt) DO NOTHING""")
        .execute(params)
        .map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<List<DeliveryAttempt>> deliveries(long jobId) {
    return pool.preparedQuery("""
            SELECT job_id, delivery_id, event, url, attempt, status_code, error, duration_ms, created_at
            FROM webhook_deliveries WHERE job_id = $1 ORDER BY id""")
        .execute(Tuple.of(jobId))
        .map(rows -> {
          List<DeliveryAttempt> out = new ArrayList<>();
          rows.forEach(r -> out.add(new DeliveryAttempt(r.getLong("job_id"), r.getString("delivery_id"),
              r.getString("event"), r.getString("url"), r.getInteger("attempt"), r.getInteger("status_code"),
              r.getString("error"), r.getLong("duration_ms"), instant(r, "created_at"))));
          return out;
        });
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

  private static Optional<Job> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(map(rows.iterator().next()));
  }

  private static Job map(Row r) {
    Object result = r.getValue("result");
    return new Job(
        r.getLong("id"),
        r.getString("uuid"),
        r.getString("owner_user_id"),
        r.getString("domain"),
        JobStage.fromWire(r.getString("job_type")),
        r.getString("queue"),
        JobStatus.fromWire(r.getString("status")),
        r.getInteger("priority"),
        r.getInteger("retry_count"),
        r.getInteger("max_retries"),
        (JsonObject) r.getValue("payload"),
        result instanceof JsonObject o ? o : null,
        r.getString("error"),
        r.getInteger("progress"),
        r.getString("lease_owner"),
        instant(r, "lease_expires_at"),
        r.getLong("lease_token"),
        instant(r, "available_at"),
        r.getString("idempotency_key"),
        instant(r, "created_at"),
        instant(r, "started_at"),
        instant(r, "completed_at"),
        instant(r, "updated_at"));
  }

  private static Instant instant(Row r, String column) {
    OffsetDateTime t = r.getOffsetDateTime(column);
    return t == null ? null : t.toInstant();
  }
}
