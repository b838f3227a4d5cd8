package earshot.store.sqlite;

import static earshot.store.sqlite.SqliteRows.JOB_COLUMNS;
import static earshot.store.sqlite.SqliteRows.bind;
import static earshot.store.sqlite.SqliteRows.map;

import earshot.jobs.Job;
import earshot.jobs.JobQuery;
import earshot.jobs.QueueStats;
import earshot.store.JobStore.Positioned;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The read-only job queries of the SQLite store: listings, a job with its queue position, and the counts behind
 * summaries and queue statistics. Every method runs on the thread that owns {@code c}: the store's single JDBC thread
 * for {@link SqliteJobStore}, the reader's own for {@link SqliteJobReader}.
 */
final class SqliteJobQueriesSql {
  private SqliteJobQueriesSql() {}

  static List<Job> list(Connection c, JobQuery q) throws SQLException {
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
  }

  /**
   * Jobs and their queue positions in one statement, so all come from the same snapshot; the ids are a JSON array,
   * so one statement serves any number of them.
   */
  private static final String GET_WITH_POSITION = "SELECT " + JOB_COLUMNS.replaceAll("(\\w+)", "j.$1") + """
      , CASE WHEN j.status <> 'queued' THEN 0 ELSE (
          SELECT COUNT(*) + 1 FROM jobs q
          WHERE q.queue = j.queue AND q.status = 'queued'
            AND (q.priority > j.priority OR (q.priority = j.priority
                 AND (q.created_at < j.created_at OR (q.created_at = j.created_at AND q.id < j.id)))))
        END
      FROM jobs j WHERE j.id IN (SELECT value FROM json_each(?))""";

  /**
   * Several jobs with their queue positions in one statement (the per-statement cost of sqlite-jdbc, such as
   * fetching every column name, is paid once per batch); answers in the order of {@code ids}. The statement is fixed
   * text, so it is kept in the caller's {@code statements} for its connection.
   */
  static List<Optional<Positioned>> getAllWithPosition(Connection c, StatementCache statements, List<Long> ids)
      throws SQLException {
    PreparedStatement ps = statements.prepare(c, GET_WITH_POSITION);
    ps.setString(1, ids.toString()); // a List<Long> prints as a JSON array: [1, 2, 3]
    Map<Long, Positioned> found = new HashMap<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        Job job = map(rs);
        found.put(job.id(), new Positioned(job, rs.getLong(26)));
      }
    }
    List<Optional<Positioned>> out = new ArrayList<>(ids.size());
    ids.forEach(id -> out.add(Optional.ofNullable(found.get(id))));
    return out;
  }

  private static final String STATUSES_BY_UUID =
      "SELECT uuid, status FROM jobs WHERE uuid IN (SELECT value FROM json_each(?))";

  static Map<String, String> statusesByUuid(Connection c, StatementCache statements, List<String> uuids)
      throws SQLException {
    PreparedStatement ps = statements.prepare(c, STATUSES_BY_UUID);
    ps.setString(1, new io.vertx.core.json.JsonArray(List.copyOf(uuids)).encode());
    Map<String, String> out = new HashMap<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    }
    return out;
  }

  static Map<String, Long> countsByStatus(Connection c, String ownerUserId) throws SQLException {
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
  }

  static List<QueueStats> queueStats(Connection c, long now) throws SQLException {
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
  }

  static Map<String, Long> queueDepths(Connection c) throws SQLException {
    Map<String, Long> depths = new HashMap<>();
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT queue, COUNT(*) FROM jobs WHERE status = 'queued' GROUP BY queue")) {
      while (rs.next()) {
        depths.put(rs.getString(1), rs.getLong(2));
      }
    }
    return depths;
  }
}
