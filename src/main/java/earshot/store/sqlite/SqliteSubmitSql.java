package earshot.store.sqlite;

import static earshot.store.sqlite.SqliteRows.JOB_COLUMNS;
import static earshot.store.sqlite.SqliteRows.map;

import earshot.jobs.Job;
import earshot.jobs.JobStatus;
import earshot.jobs.NewJob;
import earshot.store.JobStore.Submitted;
import earshot.tiers.QuotaRefusal;
import earshot.tiers.Tier;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Submission: inserting a new job inside the store's write transaction, with its idempotency key and its owner's
 * tier admission. Statements are fixed text and kept prepared in the store's {@link StatementCache}.
 */
final class SqliteSubmitSql {
  private SqliteSubmitSql() {}

  private static final String BY_KEY = "SELECT " + JOB_COLUMNS
      + " FROM jobs WHERE owner_user_id = ? AND idempotency_key = ?";

  private static final String INSERT = """
      INSERT INTO jobs (uuid, owner_user_id, domain, job_type, queue, status, priority, max_retries, payload,
                        available_at, idempotency_key, created_at, updated_at, progress_to)
      VALUES (?, ?, 'audio', ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)
      RETURNING id""";

  /**
   * One job, inside the caller's transaction; an owner's repeated idempotency key yields the earlier job.
   * {@code tiers} holds the tiers already read in this transaction (a tier does not change inside it).
   */
  static Submitted insert(Connection c, StatementCache statements, NewJob job, Map<String, Tier> tiers, long now)
      throws SQLException {
    if (job.idempotencyKey() != null) {
      PreparedStatement earlier = statements.prepare(c, BY_KEY);
      earlier.setString(1, job.ownerUserId());
      earlier.setString(2, job.idempotencyKey());
      try (ResultSet rs = earlier.executeQuery()) {
        if (rs.next()) {
          return new Submitted(map(rs), false);
        }
      }
    }
    int priority = job.priority();
    if (job.admission() != null) {
      // The owner's limits are checked in the same transaction, after the rows inserted before this one in a batch.
      Tier tier = tiers.get(job.ownerUserId());
      if (tier == null) {
        tier = job.admission().tiers().resolve(
            SqliteQuotaSql.tierOf(c, statements, job.ownerUserId()).orElse(null));
        tiers.put(job.ownerUserId(), tier);
      }
      Optional<QuotaRefusal> refusal = SqliteQuotaSql.admit(c, statements, job, tier);
      if (refusal.isPresent()) {
        return Submitted.refused(refusal.get());
      }
      priority += tier.priorityBoost();
    }
    PreparedStatement ps = statements.prepare(c, INSERT);
    ps.setString(1, job.uuid());
    ps.setString(2, job.ownerUserId());
    ps.setString(3, job.firstStage().wireName());
    ps.setString(4, job.queue());
    ps.setInt(5, priority);
    ps.setInt(6, job.maxRetries());
    ps.setString(7, job.payload().encode());
    ps.setLong(8, now);
    ps.setString(9, job.idempotencyKey());
    ps.setLong(10, now);
    ps.setLong(11, now);
    ps.setInt(12, job.progressSpan().to()); // the first stage starts at 0, the column's default
    long id;
    try (ResultSet rs = ps.executeQuery()) {
      rs.next();
      id = rs.getLong(1);
    }
    // Every other column is what was just written or its default: the row as a read would map it.
    Instant at = Instant.ofEpochMilli(now);
    return new Submitted(new Job(id, job.uuid(), job.ownerUserId(), "audio", job.firstStage(), job.queue(),
        JobStatus.QUEUED, priority, 0, job.maxRetries(), job.payload().copy(), null, null, 0, 0, null, null, 0, at,
        job.idempotencyKey(), at, null, null, at), true);
  }
}
