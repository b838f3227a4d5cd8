package earshot.store;

import earshot.config.EarshotConfig;
import earshot.store.postgres.PostgresJobStore;
import earshot.store.sqlite.SqliteJobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;

/** The one place that chooses a store implementation from the configured URL. */
public final class JobStores {
  private JobStores() {}

  /** Opens the configured store and applies its migrations. */
  public static Future<JobStore> open(Vertx vertx, EarshotConfig.Store config, Clock clock) {
    JobStore store = config.isPostgres()
        ? PostgresJobStore.create(vertx, config, clock)
        : SqliteJobStore.create(vertx, config.sqlitePath(), clock);
    return store.migrate()
        .map(v -> store)
        .recover(err -> store.close().transform(ignored -> Future.failedFuture(err)));
  }
}
