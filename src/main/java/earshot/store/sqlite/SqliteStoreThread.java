package earshot.store.sqlite;

import earshot.store.StoreFullException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The SQLite store's one JDBC connection, the one worker thread that uses it, and its transactions: a unit of work
 * runs as a plain read or inside {@code BEGIN IMMEDIATE … COMMIT}. After a failure the connection is left usable, so
 * the store goes on by itself once a full disk has room again, without a restart.
 *
 * <p>Recovery. sqlite-jdbc finalizes a statement whose step fails with anything but BUSY, LOCKED, CONSTRAINT or
 * MISUSE ({@code SQLITE_FULL} among them), and a cached statement would then fail forever with "statement is not
 * executing"; so after any failure the {@link StatementCache} is emptied and its statements are prepared again. After
 * a storage failure ({@code SQLITE_FULL}, an I/O error, a file that cannot be opened) SQLite may or may not have
 * rolled the transaction back itself, so there is no transaction to roll back with certainty: the connection is
 * closed, which rolls back whatever it left open, and the next unit of work opens a fresh one. After any other failure
 * the transaction is still open and is rolled back; should that fail too, the connection is closed as well.
 *
 * <p>Threading: the JDBC work runs on this class's single worker thread (a Vert.x worker executor of size one), the
 * only thread that touches the connection and the statement cache; the futures complete on the caller's context.
 */
final class SqliteStoreThread {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteStoreThread.class);

  /** A unit of JDBC work; runs on the store thread. The statement classes of this package build some. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final Path file;
  private final WorkerExecutor executor;
  private final Consumer<Throwable> storageFailed;
  private Connection connection; // only on the executor's thread
  private final StatementCache statements = new StatementCache(); // likewise

  /** {@code storageFailed} hears of every unit of work that failed because the storage could not take it. */
  SqliteStoreThread(Vertx vertx, Path file, Consumer<Throwable> storageFailed) {
    this.file = file;
    this.storageFailed = storageFailed;
    this.executor = vertx.createSharedWorkerExecutor("earshot-sqlite-" + UUID.randomUUID(), 1);
  }

  /** The statements kept prepared on the connection; use only inside a unit of work. */
  StatementCache statements() {
    return statements;
  }

  <T> Future<T> read(Work<T> work) {
    return executor.executeBlocking(() -> {
      try {
        return work.run(connection());
      } catch (SQLException | RuntimeException e) {
        throw recover(e, false);
      }
    }, true);
  }

  /** Runs {@code work} in a {@code BEGIN IMMEDIATE} transaction on the store thread. */
  <T> Future<T> write(Work<T> work) {
    return executor.executeBlocking(() -> {
      Connection c;
      try {
        c = connection();
        statements.prepare(c, "BEGIN IMMEDIATE").execute();
      } catch (SQLException | RuntimeException e) {
        throw recover(e, false); // no transaction was opened
      }
      try {
        T result = work.run(c);
        statements.prepare(c, "COMMIT").execute();
        return result;
      } catch (SQLException | RuntimeException e) {
        throw recover(e, true);
      }
    }, true);
  }

  /**
   * Leaves the connection usable after {@code e} (see the class comment) and returns what to fail with: a
   * {@link StoreFullException} when the disk is full, else {@code e}.
   */
  private Exception recover(Exception e, boolean inTransaction) {
    statements.closeAll();
    if (isStorageFailure(e)) {
      closeConnection(e);
      storageFailed.accept(e);
      return isFull(e) ? new StoreFullException("the disk of " + file + " is full: " + e.getMessage(), e) : e;
    }
    if (inTransaction && connection != null) {
      try (Statement s = connection.createStatement()) {
        s.execute("ROLLBACK");
      } catch (SQLException rollback) {
        e.addSuppressed(rollback);
        closeConnection(e);
      }
    }
    return e;
  }

  /** SQLite could not read or write its files: the disk is full, failing, or the file cannot be opened. */
  static boolean isStorageFailure(Throwable e) {
    if (e instanceof SQLiteException s) {
      int primary = s.getResultCode().code & 0xff;
      return primary == SQLiteErrorCode.SQLITE_FULL.code || primary == SQLiteErrorCode.SQLITE_IOERR.code
          || primary == SQLiteErrorCode.SQLITE_CANTOPEN.code;
    }
    return e instanceof SQLException && e.getCause() instanceof IOException;
  }

  private static boolean isFull(Throwable e) {
    return e instanceof SQLiteException s && (s.getResultCode().code & 0xff) == SQLiteErrorCode.SQLITE_FULL.code;
  }

  private void closeConnection(Exception cause) {
    if (connection == null) {
      return;
    }
    try {
      connection.close();
    } catch (SQLException e) {
      cause.addSuppressed(e);
      LOG.warn("closing the SQLite connection to {} after a failure failed: {}", file, e.getMessage());
    } finally {
      connection = null;
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      try {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
      } catch (IOException e) {
        throw new SQLException("cannot create directory for " + file + ": " + e.getMessage(), e);
      }
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=NORMAL");
        s.execute("PRAGMA busy_timeout=10000");
        s.execute("PRAGMA wal_autocheckpoint=" + SqliteCheckpointer.BACKSTOP_PAGES); // see SqliteCheckpointer
      } catch (SQLException e) {
        c.close();
        throw e;
      }
      c.setAutoCommit(true);
      connection = c;
    }
    return connection;
  }

  /** Closes the statements and the connection on the store thread, then the thread. */
  Future<Void> close() {
    return executor.<Void>executeBlocking(() -> {
      statements.closeAll();
      if (connection != null) {
        connection.close();
        connection = null;
      }
      return null;
    }, true).eventually(executor::close);
  }
}
