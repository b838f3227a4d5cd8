package earshot.store.postgres;

import static earshot.store.postgres.PostgresRows.JOB_COLUMNS;
import static earshot.store.postgres.PostgresRows.map;

import earshot.store.JobStore.Acquired;
import earshot.jobs.AcquireSpec;
import earshot.jobs.Job;
import earshot.store.CandidateQueries;
import earshot.tiers.Tier;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Acquisition on Postgres: which queued jobs a worker gets, within each owner's tier limit and, when owner-strict, in
 * weighted fair rotation, and leasing them. Every statement runs on the {@link SqlConnection} of the one transaction
 * {@link PostgresJobStore} opened for the acquisition: candidates are locked with {@code FOR UPDATE SKIP LOCKED},
 * then the owners' advisory locks serialize the limit check, which re-counts processing jobs under them.
 *
 * <p>One instance per store: it keeps the candidate queries built for the tiers that store has seen.
 */
final class PostgresAcquireSql {
  /**
   * Candidates, locked: queued, available jobs ranked within their owner ({@code rn}), minus what would push an
   * owner over their tier's limit (%1$s: the tier's concurrent_jobs). Also yields each owner's tier and rotation
   * start; the limit is checked again under the owners' advisory locks.
   *
   * <p>The ranking runs once, as the array of candidate ids in order ({@code ARRAY(...)} is an InitPlan), and the
   * locking walks that array by primary key. Written as a join of {@code jobs} to the ranked subquery, as it was, the
   * planner chose a nested loop that ran the window function again for every queued row whenever the table's
   * statistics still described it as small (a fresh database, or a burst of submissions before autovacuum's ANALYZE):
   * 200 ms for one acquisition over 600 queued jobs, seconds over thousands. {@code active} is materialized for the
   * same reason: computed once, not once per candidate.
   *
   * <p>The outer WHERE repeats the queue and availability: when a candidate row was changed by another transaction
   * between the snapshot and the lock, Postgres re-checks only the outer query's conditions on the new row version.
   * A job that another scheduler meanwhile ran and queued again for its next stage, on another queue, would otherwise
   * be leased to a runner of the wrong stage.
   */
  private static final String SELECT_CANDIDATES = """
      WITH active AS MATERIALIZED (
        SELECT owner_user_id, COUNT(*) AS n FROM jobs WHERE status = 'processing' GROUP BY owner_user_id
      ), ranked AS (
        SELECT j.id, j.owner_user_id, j.priority, j.created_at, ut.tier,
               ROW_NUMBER() OVER (PARTITION BY j.owner_user_id ORDER BY j.priority DESC, j.created_at, j.id) AS rn,
               COALESCE(a.n, 0) AS active_n
        FROM jobs j LEFT JOIN active a ON a.owner_user_id = j.owner_user_id
        LEFT JOIN user_tiers ut ON ut.user_id = j.owner_user_id
        WHERE j.queue = $1 AND j.status = 'queued' AND j.available_at <= $2
      )
      SELECT j.id, j.owner_user_id, ut.tier, %3$s AS start_pass
      FROM unnest(ARRAY(
        SELECT r.id FROM ranked r LEFT JOIN owner_turns t ON t.owner_user_id = r.owner_user_id
        WHERE r.rn + r.active_n <= %1$s
        ORDER BY %2$s)) WITH ORDINALITY AS c(id, ord)
      JOIN jobs j ON j.id = c.id
      LEFT JOIN user_tiers ut ON ut.user_id = j.owner_user_id
      LEFT JOIN owner_turns t ON t.owner_user_id = j.owner_user_id
      WHERE j.status = 'queued' AND j.queue = $1 AND j.available_at <= $2
      ORDER BY c.ord LIMIT $3
      FOR UPDATE OF j SKIP LOCKED""";
  /** Where an owner's rotation starts; only owner-strict acquisition reads it. */
  private static final String START_PASS =
      "GREATEST(COALESCE(t.pass, 0), (SELECT COALESCE(MAX(pass), 0) FROM owner_turns) - 1)";

  private final CandidateQueries candidates = new CandidateQueries(SELECT_CANDIDATES, START_PASS);

  private static final String RECORD_TURNS = """
      INSERT INTO owner_turns (owner_user_id, last_turn, pass)
      SELECT o, (SELECT COALESCE(MAX(last_turn), 0) FROM owner_turns) + ord, p
      FROM unnest($1::text[], $2::float8[]) WITH ORDINALITY AS u(o, p, ord)
      ON CONFLICT (owner_user_id) DO UPDATE SET last_turn = excluded.last_turn, pass = excluded.pass""";

  private static final String COUNT_ACTIVE = """
      SELECT owner_user_id, COUNT(*) FROM jobs
      WHERE status = 'processing' AND owner_user_id = ANY($1::text[]) GROUP BY owner_user_id""";

  private static final String LEASE = """
      UPDATE jobs SET status = 'processing', lease_owner = $2, lease_expires_at = $3,
             lease_token = lease_token + 1, started_at = COALESCE(started_at, $4), updated_at = $4
      WHERE id = ANY($1::bigint[]) AND status = 'queued' AND queue = $5
      RETURNING""" + " " + JOB_COLUMNS;

  /** The candidate query for {@code spec}, with its parameters $1 (queue), $2 (now) and $3 (how many). */
  String candidateQuery(AcquireSpec spec) {
    return candidates.of(spec);
  }

  Future<Acquired> acquire(SqlConnection conn, AcquireSpec spec, OffsetDateTime now) {
    return conn.preparedQuery(candidates.of(spec))
        .execute(Tuple.of(spec.queue(), now, spec.max()))
        .compose(rows -> {
          List<Long> ids = new ArrayList<>();
          List<String> owners = new ArrayList<>();
          Map<String, Tier> tierOf = new HashMap<>();
          Map<String, String> storedTiers = new HashMap<>();
          Map<String, Double> startOf = new HashMap<>();
          rows.forEach(r -> {
            ids.add(r.getLong(0));
            owners.add(r.getString(1));
            tierOf.put(r.getString(1), spec.tiers().resolve(r.getString(2)));
            if (r.getString(2) != null) {
              storedTiers.put(r.getString(1), r.getString(2));
            }
            startOf.put(r.getString(1), r.getDouble(3));
          });
          if (ids.isEmpty()) {
            return Future.succeededFuture(Acquired.NONE);
          }
          String[] distinctOwners = new LinkedHashSet<>(owners).toArray(String[]::new);
          return PostgresLocks.inKeyOrder(conn, PostgresJobStore.LOCK_NAMESPACE, List.of(distinctOwners))
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
                  return Future.succeededFuture(Acquired.NONE);
                }
                Future<?> turns = spec.ownerStrict() ? recordTurns(conn, served, tierOf, startOf)
                    : Future.succeededFuture();
                return turns.compose(t -> conn.preparedQuery(LEASE)
                    .execute(Tuple.of(admitted.toArray(Long[]::new), spec.worker(),
                        now.plus(spec.lease()), now, spec.queue()))
                    .map(leased -> new Acquired(inOrder(admitted, leased), storedTiers)));
              });
        });
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
}
