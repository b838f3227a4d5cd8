package earshot.store.sqlite;

import earshot.jobs.Lease;
import earshot.jobs.NewJob;
import earshot.tiers.DailyUsage;
import earshot.tiers.QuotaRefusal;
import earshot.tiers.QuotaRules;
import earshot.tiers.Tier;
import earshot.tiers.Tiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The quota statements of the SQLite store: tiers, daily usage, reservations and admission. Every method runs on the
 * store's single JDBC thread inside the transaction {@link SqliteJobStore} opened for it.
 */
final class SqliteQuotaSql {
  private SqliteQuotaSql() {}

  private static final String TIER = "SELECT tier FROM user_tiers WHERE user_id = ?";

  static Optional<String> tierOf(Connection c, String owner) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(TIER)) {
      return tierOf(ps, owner);
    }
  }

  /** {@link #tierOf} with the statement kept prepared in {@code statements}, for the submit path. */
  static Optional<String> tierOf(Connection c, StatementCache statements, String owner) throws SQLException {
    return tierOf(statements.prepare(c, TIER), owner);
  }

  /** One statement for all of {@code owners}. */
  static Map<String, String> tiersOf(Connection c, Collection<String> owners) throws SQLException {
    Map<String, String> out = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(TIER)) {
      for (String owner : owners) {
        tierOf(ps, owner).ifPresent(t -> out.put(owner, t));
      }
    }
    return out;
  }

  /** Runs {@link #TIER}, prepared by the caller, for {@code owner}. */
  private static Optional<String> tierOf(PreparedStatement ps, String owner) throws SQLException {
    ps.setString(1, owner);
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
    }
  }

  static void setTier(Connection c, String owner, String tier, long now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO user_tiers (user_id, tier, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (user_id) DO UPDATE SET tier = excluded.tier, updated_at = excluded.updated_at""")) {
      ps.setString(1, owner);
      ps.setString(2, tier);
      ps.setLong(3, now);
      ps.executeUpdate();
    }
  }

  static DailyUsage usage(Connection c, String owner, LocalDate day) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(USAGE)) {
      return usage(ps, owner, day);
    }
  }

  /** Runs {@link #USAGE}, prepared by the caller, for {@code owner} on {@code day}. */
  private static DailyUsage usage(PreparedStatement ps, String owner, LocalDate day) throws SQLException {
    ps.setString(1, owner);
    ps.setString(2, day.toString());
    try (ResultSet rs = ps.executeQuery()) {
      return rs.next() ? new DailyUsage(owner, day, rs.getDouble(1), rs.getDouble(2))
          : new DailyUsage(owner, day, 0, 0);
    }
  }

  /** Adds to an owner's day: {@code used} and {@code reserved} may be negative (a refund or a settlement). */
  static void addUsage(Connection c, String owner, String day, double used, double reserved, long now)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("""
        INSERT INTO audio_usage_daily (owner_user_id, day, used_seconds, reserved_seconds, updated_at)
        VALUES (?, ?, MAX(?, 0), MAX(?, 0), ?)
        ON CONFLICT (owner_user_id, day) DO UPDATE SET
          used_seconds = MAX(used_seconds + ?, 0), reserved_seconds = MAX(reserved_seconds + ?, 0),
          updated_at = excluded.updated_at""")) {
      ps.setString(1, owner);
      ps.setString(2, day);
      ps.setDouble(3, used);
      ps.setDouble(4, reserved);
      ps.setLong(5, now);
      ps.setDouble(6, used);
      ps.setDouble(7, reserved);
      ps.executeUpdate();
    }
  }

  private static final String UNFINISHED =
      "SELECT COUNT(*) FROM jobs WHERE owner_user_id = ? AND status IN ('queued', 'processing')";
  private static final String USAGE =
      "SELECT used_seconds, reserved_seconds FROM audio_usage_daily WHERE owner_user_id = ? AND day = ?";

  /**
   * The submit-time checks of {@link NewJob.Admission}; empty when the job may be inserted. They run for every
   * submission, so their statements are kept prepared in the store's {@code statements}.
   */
  static Optional<QuotaRefusal> admit(Connection c, StatementCache statements, NewJob job, Tier tier)
      throws SQLException {
    String owner = job.ownerUserId();
    if (tier.maxQueuedJobs() != null) {
      PreparedStatement ps = statements.prepare(c, UNFINISHED);
      ps.setString(1, owner);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        Optional<QuotaRefusal> refused = QuotaRules.queuedJobs(tier, rs.getLong(1));
        if (refused.isPresent()) {
          return refused;
        }
      }
    }
    if (tier.dailySeconds() == null) {
      return Optional.empty();
    }
    DailyUsage usage = usage(statements.prepare(c, USAGE), owner, job.admission().day());
    return QuotaRules.dailyAtSubmit(tier, usage, job.admission().secondsToMidnight());
  }

  /** See {@code JobStore.reserve}. */
  static Optional<QuotaRefusal> reserve(Connection c, Lease lease, double seconds, LocalDate day, Tiers tiers,
                                        long now) throws SQLException {
    return reserveWhere(c, "id = ? AND lease_token = ? AND status = 'processing'",
        new long[] {lease.jobId(), lease.token()}, seconds, day, tiers, null, now);
  }

  /** See {@code JobStore.reserveForRetry}. */
  static Optional<QuotaRefusal> reserveForRetry(Connection c, long jobId, double seconds, LocalDate day, Tiers tiers,
                                                long secondsToMidnight, long now) throws SQLException {
    return reserveWhere(c, "id = ? AND status IN ('failed', 'cancelled')", new long[] {jobId}, seconds, day, tiers,
        secondsToMidnight, now);
  }

  /**
   * Checks the tier and reserves {@code seconds} on {@code day} for the one job {@code where} selects (nothing when
   * it selects none), replacing the job's earlier reservation. A daily refusal carries {@code retryAfter}.
   */
  private static Optional<QuotaRefusal> reserveWhere(Connection c, String where, long[] params, double seconds,
                                                     LocalDate day, Tiers tiers, Long retryAfter, long now)
      throws SQLException {
    long jobId;
    String owner;
    Double held;
    String heldDay;
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT id, owner_user_id, reserved_seconds, reserved_day FROM jobs WHERE " + where)) {
      for (int i = 0; i < params.length; i++) {
        ps.setLong(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        jobId = rs.getLong(1);
        owner = rs.getString(2);
        double r = rs.getDouble(3);
        held = rs.wasNull() ? null : r;
        heldDay = rs.getString(4);
      }
    }
    Tier tier = tiers.resolve(tierOf(c, owner).orElse(null));
    if (held != null) {
      addUsage(c, owner, heldDay, 0, -held, now); // a re-run of audio_convert replaces its earlier reservation
      setReservation(c, jobId, null, null);
    }
    Optional<QuotaRefusal> refused = QuotaRules.fitJob(tier, seconds, usage(c, owner, day), retryAfter);
    if (refused.isPresent()) {
      return refused;
    }
    addUsage(c, owner, day.toString(), 0, seconds, now);
    setReservation(c, jobId, seconds, day.toString());
    return Optional.empty();
  }

  private static void setReservation(Connection c, long jobId, Double seconds, String day) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE jobs SET reserved_seconds = ?, reserved_day = ? WHERE id = ?")) {
      if (seconds == null) {
        ps.setNull(1, java.sql.Types.REAL);
      } else {
        ps.setDouble(1, seconds);
      }
      ps.setString(2, day);
      ps.setLong(3, jobId);
      ps.executeUpdate();
    }
  }

  /** See {@code JobStore.settle}. */
  static int settle(Connection c, Collection<Long> jobIds, long now) throws SQLException {
    record Held(long id, String owner, String status, double seconds, String day) {}
    List<Held> held = new ArrayList<>();
    String where = "status IN ('completed', 'failed', 'cancelled') AND reserved_seconds IS NOT NULL";
    if (jobIds != null) {
      if (jobIds.isEmpty()) {
        return 0;
      }
      where += " AND id IN (" + String.join(",", jobIds.stream().map(String::valueOf).toList()) + ")";
    }
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT id, owner_user_id, status, reserved_seconds, reserved_day FROM jobs WHERE " + where);
         ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        held.add(new Held(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getDouble(4), rs.getString(5)));
      }
    }
    for (Held h : held) {
      double used = "completed".equals(h.status()) ? h.seconds() : 0;
      addUsage(c, h.owner(), h.day(), used, -h.seconds(), now);
      setReservation(c, h.id(), null, null);
    }
    return held.size();
  }

  static Map<String, Map<String, Long>> countsByOwner(Connection c) throws SQLException {
    Map<String, Map<String, Long>> out = new java.util.TreeMap<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT owner_user_id, status, COUNT(*) FROM jobs GROUP BY owner_user_id, status");
         ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.computeIfAbsent(rs.getString(1), o -> new HashMap<>()).put(rs.getString(2), rs.getLong(3));
      }
    }
    return out;
  }
}
