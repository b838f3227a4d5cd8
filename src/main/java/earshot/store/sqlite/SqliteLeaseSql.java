package earshot.store.sqlite;

import static earshot.store.sqlite.SqliteRows.JOB_COLUMNS;
import static earshot.store.sqlite.SqliteRows.bind;
import static earshot.store.sqlite.SqliteRows.map;

import earshot.jobs.Job;
import earshot.jobs.JobFailure;
import earshot.jobs.JobStage;
import earshot.jobs.Lease;
import earshot.jobs.ProgressSpan;
import earshot.store.sqlite.SqliteStoreThread.Work;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The SQLite statements about a held lease: renewing it, the fenced writes that end or report on it (each applies
 * only while the job is processing under the lease's token), and the rescue of jobs whose lease expired. Everything
 * runs on the store's single JDBC thread inside the {@code BEGIN IMMEDIATE} transaction that {@link SqliteStoreThread}
 * opened.
 *
 * <p>The fenced writes return the {@link Work} for the store to run: their values (the encoded payload, the times)
 * are taken when the store method is called, on the caller's thread, and only the statement runs on the store thread.
 */
final class SqliteLeaseSql {
  private SqliteLeaseSql() {}

  /** The ids whose lease was renewed; a lease whose token no longer matches is not. */
  static Set<Long> heartbeat(Connection c, List<Lease> leases, Duration lease, long now) throws SQLException {
    Set<Long> renewed = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement("""
        UPDATE jobs SET lease_expires_at = ?, updated_at = ?
        WHERE id = ? AND lease_token = ? AND status = 'processing'""")) {
      for (Lease l : leases) {
        ps.setLong(1, now + lease.toMillis());
        ps.setLong(2, now);
        ps.setLong(3, l.jobId());
        ps.setLong(4, l.token());
        if (ps.executeUpdate() == 1) {
          renewed.add(l.jobId());
        }
      }
    }
    return renewed;
  }

  /** The job's progress moves up to where {@code next} starts (never down: a retried stage may have passed it). */
  static Work<Optional<Job>> advance(Lease lease, JsonObject payload, JobStage next, String nextQueue,
                                     ProgressSpan span, long availableAt, long now) {
    return fenced(lease, """
        status = 'queued', job_type = ?, queue = ?, payload = ?, progress = MAX(progress, ?), stage_progress = 0,
        progress_from = ?, progress_to = ?, error = NULL,
        lease_owner = NULL, lease_expires_at = NULL, available_at = ?, updated_at = ?""",
        next.wireName(), nextQueue, payload.encode(), span.from(), span.from(), span.to(), availableAt, now);
  }

  static Work<Optional<Job>> complete(Lease lease, JsonObject payload, JsonObject result, long now) {
    return fenced(lease, """
        status = 'completed', payload = ?, result = ?, progress = 100, stage_progress = 100, error = NULL,
        lease_owner = NULL, lease_expires_at = NULL, completed_at = ?, updated_at = ?""",
        payload.encode(), result == null ? null : result.encode(), now, now);
  }

  static Work<Optional<Job>> retryOrFail(Lease lease, String error, Instant availableAt, long now) {
    return fenced(lease, """
        status = CASE WHEN retry_count < max_retries THEN 'queued' ELSE 'failed' END,
        completed_at = CASE WHEN retry_count < max_retries THEN NULL ELSE ? END,
        retry_count = CASE WHEN retry_count < max_retries THEN retry_count + 1 ELSE retry_count END,
        stage_progress = CASE WHEN retry_count < max_retries THEN 0 ELSE stage_progress END,
        error = ?, failure = NULL, lease_owner = NULL, lease_expires_at = NULL, available_at = ?, updated_at = ?""",
        now, error, availableAt.toEpochMilli(), now);
  }

  static Work<Optional<Job>> fail(Lease lease, String error, JobFailure failure, long now) {
    return fenced(lease, """
        status = 'failed', error = ?, failure = ?, lease_owner = NULL, lease_expires_at = NULL, completed_at = ?,
        updated_at = ?""", error, failure == null ? null : failure.toJson().encode(), now, now);
  }

  static Work<Optional<Job>> release(Lease lease, Instant availableAt, long now) {
    return fenced(lease, """
        status = 'queued', stage_progress = 0, lease_owner = NULL, lease_expires_at = NULL, available_at = ?,
        updated_at = ?""", availableAt == null ? now : availableAt.toEpochMilli(), now);
  }

  /** The stage's own progress, and the job's where the stage's span puts it, unless the job was already further. */
  static Work<Optional<Job>> progress(Lease lease, int stageProgress, long now) {
    int p = Math.clamp(stageProgress, 0, 100);
    return fenced(lease, """
        stage_progress = ?, progress = MAX(progress, progress_from + (progress_to - progress_from) * ? / 100),
        updated_at = ?""", p, p, now);
  }

  /** One fenced UPDATE: applies only while the job is processing under the lease's token. */
  private static Work<Optional<Job>> fenced(Lease lease, String setClause, Object... params) {
    return c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE jobs SET " + setClause
          + " WHERE id = ? AND lease_token = ? AND status = 'processing' RETURNING " + JOB_COLUMNS)) {
        int i = bind(ps, params);
        ps.setLong(i++, lease.jobId());
        ps.setLong(i, lease.token());
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(map(rs)) : Optional.<Job>empty();
        }
      }
    };
  }

  /** Requeues (or, with no retries left, fails) every processing job whose lease has expired. */
  static List<Job> rescueExpired(Connection c, long now) throws SQLException {
    List<Job> rescued = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("""
        UPDATE jobs SET
          status = CASE WHEN retry_count < max_retries THEN 'queued' ELSE 'failed' END,
          completed_at = CASE WHEN retry_count < max_retries THEN NULL ELSE ? END,
          error = 'lease expired on worker ' || COALESCE(lease_owner, '?')
                  || CASE WHEN retry_count < max_retries THEN '' ELSE '; no retries left' END,
          retry_count = CASE WHEN retry_count < max_retries THEN retry_count + 1 ELSE retry_count END,
          stage_progress = CASE WHEN retry_count < max_retries THEN 0 ELSE stage_progress END,
          lease_owner = NULL, lease_expires_at = NULL, available_at = ?, updated_at = ?
        WHERE status = 'processing' AND lease_expires_at < ?
        RETURNING""" + " " + JOB_COLUMNS)) {
      ps.setLong(1, now);
      ps.setLong(2, now);
      ps.setLong(3, now);
      ps.setLong(4, now);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rescued.add(map(rs));
        }
      }
    }
    return rescued;
  }
}
