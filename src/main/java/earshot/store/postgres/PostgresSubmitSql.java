package earshot.store.postgres;

import static earshot.store.postgres.PostgresRows.JOB_COLUMNS;
import static earshot.store.postgres.PostgresRows.map;

import earshot.jobs.Job;
import earshot.jobs.NewJob;
import earshot.store.JobStore.Submitted;
import earshot.tiers.Tier;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Submission: inserting new jobs, each with its idempotency key and, when it carries an admission, its owner's tier
 * checked in the same transaction (queued jobs under the owner's admission lock). A batch goes in one transaction.
 * The times come from {@code now}, read when a statement's parameters are built.
 */
final class PostgresSubmitSql {
  private PostgresSubmitSql() {}

  /** ON CONFLICT DO NOTHING returns no row for a repeated key; the existing job is then read back. */
  private static final String INSERT = """
      INSERT INTO jobs (uuid, owner_user_id, domain, job_type, queue, status, priority, max_retries, payload,
                        available_at, idempotency_key, created_at, updated_at, progress_to)
      VALUES ($1, $2, 'audio', $3, $4, 'queued', $5, $6, $7, $8, $9, $8, $8, $10)
      ON CONFLICT (owner_user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
      RETURNING""" + " " + JOB_COLUMNS;

  private static final String SELECT_BY_KEY =
      "SELECT " + JOB_COLUMNS + " FROM jobs WHERE owner_user_id = $1 AND idempotency_key = $2";

  /** One job; with an admission, checked against its owner's tier in the same transaction. */
  static Future<Submitted> insert(Pool pool, NewJob job, Supplier<OffsetDateTime> now) {
    if (job.admission() == null) {
      return insertOne(pool, job, job.priority(), now);
    }
    // Admission and insert in one transaction; the owner's admission lock serializes the max_queued_jobs check.
    return pool.withTransaction(conn -> PostgresQuotaSql.tierOf(conn, job.ownerUserId())
        .compose(stored -> admitAndInsert(conn, job, job.admission().tiers().resolve(stored.orElse(null)), now)));
  }

  /**
   * One transaction. When no row's tier has a queued-jobs or daily limit to check, the inserts go in one pipelined
   * batch (with each tier's priority boost) and repeated keys are read back in order; otherwise each row is admitted
   * against its owner's tier after the rows before it, one by one.
   */
  static Future<List<Submitted>> insertAll(Pool pool, List<NewJob> jobs, Supplier<OffsetDateTime> now) {
    if (jobs.stream().noneMatch(j -> j.admission() != null)) {
      return pool.withTransaction(conn -> pipelined(conn, jobs, jobs.stream().map(NewJob::priority).toList(), now));
    }
    Set<String> owners = new LinkedHashSet<>();
    jobs.forEach(j -> owners.add(j.ownerUserId()));
    return pool.withTransaction(conn -> PostgresQuotaSql.tiersOf(conn, owners).compose(stored -> {
      List<Tier> tiers = new ArrayList<>(jobs.size());
      List<Integer> priorities = new ArrayList<>(jobs.size());
      boolean nothingToCheck = true;
      for (NewJob job : jobs) {
        Tier tier = job.admission() == null ? null : job.admission().tiers().resolve(stored.get(job.ownerUserId()));
        nothingToCheck &= tier == null || (tier.maxQueuedJobs() == null && tier.dailySeconds() == null);
        tiers.add(tier);
        priorities.add(job.priority() + (tier == null ? 0 : tier.priorityBoost()));
      }
      if (nothingToCheck) {
        return pipelined(conn, jobs, priorities, now);
      }
      // Batches run concurrently (concurrentWrites): take every admission lock this batch will need up front, in
      // one order, so that two batches locking the same owners cannot deadlock.
      Set<String> locked = new LinkedHashSet<>();
      for (int i = 0; i < jobs.size(); i++) {
        if (tiers.get(i) != null && tiers.get(i).maxQueuedJobs() != null) {
          locked.add(jobs.get(i).ownerUserId());
        }
      }
      List<Submitted> out = new ArrayList<>(jobs.size());
      Future<Void> chain = PostgresQuotaSql.lockAdmission(conn, locked);
      for (int i = 0; i < jobs.size(); i++) {
        NewJob job = jobs.get(i);
        Tier tier = tiers.get(i);
        chain = chain.compose(v -> (tier == null ? insertOne(conn, job, job.priority(), now)
            : admitAndInsert(conn, job, tier, now)).map(s -> {
              out.add(s);
              return null;
            }));
      }
      return chain.map(v -> out);
    }));
  }

  private static Future<List<Submitted>> pipelined(SqlConnection conn, List<NewJob> jobs, List<Integer> priorities,
                                                   Supplier<OffsetDateTime> now) {
    OffsetDateTime time = now.get();
    List<Tuple> params = new ArrayList<>(jobs.size());
    for (int i = 0; i < jobs.size(); i++) {
      params.add(insertParams(jobs.get(i), priorities.get(i), time));
    }
    return conn.preparedQuery(INSERT).executeBatch(params).compose(first -> {
      List<Job> inserted = new ArrayList<>(jobs.size());
      for (RowSet<Row> rows = first; rows != null; rows = rows.next()) {
        inserted.add(rows.size() == 1 ? map(rows.iterator().next()) : null);
      }
      Submitted[] out = new Submitted[jobs.size()];
      Future<Void> chain = Future.succeededFuture();
      for (int i = 0; i < jobs.size(); i++) {
        int at = i;
        if (inserted.get(at) != null) {
          out[at] = new Submitted(inserted.get(at), true);
        } else {
          chain = chain.compose(v -> existing(conn, jobs.get(at)).map(s -> {
            out[at] = s;
            return null;
          }));
        }
      }
      return chain.map(v -> List.of(out));
    });
  }

  /** Within the caller's transaction: a repeated key's job, the tier's refusal, or the inserted job. */
  private static Future<Submitted> admitAndInsert(SqlConnection conn, NewJob job, Tier tier,
                                                  Supplier<OffsetDateTime> now) {
    Future<Optional<Job>> found = job.idempotencyKey() == null ? Future.succeededFuture(Optional.empty())
        : conn.preparedQuery(SELECT_BY_KEY).execute(Tuple.of(job.ownerUserId(), job.idempotencyKey()))
            .map(PostgresRows::first);
    return found.compose(existing -> {
      if (existing.isPresent()) {
        return Future.succeededFuture(new Submitted(existing.get(), false));
      }
      return PostgresQuotaSql.admit(conn, job, tier).compose(refusal -> refusal.isPresent()
          ? Future.succeededFuture(Submitted.refused(refusal.get()))
          : insertOne(conn, job, job.priority() + tier.priorityBoost(), now));
    });
  }

  private static Future<Submitted> insertOne(SqlClient client, NewJob job, int priority,
                                             Supplier<OffsetDateTime> now) {
    return client.preparedQuery(INSERT).execute(insertParams(job, priority, now.get()))
        .compose(rows -> rows.size() == 1
            ? Future.succeededFuture(new Submitted(map(rows.iterator().next()), true))
            : existing(client, job));
  }

  private static Tuple insertParams(NewJob job, int priority, OffsetDateTime now) {
    return Tuple.tuple()
        .addString(job.uuid())
        .addString(job.ownerUserId())
        .addString(job.firstStage().wireName())
        .addString(job.queue())
        .addInteger(priority)
        .addInteger(job.maxRetries())
        .addValue(job.payload())
        .addOffsetDateTime(now)
        .addString(job.idempotencyKey())
        .addInteger(job.progressSpan().to()); // the first stage starts at 0, the column's default
  }

  private static Future<Submitted> existing(SqlClient client, NewJob job) {
    return client.preparedQuery(SELECT_BY_KEY)
        .execute(Tuple.of(job.ownerUserId(), job.idempotencyKey()))
        .map(rows -> new Submitted(map(rows.iterator().next()), false));
  }
}
