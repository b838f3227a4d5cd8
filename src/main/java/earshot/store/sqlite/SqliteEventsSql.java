package earshot.store.sqlite;

import static earshot.store.sqlite.SqliteRows.bind;

import earshot.jobs.EventQuery;
import earshot.jobs.RecordedEvent;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The job event log of the SQLite store. The writes run on the store's single JDBC thread, the reads on the thread
 * that owns the reader's connection; every statement text is fixed, so all are cached.
 */
final class SqliteEventsSql {
  private static final String COLUMNS = "seq, job_id, owner_user_id, event, job";
  private static final String BY_JOB = "SELECT " + COLUMNS
      + " FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?";
  private static final String BY_OWNER = "SELECT " + COLUMNS
      + " FROM job_events WHERE owner_user_id = ? AND seq > ? ORDER BY seq LIMIT ?";
  private static final String ALL = "SELECT " + COLUMNS + " FROM job_events WHERE seq > ? ORDER BY seq LIMIT ?";

  private SqliteEventsSql() {}

  /** One row; AUTOINCREMENT gives it a seq above every seq handed out before, pruned or not. */
  static long append(Connection c, StatementCache statements, long jobId, String owner, String event, JsonObject job,
                     long now) throws SQLException {
    PreparedStatement ps = statements.prepare(c, """
        INSERT INTO job_events (job_id, owner_user_id, event, job, created_at) VALUES (?, ?, ?, ?, ?)
        RETURNING seq""");
    bind(ps, jobId, owner, event, job.encode(), now);
    try (ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static int prune(Connection c, StatementCache statements, long before) throws SQLException {
    PreparedStatement ps = statements.prepare(c, "DELETE FROM job_events WHERE created_at < ?");
    ps.setLong(1, before);
    return ps.executeUpdate();
  }

  static List<RecordedEvent> after(Connection c, StatementCache statements, EventQuery q) throws SQLException {
    PreparedStatement ps;
    if (q.jobId() != null) {
      ps = statements.prepare(c, BY_JOB);
      bind(ps, q.jobId(), q.afterSeq(), q.limit());
    } else if (q.ownerUserId() != null) {
      ps = statements.prepare(c, BY_OWNER);
      bind(ps, q.ownerUserId(), q.afterSeq(), q.limit());
    } else {
      ps = statements.prepare(c, ALL);
      bind(ps, q.afterSeq(), q.limit());
    }
    List<RecordedEvent> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(map(rs));
      }
    }
    return out;
  }

  static Optional<RecordedEvent> latest(Connection c, StatementCache statements, long jobId) throws SQLException {
    PreparedStatement ps = statements.prepare(c, "SELECT " + COLUMNS
        + " FROM job_events WHERE job_id = ? ORDER BY seq DESC LIMIT 1");
    ps.setLong(1, jobId);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(map(rs)) : Optional.empty();
    }
  }

  private static RecordedEvent map(ResultSet rs) throws SQLException {
    return new RecordedEvent(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4),
        new JsonObject(rs.getString(5)));
  }
}
