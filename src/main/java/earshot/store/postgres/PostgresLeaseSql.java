package earshot.store.postgres;

import static earshot.store.postgres.PostgresRows.JOB_COLUMNS;
import static earshot.store.postgres.PostgresRows.map;

import earshot.jobs.Job;
import earshot.jobs.JobFailure;
import earshot.jobs.JobStage;
import earshot.jobs.Lease;
import earshot.jobs.ProgressSpan;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The Postgres statements about a held lease: renewing it, the fenced writes that end or report on it (each applies
 * only while the job is processing under the lease's token), and the rescue of jobs whose lease expired. Each is one
 * statement on the store's pool, so it needs no transaction of its own.
 */
final class PostgresLeaseSql {
  private PostgresLeaseSql() {}

  /** The ids whose lease was renewed; a lease whose token no longer matches is not. */
  static Future<Set<Long>> heartbeat(SqlClient c, List<Lease> leases, Duration lease, OffsetDateTime now) {
    Long[] ids = leases.stream().map(Lease::jobId).toArray(Long[]::new);
    Long[] tokens = leases.stream().map(Lease::token).toArray(Long[]::new);
    return c.preparedQuery("""
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

  /** The job's progress moves up to where {@code next} starts (never down: a retried stage may have passed it). */
  static Future<Optional<Job>> advance(SqlClient c, Lease lease, JsonObject payload, JobStage next, String nextQueue,
                                       ProgressSpan span, OffsetDateTime now) {
    return fenced(c, lease, """
        status = 'queued', job_type = $3, queue = $4, payload = $5, progress = GREATEST(progress, $7),
        stage_progress = 0, progress_from = $7, progress_to = $8, error = NULL,
        lease_owner = NULL, lease_expires_at = NULL, available_at = $6, updated_at = $6""",
        next.wireName(), nextQueue, payload, now, span.from(), span.to());
  }

  static Future<Optional<Job>> complete(SqlClient c, Lease lease, JsonObject payload, JsonObject result,
                                        OffsetDateTime now) {
    return fenced(c, lease, """
        status = 'completed', payload = $3, result = $4, progress = 100, stage_progress = 100, error = NULL,
        lease_owner = NULL, lease_expires_at = NULL, completed_at = $5, updated_at = $5""",
        payload, result, now);
  }

  static Future<Optional<Job>> retryOrFail(SqlClient c, Lease lease, String error, Instant availableAt,
                                           OffsetDateTime now) {
    return fenced(c, lease, """
        status = CASE WHEN retry_count < max_retries THEN 'queued' ELSE 'failed' END,
        completed_at = CASE WHEN retry_count < max_retries THEN NULL ELSE $5 END,
        retry_count = CASE WHEN retry_count < max_retries THEN retry_count + 1 ELSE retry_count END,
        stage_progress = CASE WHEN retry_count < max_retries THEN 0 ELSE stage_progress END,
        error = $3, failure = NULL, lease_owner = NULL, lease_expires_at = NULL, available_at = $4, updated_at = $5""",
        error, availableAt.atOffset(ZoneOffset.UTC), now);
  }

  static Future<Optional<Job>> fail(SqlClient c, Lease lease, String error, JobFailure failure,
                                    OffsetDateTime now) {
    return fenced(c, lease, """
        status = 'failed', error = $3, failure = $5, lease_owner = NULL, lease_expires_at = NULL, completed_at = $4,
        updated_at = $4""", error, now, failure == null ? null : failure.toJson());
  }

  /** {@code availableAt} is the store's "now" when the caller gave no time. */
  static Future<Optional<Job>> release(SqlClient c, Lease lease, OffsetDateTime availableAt, OffsetDateTime now) {
    return fenced(c, lease, """
        status = 'queued', stage_progress = 0, lease_owner = NULL, lease_expires_at = NULL, available_at = $3,
        updated_at = $4""",
        availableAt, now);
  }

  /** The stage's own progress, and the job's where the stage's span puts it, unless the job was already further. */
  static Future<Optional<Job>> progress(SqlClient c, Lease lease, int stageProgress, OffsetDateTime now) {
    return fenced(c, lease, """
        stage_progress = $3, progress = GREATEST(progress, progress_from + (progress_to - progress_from) * $3 / 100),
        updated_at = $4""", Math.clamp(stageProgress, 0, 100), now);
  }

  /** One fenced UPDATE: $1 is the job id and $2 its lease token; the SET clause numbers its own from $3. */
  private static Future<Optional<Job>> fenced(SqlClient c, Lease lease, String setClause, Object... params) {
    Tuple tuple = Tuple.of(lease.jobId(), lease.token());
    for (Object p : params) {
      tuple.addValue(p);
    }
    return c.preparedQuery("UPDATE jobs SET " + setClause
            + " WHERE id = $1 AND lease_token = $2 AND status = 'processing' RETURNING " + JOB_COLUMNS)
        .execute(tuple)
        .map(PostgresRows::first);
  }

  /** Requeues (or, with no retries left, fails) every processing job whose lease has expired. */
  static Future<List<Job>> rescueExpired(SqlClient c, OffsetDateTime now) {
    return c.preparedQuery("""
            UPDATE jobs SET
              status = CASE WHEN retry_count < max_retries THEN 'queued' ELSE 'failed' END,
              completed_at = CASE WHEN retry_count < max_retries THEN NULL ELSE $1 END,
              error = 'lease expired on worker ' || COALESCE(lease_owner, '?')
                      || CASE WHEN retry_count < max_retries THEN '' ELSE '; no retries left' END,
              retry_count = CASE WHEN retry_count < max_retries THEN retry_count + 1 ELSE retry_count END,
              stage_progress = CASE WHEN retry_count < max_retries THEN 0 ELSE stage_progress END,
              lease_owner = NULL, lease_expires_at = NULL, available_at = $1, updated_at = $1
            WHERE status = 'processing' AND lease_expires_at < $1
            RETURNING""" + " " + JOB_COLUMNS)
        .execute(Tuple.of(now))
        .map(rows -> {
          List<Job> out = new ArrayList<>();
          rows.forEach(r -> out.add(map(r)));
          return out;
        });
  }
}
