package earshot.store;

import earshot.config.EarshotConfig;
import earshot.store.postgres.PostgresJobReader;
import earshot.store.postgres.PostgresJobStore;
import earshot.store.sqlite.SqliteJobReader;
import earshot.store.sqlite.SqliteJobStore;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import java.time.Clock;

/** The one place that chooses a store implementation (and its read-only {@link JobReader}) from the configured URL. */
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

  /**
   * A read-only handle for one verticle instance, which must run on {@link #readerThreading}. Open it only once the
   * store has been opened (and migrated) by {@link #open}.
   */
  public static JobReader openReader(Vertx vertx, EarshotConfig.Store config) {
    return config.isPostgres()
        ? new PostgresJobReader(vertx, config, READER_CONNECTIONS)
        : new SqliteJobReader(config.sqlitePath());
  }

  /** SQLite reads are blocking JDBC, so its reader runs on a worker; Postgres reads are reactive, on an event loop. */
  public static ThreadingModel readerThreading(EarshotConfig.Store config) {
    return config.isPostgres() ? ThreadingModel.EVENT_LOOP : ThreadingModel.WORKER;
  }

  /** Connections of each Postgres reader: with one reader per core this matches the default pool_size of 8 on 2 cores. */
  private static final int READER_CONNECTIONS = 4;
}
