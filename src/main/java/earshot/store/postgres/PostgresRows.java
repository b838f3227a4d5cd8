package earshot.store.postgres;

import earshot.jobs.Job;
import earshot.jobs.JobFailure;
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
      result, error, progress, stage_progress, lease_owner, lease_expires_at, lease_token, available_at,
      idempotency_key, created_at, started_at, completed_at, updated_at, failure""";

  private PostgresRows() {}

  static Optional<Job> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(map(rows.iterator().next()));
  }

  /**
   * A row whose first columns are {@link #JOB_COLUMNS}, in that order (every statement here selects or returns them
   * first). Read by position: by name, the client looks each of the 25 names up in the row's column list.
   */
  static Job map(Row r) {
    Object result = r.getValue(11);
    return new Job(
        r.getLong(0),
        r.getString(1),
        r.getString(2),
        r.getString(3),
        JobStage.fromWire(r.getString(4)),
        r.getString(5),
        JobStatus.fromWire(r.getString(6)),
        r.getInteger(7),
        r.getInteger(8),
        r.getInteger(9),
        (JsonObject) r.getValue(10),
        result instanceof JsonObject o ? o : null,
        r.getString(12),
        r.getInteger(13),
        r.getInteger(14),
        r.getString(15),
        instant(r.getOffsetDateTime(16)),
        r.getLong(17),
        instant(r.getOffsetDateTime(18)),
        r.getString(19),
        instant(r.getOffsetDateTime(20)),
        instant(r.getOffsetDateTime(21)),
        instant(r.getOffsetDateTime(22)),
        instant(r.getOffsetDateTime(23)),
        r.getValue(24) instanceof JsonObject failure ? JobFailure.fromJson(failure) : null);
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  static Instant instant(Row r, String column) {
    return instant(r.getOffsetDateTime(column));
  }
}
