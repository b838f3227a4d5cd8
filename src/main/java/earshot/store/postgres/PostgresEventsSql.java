package earshot.store.postgres;

import earshot.jobs.EventQuery;
import earshot.jobs.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The job event log of the Postgres store; each method is one statement on the pool it is given. */
final class PostgresEventsSql {
  private static final String COLUMNS = "seq, job_id, owner_user_id, event, job";

  private PostgresEventsSql() {}

  /** One row; the identity gives it a seq above every seq handed out before, pruned or not. */
  static Future<Long> append(SqlClient c, long jobId, String owner, String event, JsonObject job,
                             OffsetDateTime now) {
    return c.preparedQuery("""
            INSERT INTO job_events (job_id, owner_user_id, event, job, created_at) VALUES ($1, $2, $3, $4, $5)
            RETURNING seq""")
        .execute(Tuple.of(jobId, owner, event, job, now))
        .map(rows -> rows.iterator().next().getLong(0));
  }

  static Future<Integer> prune(SqlClient c, OffsetDateTime before) {
    return c.preparedQuery("DELETE FROM job_events WHERE created_at < $1").execute(Tuple.of(before))
        .map(rows -> rows.rowCount());
  }

  static Future<List<RecordedEvent>> after(SqlClient c, EventQuery q) {
    String sql;
    Tuple params;
    if (q.jobId() != null) {
      sql = "SELECT " + COLUMNS + " FROM job_events WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
      params = Tuple.of(q.jobId(), q.afterSeq(), q.limit());
    } else if (q.ownerUserId() != null) {
      sql = "SELECT " + COLUMNS + " FROM job_events WHERE owner_user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
      params = Tuple.of(q.ownerUserId(), q.afterSeq(), q.limit());
    } else {
      sql = "SELECT " + COLUMNS + " FROM job_events WHERE seq > $1 ORDER BY seq LIMIT $2";
      params = Tuple.of(q.afterSeq(), q.limit());
    }
    return c.preparedQuery(sql).execute(params).map(rows -> {
      List<RecordedEvent> out = new ArrayList<>();
      rows.forEach(r -> out.add(map(r)));
      return out;
    });
  }

  static Future<Optional<RecordedEvent>> latest(SqlClient c, long jobId) {
    return c.preparedQuery("SELECT " + COLUMNS + " FROM job_events WHERE job_id = $1 ORDER BY seq DESC LIMIT 1")
        .execute(Tuple.of(jobId))
        .map(rows -> rows.size() == 0 ? Optional.<RecordedEvent>empty() : Optional.of(map(rows.iterator().next())));
  }

  private static RecordedEvent map(Row r) {
    return new RecordedEvent(r.getLong("seq"), r.getLong("job_id"), r.getString("owner_user_id"),
        r.getString("event"), r.getJsonObject("job"));
  }
}
