package earshot.store.postgres;

import earshot.jobs.EventQuery;
import earshot.jobs.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
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

  /**
   * One row per event, sent as one pipelined batch; the identity gives each a seq above every seq handed out before,
   * pruned or not. The batch's results come back in the order of {@code events}.
   */
  static Future<List<Long>> append(SqlClient c, List<RecordedEvent> events, OffsetDateTime now) {
    List<Tuple> rows = new ArrayList<>(events.size());
    events.forEach(e -> rows.add(Tuple.of(e.jobId(), e.ownerUserId(), e.event(), e.job(), now)));
    return c.preparedQuery("""
            INSERT INTO job_events (job_id, owner_user_id, event, job, created_at) VALUES ($1, $2, $3, $4, $5)
            RETURNING seq""")
        .executeBatch(rows)
        .map(result -> {
          List<Long> seqs = new ArrayList<>(events.size());
          for (RowSet<Row> r = result; r != null; r = r.next()) {
            seqs.add(r.iterator().next().getLong(0));
          }
          return seqs;
        });
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
