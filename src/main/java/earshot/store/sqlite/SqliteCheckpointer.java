package earshot.store.sqlite;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints the WAL beside the writer instead of inside it. Left to itself, SQLite checkpoints in the connection
 * whose commit takes the WAL past {@code wal_autocheckpoint} pages: that commit copies the WAL into the database and
 * syncs both files, and every transaction queued behind it on the store's single thread waits. Under a stream of
 * submissions about one commit in 28 did this, for about 8 ms each, which was 70% of all commit time (bench/http.sh,
 * docs/benchmarks.md). Here a connection and thread of their own run a {@code PASSIVE} checkpoint every
 * {@link #INTERVAL_MS}; a passive checkpoint never blocks the writer or the readers. The writer keeps an automatic
 * checkpoint at {@link #BACKSTOP_PAGES} pages in case this one falls behind.
 *
 * <p>Threading: the timer and the completion callbacks run on the context that called {@link #start}; the JDBC
 * work runs on this checkpointer's own worker thread, the only one that touches its connection.
 */
final class SqliteCheckpointer {
  static final long INTERVAL_MS = 250;
  /** The writer's own automatic checkpoint threshold (SQLite's default is 1,000 pages), a backstop only. */
  static final int BACKSTOP_PAGES = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(SqliteCheckpointer.class);

  private final Vertx vertx;
  private final Path file;
  private final WorkerExecutor executor;
  private Connection connection; // only on the executor's thread
  private long timer = -1;
  private boolean running;
  private boolean failing; // the last checkpoint failed: say so once, not four times a second

  SqliteCheckpointer(Vertx vertx, Path file) {
    this.vertx = vertx;
    this.file = file;
    this.executor = vertx.createSharedWorkerExecutor("earshot-sqlite-checkpoint-" + UUID.randomUUID(), 1);
  }

  /** Starts the periodic checkpoints; call once the database exists and is in WAL mode. */
  void start() {
    if (timer < 0) {
      timer = vertx.setPeriodic(INTERVAL_MS, id -> checkpoint());
    }
  }

  /** One passive checkpoint, unless the previous one still runs. */
  Future<Void> checkpoint() {
    if (running) {
      return Future.succeededFuture();
    }
    running = true;
    return executor.<Void>executeBlocking(() -> {
      try (Statement s = connection().createStatement()) {
        s.execute("PRAGMA wal_checkpoint(PASSIVE)");
      }
      return null;
    }, true).onComplete(ar -> {
      running = false;
      if (ar.failed() && !failing) {
        LOG.warn("WAL checkpoint of {} failed (the writer's automatic checkpoint still applies; retried every {} ms,"
            + " logged again once it works): {}", file, INTERVAL_MS, ar.cause().getMessage());
      } else if (ar.succeeded() && failing) {
        LOG.info("WAL checkpoint of {} works again", file);
      }
      failing = ar.failed();
    });
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout=10000");
      }
      connection = c;
    }
    return connection;
  }

  Future<Void> close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    return executor.<Void>executeBlocking(() -> {
      if (connection != null) {
        connection.close();
        connection = null;
      }
      return null;
    }, true).eventually(executor::close);
  }
}
