package earshot.store.postgres;

import static earshot.store.postgres.PostgresRows.instant;

import earshot.jobs.DeliveryAttempt;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/** The webhook delivery log of the Postgres store; each method is one statement on the store's pool. */
final class PostgresDeliveriesSql {
  private PostgresDeliveriesSql() {}

  /** True when this attempt was recorded; a repeated (delivery, attempt) is ignored. */
  static Future<Boolean> recordDelivery(SqlClient c, DeliveryAttempt a, OffsetDateTime now) {
    Tuple params = Tuple.tuple()
        .addLong(a.jobId())
        .addString(a.deliveryId())
        .addString(a.event())
        .addString(a.url())
        .addInteger(a.attempt())
        .addInteger(a.statusCode())
        .addString(a.error())
        .addLong(a.durationMs())
        .addOffsetDateTime(now);
    return c.preparedQuery("""
            INSERT INTO webhook_deliveries (job_id, delivery_id, event, url, attempt, status_code, error, duration_ms,
                                            created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (delivery_id, attempt) DO NOTHING""")
        .execute(params)
        .map(rows -> rows.rowCount() == 1);
  }

  static Future<List<DeliveryAttempt>> deliveries(SqlClient c, long jobId) {
    return c.preparedQuery("""
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
}
