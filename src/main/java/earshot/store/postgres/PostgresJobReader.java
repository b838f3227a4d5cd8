package earshot.store.postgres;

import earshot.config.EarshotConfig;
import earshot.jobs.EventQuery;
import earshot.jobs.RecordedEvent;
import earshot.store.JobReader;
import earshot.store.JobStore.Positioned;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.Optional;

/**
 * Reads jobs through a small pool of its own, beside the scheduler's. Each query is its own statement under READ
 * COMMITTED, so it sees every transaction committed before it started.
 *
 * <p>Threading: reactive; nothing blocks. Created in its owner verticle's {@code start}, so the pool's connections
 * run on that verticle's event loop and a read costs no further thread hop.
 */
public final class PostgresJobReader implements JobReader {
  private final Pool pool;

  public PostgresJobReader(Vertx vertx, EarshotConfig.Store config, int connections) {
    this.pool = PostgresJobStore.pool(vertx, config, connections);
  }

  @Override
  public Future<List<Optional<Positioned>>> getAll(List<Long> ids) {
    return PostgresJobQueriesSql.getAllWithPosition(pool, ids);
  }

  @Override
  public Future<java.util.Map<String, String>> statusesByUuid(List<String> uuids) {
    return PostgresJobQueriesSql.statusesByUuid(pool, uuids);
  }

  @Override
  public Future<List<RecordedEvent>> eventsAfter(EventQuery q) {
    return PostgresEventsSql.after(pool, q);
  }

  @Override
  public Future<Optional<RecordedEvent>> latestEvent(long jobId) {
    return PostgresEventsSql.latest(pool, jobId);
  }

  @Override
  public Future<Void> close() {
    return pool.close();
  }
}
