package earshot.store.postgres;

import earshot.jobs.Lease;
import earshot.jobs.NewJob;
import earshot.tiers.DailyUsage;
import earshot.tiers.QuotaRefusal;
import earshot.tiers.QuotaRules;
import earshot.tiers.Tier;
import earshot.tiers.Tiers;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The quota statements of the Postgres store: tiers, daily usage, reservations and admission. Methods that must be
 * atomic take the {@link SqlConnection} of a transaction {@link PostgresJobStore} opened.
 */
final class PostgresQuotaSql {
  /** Namespace of the per-owner advisory lock that serializes admission (ASCII "QUOT"). */
  private static final int ADMIT_LOCK = 0x51554f54;

  private PostgresQuotaSql() {}

  /** The admission locks of {@code owners}, taken up front in one order ({@link PostgresLocks#inKeyOrder}). */
  static Future<Void> lockAdmission(SqlClient c, Collection<String> owners) {
    return PostgresLocks.inKeyOrder(c, ADMIT_LOCK, owners);
  }

  static Future<Optional<String>> tierOf(SqlClient c, String owner) {
    return c.preparedQuery("SELECT tier FROM user_tiers WHERE user_id = $1").execute(Tuple.of(owner))
        .map(rows -> rows.size() == 0 ? Optional.<String>empty() : Optional.of(rows.iterator().next().getString(0)));
  }

  static Future<Map<String, String>> tiersOf(SqlClient c, Collection<String> owners) {
    return c.preparedQuery("SELECT user_id, tier FROM user_tiers WHERE user_id = ANY($1::text[])")
        .execute(Tuple.of(owners.toArray(String[]::new)))
        .map(rows -> {
          Map<String, String> out = new HashMap<>();
          rows.forEach(r -> out.put(r.getString(0), r.getString(1)));
          return out;
        });
  }

  static Future<Void> setTier(SqlClient c, String owner, String tier, OffsetDateTime now) {
    return c.preparedQuery("""
            INSERT INTO user_tiers (user_id, tier, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (user_id) DO UPDATE SET tier = excluded.tier, updated_at = excluded.updated_at""")
        .execute(Tuple.of(owner, tier, now)).mapEmpty();
  }

  static Future<DailyUsage> usage(SqlClient c, String owner, LocalDate day) {
    return c.preparedQuery(
            "SELECT used_seconds, reserved_seconds FROM audio_usage_daily WHERE owner_user_id = $1 AND day = $2")
        .execute(Tuple.of(owner, day))
        .map(rows -> {
          if (rows.size() == 0) {
            return new DailyUsage(owner, day, 0, 0);
          }
          Row r = rows.iterator().next();
          return new DailyUsage(owner, day, r.getDouble(0), r.getDouble(1));
        });
  }

  static Future<Void> addUsage(SqlClient c, String owner, LocalDate day, double used, double reserved,
                               OffsetDateTime now) {
    return c.preparedQuery("""
            INSERT INTO audio_usage_daily (owner_user_id, day, used_seconds, reserved_seconds, updated_at)
            VALUES ($1, $2, GREATEST($3::float8, 0), GREATEST($4::float8, 0), $5)
            ON CONFLICT (owner_user_id, day) DO UPDATE SET
              used_seconds = GREATEST(audio_usage_daily.used_seconds + $3::float8, 0),
              reserved_seconds = GREATEST(audio_usage_daily.reserved_seconds + $4::float8, 0),
              updated_at = excluded.updated_at""")
        .execute(Tuple.of(owner, day, used, reserved, now)).mapEmpty();
  }

  /** Takes the owner's admission lock (for this transaction), then runs the submit-time checks. */
  static Future<Optional<QuotaRefusal>> admit(SqlConnection c, NewJob job, Tier tier) {
    NewJob.Admission a = job.admission();
    Future<Optional<QuotaRefusal>> queued = Future.succeededFuture(Optional.empty());
    if (tier.maxQueuedJobs() != null) {
      queued = PostgresLocks.owner(c, ADMIT_LOCK, job.ownerUserId())
          .compose(v -> c.preparedQuery(
                  "SELECT COUNT(*) FROM jobs WHERE owner_user_id = $1 AND status IN ('queued', 'processing')")
              .execute(Tuple.of(job.ownerUserId())))
          .map(rows -> QuotaRules.queuedJobs(tier, rows.iterator().next().getLong(0)));
    }
    return queued.compose(refused -> refused.isPresent() || tier.dailySeconds() == null
        ? Future.succeededFuture(refused)
        : usage(c, job.ownerUserId(), a.day()).map(used -> QuotaRules.dailyAtSubmit(tier, used,
            a.secondsToMidnight())));
  }

  /** See {@code JobStore.reserve}; runs inside one transaction, the job row locked first. */
  static Future<Optional<QuotaRefusal>> reserve(SqlConnection c, Lease lease, double seconds, LocalDate day,
                                                Tiers tiers, OffsetDateTime now) {
    return reserveWhere(c, "j.id = $1 AND j.lease_token = $2 AND j.status = 'processing'",
        Tuple.of(lease.jobId(), lease.token()), seconds, day, tiers, null, now);
  }

  /** See {@code JobStore.reserveForRetry}; inside one transaction. */
  static Future<Optional<QuotaRefusal>> reserveForRetry(SqlConnection c, long jobId, double seconds, LocalDate day,
                                                        Tiers tiers, long secondsToMidnight, OffsetDateTime now) {
    return reserveWhere(c, "j.id = $1 AND j.status IN ('failed', 'cancelled')", Tuple.of(jobId), seconds, day,
        tiers, secondsToMidnight, now);
  }

  /**
   * Checks the tier and reserves {@code seconds} on {@code day} for the one job {@code where} selects (nothing when
   * it selects none), replacing the job's earlier reservation. A daily refusal carries {@code retryAfter}.
   */
  private static Future<Optional<QuotaRefusal>> reserveWhere(SqlConnection c, String where, Tuple params,
                                                             double seconds, LocalDate day, Tiers tiers,
                                                             Long retryAfter, OffsetDateTime now) {
    return c.preparedQuery("""
            SELECT j.owner_user_id, j.reserved_seconds, j.reserved_day, ut.tier, j.id FROM jobs j
            LEFT JOIN user_tiers ut ON ut.user_id = j.owner_user_id
            WHERE %s
            FOR UPDATE OF j""".formatted(where))
        .execute(params)
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture(Optional.<QuotaRefusal>empty());
          }
          Row r = rows.iterator().next();
          long jobId = r.getLong(4);
          String owner = r.getString(0);
          Double held = r.getDouble(1);
          LocalDate heldDay = r.getLocalDate(2);
          Tier tier = tiers.resolve(r.getString(3));
          // Usage rows of one owner are updated under that owner's admission lock, so two jobs' checks serialize.
          Future<Void> undo = PostgresLocks.owner(c, ADMIT_LOCK, owner);
          if (held != null) {
            undo = undo.compose(v -> addUsage(c, owner, heldDay, 0, -held, now))
                .compose(v -> setReservation(c, jobId, null, null));
          }
          return undo
              .compose(v -> usage(c, owner, day))
              .map(used -> QuotaRules.fitJob(tier, seconds, used, retryAfter))
              .compose(refused -> refused.isPresent() ? Future.succeededFuture(refused)
                  : addUsage(c, owner, day, 0, seconds, now)
                      .compose(x -> setReservation(c, jobId, seconds, day))
                      .map(x -> Optional.<QuotaRefusal>empty()));
        });
  }

  private static Future<Void> setReservation(SqlClient c, long jobId, Double seconds, LocalDate day) {
    return c.preparedQuery("UPDATE jobs SET reserved_seconds = $2, reserved_day = $3 WHERE id = $1")
        .execute(Tuple.of(jobId, seconds, day)).mapEmpty();
  }

  /**
   * See {@code JobStore.settle}: one statement clears the finished jobs' reservations (each row once, locked) and
   * moves their seconds, summed per owner and day, into audio_usage_daily.
   */
  static Future<Integer> settle(SqlClient c, Collection<Long> jobIds, OffsetDateTime now) {
    if (jobIds != null && jobIds.isEmpty()) {
      return Future.succeededFuture(0);
    }
    String filter = jobIds == null ? "" : " AND id = ANY($2::bigint[])";
    Tuple params = jobIds == null ? Tuple.of(now)
        : Tuple.tuple().addOffsetDateTime(now).addArrayOfLong(jobIds.toArray(Long[]::new));
    return c.preparedQuery("""
            WITH held AS (
              SELECT id, owner_user_id, status, reserved_seconds AS s, reserved_day AS d FROM jobs
              WHERE status IN ('completed', 'failed', 'cancelled') AND reserved_seconds IS NOT NULL%s
              FOR UPDATE SKIP LOCKED
            ), cleared AS (
              UPDATE jobs SET reserved_seconds = NULL, reserved_day = NULL FROM held WHERE jobs.id = held.id
              RETURNING held.owner_user_id, held.status, held.s, held.d
            ), moved AS (
              INSERT INTO audio_usage_daily (owner_user_id, day, used_seconds, reserved_seconds, updated_at)
              SELECT owner_user_id, d, SUM(CASE WHEN status = 'completed' THEN s ELSE 0 END), 0, $1
              FROM cleared GROUP BY owner_user_id, d
              ON CONFLICT (owner_user_id, day) DO UPDATE SET
                used_seconds = audio_usage_daily.used_seconds + excluded.used_seconds,
                reserved_seconds = GREATEST(audio_usage_daily.reserved_seconds
                  - (SELECT SUM(s) FROM cleared x WHERE x.owner_user_id = excluded.owner_user_id AND x.d = excluded.day),
                  0),
                updated_at = excluded.updated_at
              RETURNING 1
            )
            SELECT COUNT(*) FROM cleared""".formatted(filter))
        .execute(params)
        .map(rows -> (int) (long) rows.iterator().next().getLong(0));
  }

  static Future<Map<String, Map<String, Long>>> countsByOwner(SqlClient c) {
    return c.query("SELECT owner_user_id, status, COUNT(*) FROM jobs GROUP BY owner_user_id, status").execute()
        .map(rows -> {
          Map<String, Map<String, Long>> out = new TreeMap<>();
          rows.forEach(r -> out.computeIfAbsent(r.getString(0), o -> new HashMap<>()).put(r.getString(1),
              r.getLong(2)));
          return out;
        });
  }
}
