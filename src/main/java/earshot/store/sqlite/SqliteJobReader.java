package earshot.store.sqlite;

import earshot.jobs.EventQuery;
import earshot.jobs.RecordedEvent;
import earshot.store.JobReader;
import earshot.store.JobStore.Positioned;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;

/**
 * Reads jobs on a connection of its own. SQLite in WAL mode lets readers run beside the one writer: every statement
 * reads the newest committed snapshot when it starts, and the statement is reset as soon as its row is read, so a
 * read never holds an old snapshot. The connection is {@code query_only}.
 *
 * <p>Threading: blocking. JDBC runs on the calling thread, so its futures are complete when returned and only a
 * worker may call it. It belongs to one worker verticle instance, which runs its tasks one at a time (though not
 * always on the same pool thread), so the connection is never used by two threads at once.
 */
public final class SqliteJobReader implements JobReader {
  private final Path file;
  private final StatementCache statements = new StatementCache();
  private Connection connection;

  public SqliteJobReader(Path file) {
    this.file = file;
  }

  @Override
  public Future<java.util.Map<String, String>> statusesByUuid(List<String> uuids) {
    try {
      return Future.succeededFuture(SqliteJobQueriesSql.statusesByUuid(connection(), statements, uuids));
    } catch (SQLException | RuntimeException e) {
      statements.closeAll();
      return Future.failedFuture(e);
    }
  }

  /** One statement for all of {@code ids}, so it reads one snapshot. */
  @Override
  public Future<List<Optional<Positioned>>> getAll(List<Long> ids) {
    try {
      return Future.succeededFuture(SqliteJobQueriesSql.getAllWithPosition(connection(), statements, ids));
    } catch (SQLException | RuntimeException e) {
      statements.closeAll(); // a failed step finalizes its statement (see SqliteStoreThread): prepare them again
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<List<RecordedEvent>> eventsAfter(EventQuery q) {
    try {
      return Future.succeededFuture(SqliteEventsSql.after(connection(), statements, q));
    } catch (SQLException | RuntimeException e) {
      statements.closeAll();
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Optional<RecordedEvent>> latestEvent(long jobId) {
    try {
      return Future.succeededFuture(SqliteEventsSql.latest(connection(), statements, jobId));
    } catch (SQLException | RuntimeException e) {
      statements.closeAll();
      return Future.failedFuture(e);
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout=10000");
        s.execute("PRAGMA query_only=1");
      }
      connection = c;
    }
    return connection;
  }

  @Override
  public Future<Void> close() {
    statements.closeAll();
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        return Future.failedFuture(e);
      } finally {
        connection = null;
      }
    }
    return Future.succeededFuture();
  }
}
