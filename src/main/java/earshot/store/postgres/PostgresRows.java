package earshot.store.postgres;

import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;

/**
 * The job columns, and how rows are read, for every statement class of the Postgres store and for
 * {@link PostgresJobReader}. Threading: none of its own; called in the callbacks of the client that ran the query.
 */
final class PostgresRows {
  static final String JOB_COLUMNS = """
      id, uuid, owner_user_id, domain, job_type, queue, status, priority, retry_count, max_retries, payload,
      result, error, progress, lease_owner, lease_expires_at, lease_token, available_at, idempotency_key,
      created_at, started_at, completed_at, updated_at""";

  private PostgresRows() {}

  static Optional<Job> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(map(rows.iterator().next()));
  }

  static Job map(Row r) {
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

  static Instant instant(Row r, String column) {
    OffsetDateTime t = r.getOffsetDateTime(column);
    return t == null ? null : t.toInstant();
  }
}
