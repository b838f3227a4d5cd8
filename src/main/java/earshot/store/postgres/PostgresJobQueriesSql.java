package earshot.store.postgres;

import static earshot.store.postgres.PostgresRows.JOB_COLUMNS;
import static earshot.store.postgres.PostgresRows.map;

import earshot.jobs.Job;
import earshot.jobs.JobQuery;
import earshot.jobs.QueueStats;
import earshot.store.JobStore.Positioned;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The read-only job queries of the Postgres store: listings, a job with its queue position, and the counts behind
 * summaries and queue statistics. Each is one statement on the client it is given: the store's pool, or for
 * {@link #getAllWithPosition} also the pool of a {@link PostgresJobReader}.
 */
final class PostgresJobQueriesSql {
  private PostgresJobQueriesSql() {}

  static Future<List<Job>> list(SqlClient c, JobQuery q) {
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
    return c.preparedQuery("SELECT " + JOB_COLUMNS + " FROM jobs WHERE " + where + " ORDER BY id DESC LIMIT $"
            + params.size())
        .execute(params)
        .map(rows -> {
          List<Job> out = new ArrayList<>();
          rows.forEach(r -> out.add(map(r)));
          return out;
        });
  }

  /** Jobs with their queue positions, in one statement for any number of ids. */
  private static final String GET_WITH_POSITION = "SELECT " + JOB_COLUMNS + """
      , CASE WHEN j.status <> 'queued' THEN 0 ELSE (
          SELECT COUNT(*) + 1 FROM jobs q
          WHERE q.queue = j.queue AND q.status = 'queued'
            AND (q.priority > j.priority OR (q.priority = j.priority AND (q.created_at, q.id) < (j.created_at, j.id))))
        END AS queue_position
      FROM jobs j WHERE j.id = ANY($1)""";

  /**
   * Several jobs with their queue positions in one statement; answers in the order of {@code ids}. Also the read path
   * of {@link PostgresJobReader}, on its own pool.
   */
  static Future<Map<String, String>> statusesByUuid(SqlClient client, List<String> uuids) {
    return client.preparedQuery("SELECT uuid, status FROM jobs WHERE uuid = ANY($1)")
        .execute(Tuple.tuple().addArrayOfString(uuids.toArray(new String[0])))
        .map(rows -> {
          Map<String, String> out = new HashMap<>();
          rows.forEach(row -> out.put(row.getString(0), row.getString(1)));
          return out;
        });
  }

  static Future<List<Optional<Positioned>>> getAllWithPosition(SqlClient client, List<Long> ids) {
    return client.preparedQuery(GET_WITH_POSITION)
        .execute(Tuple.tuple().addArrayOfLong(ids.toArray(new Long[0])))
        .map(rows -> {
          Map<Long, Positioned> found = new HashMap<>();
          rows.forEach(row -> {
            Job job = map(row);
            found.put(job.id(), new Positioned(job, row.getLong("queue_position")));
          });
          List<Optional<Positioned>> out = new ArrayList<>(ids.size());
          ids.forEach(id -> out.add(Optional.ofNullable(found.get(id))));
          return out;
        });
  }

  static Future<Map<String, Long>> countsByStatus(SqlClient c, String ownerUserId) {
    String sql = "SELECT status, COUNT(*) FROM jobs" + (ownerUserId == null ? "" : " WHERE owner_user_id = $1")
        + " GROUP BY status";
    return c.preparedQuery(sql).execute(ownerUserId == null ? Tuple.tuple() : Tuple.of(ownerUserId))
        .map(rows -> {
          Map<String, Long> counts = new HashMap<>();
          rows.forEach(r -> counts.put(r.getString(0), r.getLong(1)));
          return counts;
        });
  }

  static Future<List<QueueStats>> queueStats(SqlClient c, OffsetDateTime now) {
    return c.preparedQuery("""
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

  static Future<Map<String, Long>> queueDepths(SqlClient c) {
    return c.query("SELECT queue, COUNT(*) FROM jobs WHERE status = 'queued' GROUP BY queue").execute()
        .map(rows -> {
          Map<String, Long> depths = new HashMap<>();
          rows.forEach(r -> depths.put(r.getString(0), r.getLong(1)));
          return depths;
        });
  }
}
