package earshot.store.sqlite;

import static earshot.store.sqlite.SqliteRows.JOB_COLUMNS;
import static earshot.store.sqlite.SqliteRows.map;

import earshot.store.JobStore.Acquired;
import earshot.jobs.AcquireSpec;
import earshot.jobs.Job;
import earshot.store.CandidateQueries;
import earshot.tiers.Tier;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Acquisition on SQLite: which queued jobs a worker gets, within each owner's tier limit and, when owner-strict, in
 * weighted fair rotation, and leasing them. Runs on the store's single JDBC thread inside the {@code BEGIN IMMEDIATE}
 * transaction {@link SqliteJobStore} opened for it, so candidate selection and leasing are one atomic step.
 *
 * <p>One instance per store: it keeps the candidate queries built for the tiers that store has seen.
 */
final class SqliteAcquireSql {
  /**
   * Candidates: queued, available jobs ranked within their owner ({@code rn}), minus what would push an owner over
   * their tier's limit (%1$s: the tier's concurrent_jobs). Also yields each owner's tier and rotation start.
   */
  private static final String SELECT_CANDIDATES = """
      WITH active AS (
        SELECT owner_user_id, COUNT(*) AS n FROM jobs WHERE status = 'processing' GROUP BY owner_user_id
      ), ranked AS (
        SELECT j.id, j.owner_user_id, j.priority, j.created_at, ut.tier,
               ROW_NUMBER() OVER (PARTITION BY j.owner_user_id ORDER BY j.priority DESC, j.created_at, j.id) AS rn,
               COALESCE(a.n, 0) AS active_n
        FROM jobs j LEFT JOIN active a ON a.owner_user_id = j.owner_user_id
        LEFT JOIN user_tiers ut ON ut.user_id = j.owner_user_id
        WHERE j.queue = ? AND j.status = 'queued' AND j.available_at <= ?
      )
      SELECT r.id, r.owner_user_id, r.tier, %3$s AS start_pass
      FROM ranked r LEFT JOIN owner_turns t ON t.owner_user_id = r.owner_user_id
      WHERE r.rn + r.active_n <= %1$s
      ORDER BY %2$s LIMIT ?""";

  /** Where an owner's rotation starts; only owner-strict acquisition reads it. */
  private static final String START_PASS =
      "MAX(COALESCE(t.pass, 0), (SELECT COALESCE(MAX(pass), 0) FROM owner_turns) - 1)";

  private final CandidateQueries candidates = new CandidateQueries(SELECT_CANDIDATES, START_PASS);

  Acquired acquire(Connection c, AcquireSpec spec, long now) throws SQLException {
    List<Long> ids = new ArrayList<>();
    Map<String, String> storedTiers = new HashMap<>();
    Map<String, Turn> turns = new java.util.LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement(candidates.of(spec))) {
      ps.setString(1, spec.queue());
      ps.setLong(2, now);
      ps.setInt(3, spec.max());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
          String owner = rs.getString(2);
          String stored = rs.getString(3);
          if (stored != null) {
            storedTiers.put(owner, stored);
          }
          Tier tier = spec.tiers().resolve(stored);
          double start = rs.getDouble(4);
          turns.merge(owner, new Turn(start, tier.weight(), 1), (a, b) -> new Turn(a.start, a.weight, a.jobs + 1));
        }
      }
    }
    if (ids.isEmpty()) {
      return Acquired.NONE;
    }
    if (spec.ownerStrict()) {
      recordTurns(c, turns);
    }
    String in = ids.stream().map(String::valueOf).collect(Collectors.joining(","));
    Map<Long, Job> leased = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("""
        UPDATE jobs SET status = 'processing', lease_owner = ?, lease_expires_at = ?,
               lease_token = lease_token + 1, started_at = COALESCE(started_at, ?), updated_at = ?
        WHERE status = 'queued' AND id IN (%s)
        RETURNING %s""".formatted(in, JOB_COLUMNS))) {
      ps.setString(1, spec.worker());
      ps.setLong(2, now + spec.lease().toMillis());
      ps.setLong(3, now);
      ps.setLong(4, now);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Job j = map(rs);
          leased.put(j.id(), j);
        }
      }
    }
    List<Job> ordered = new ArrayList<>(leased.size());
    for (Long id : ids) {
      Job j = leased.get(id);
      if (j != null) {
        ordered.add(j);
      }
    }
    return new Acquired(ordered, storedTiers);
  }

  /** An owner served in one acquisition: where its rotation started, its tier's weight, how many jobs it got. */
  private record Turn(double start, int weight, int jobs) {
    double pass() {
      return start + (double) jobs / weight;
    }
  }

  /** Remembers the order in which owners were served and how far each advanced, for the owner-strict rotation. */
  private static void recordTurns(Connection c, Map<String, Turn> turns) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO owner_turns (owner_user_id, last_turn, pass)
        VALUES (?, (SELECT COALESCE(MAX(last_turn), 0) + 1 FROM owner_turns), ?)
        ON CONFLICT (owner_user_id) DO UPDATE SET last_turn = excluded.last_turn, pass = excluded.pass""")) {
      for (Map.Entry<String, Turn> e : turns.entrySet()) {
        ps.setString(1, e.getKey());
        ps.setDouble(2, e.getValue().pass());
        ps.executeUpdate();
      }
    }
  }
}
