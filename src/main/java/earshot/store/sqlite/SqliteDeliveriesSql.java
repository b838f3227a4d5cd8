package earshot.store.sqlite;

import static earshot.store.sqlite.SqliteRows.bind;
import static earshot.store.sqlite.SqliteRows.instant;

import earshot.jobs.DeliveryAttempt;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The webhook delivery log of the SQLite store. Every method runs on the store's single JDBC thread, inside the
 * transaction {@link SqliteJobStore} opened for it where it writes.
 */
final class SqliteDeliveriesSql {
  private SqliteDeliveriesSql() {}

  /** True when this attempt was recorded; a repeated (delivery, attempt) is ignored. */
  static boolean recordDelivery(Connection c, DeliveryAttempt a, long now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO webhook_deliveries (job_id, delivery_id, event, url, attempt, status_code, error, duration_ms,
                                        created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (delivery_id, attempt) DO NOTHING""")) {
      bind(ps, a.jobId(), a.deliveryId(), a.event(), a.url(), a.attempt(), a.statusCode(), a.error(),
          a.durationMs(), now);
      return ps.executeUpdate() == 1;
    }
  }

  static List<DeliveryAttempt> deliveries(Connection c, long jobId) throws SQLException {
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
  }
}
