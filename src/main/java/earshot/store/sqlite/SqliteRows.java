package earshot.store.sqlite;

import earshot.jobs.Job;
import earshot.jobs.JobFailure;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import io.vertx.core.json.JsonObject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;

/**
 * The job columns, and how rows are read and parameters bound, for every statement class of the SQLite store and for
 * {@link SqliteJobReader}. Threading: none of its own; called on whichever thread owns the connection.
 */
final class SqliteRows {
  static final String JOB_COLUMNS = """
      id, uuid, owner_user_id, domain, job_type, queue, status, priority, retry_count, max_retries, payload,
      result, error, progress, stage_progress, lease_owner, lease_expires_at, lease_token, available_at,
      idempotency_key, created_at, started_at, completed_at, updated_at, failure""";

  private SqliteRows() {}

  static int bind(PreparedStatement ps, Object... params) throws SQLException {
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

  /** Maps a row whose first columns are {@link #JOB_COLUMNS}, by position (lookups by name cost a native call each). */
  static Job map(ResultSet rs) throws SQLException {
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
        rs.getInt(15),
        rs.getString(16),
        instant(rs, 17),
        rs.getLong(18),
        instant(rs, 19),
        rs.getString(20),
        instant(rs, 21),
        instant(rs, 22),
        instant(rs, 23),
        instant(rs, 24),
        failure(rs.getString(25)));
  }

  private static JobFailure failure(String json) {
    return json == null ? null : JobFailure.fromJson(new JsonObject(json));
  }

  static Instant instant(ResultSet rs, int column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(v);
  }
}
