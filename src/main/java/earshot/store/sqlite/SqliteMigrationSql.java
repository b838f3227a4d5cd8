package earshot.store.sqlite;

import earshot.store.Migrations;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Schema migrations of the SQLite store: applies the scripts of {@code db/sqlite} not yet recorded in
 * {@code schema_migrations}. Runs on the store's single JDBC thread inside the {@code BEGIN IMMEDIATE} transaction
 * {@link SqliteJobStore} opened, so two processes on one file cannot apply a script twice.
 */
final class SqliteMigrationSql {
  private SqliteMigrationSql() {}

  /** {@code now} is read once per applied script, for its {@code applied_at}. */
  static void migrate(Connection c, LongSupplier now) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("""
          CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)""");
    }
    Set<Integer> applied = new HashSet<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT version FROM schema_migrations")) {
      while (rs.next()) {
        applied.add(rs.getInt(1));
      }
    }
    for (Migrations.Script script : Migrations.load("sqlite")) {
      if (applied.contains(script.version())) {
        continue;
      }
      try (Statement s = c.createStatement()) {
        for (String sql : script.statements()) {
          s.execute(sql);
        }
      }
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")) {
        ps.setInt(1, script.version());
        ps.setString(2, script.name());
        ps.setLong(3, now.getAsLong());
        ps.executeUpdate();
      }
    }
  }
}
