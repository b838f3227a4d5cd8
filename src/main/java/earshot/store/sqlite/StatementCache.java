package earshot.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * Prepared statements of one SQLite connection, kept for reuse: sqlite-jdbc compiles the SQL on every
 * {@code prepareStatement}, which costs more than a point read itself. Only fixed SQL texts belong here (never text
 * with inlined values, which would grow the cache without bound). A statement's result set must be closed after use;
 * that resets the statement, so it holds no read snapshot between uses. After a statement fails, empty the cache
 * ({@link #closeAll}): sqlite-jdbc finalizes a statement whose step failed (with anything but BUSY, LOCKED,
 * CONSTRAINT or MISUSE), and reusing it would fail with "statement is not executing".
 *
 * <p>Threading: none of its own; used only by the one thread that owns the connection, and closed with it.
 */
final class StatementCache {
  private final Map<String, PreparedStatement> statements = new HashMap<>();
  private Connection connection;

  /** The prepared statement for {@code sql} on {@code c}, with its parameters cleared. */
  PreparedStatement prepare(Connection c, String sql) throws SQLException {
    if (c != connection) {
      closeAll();
      connection = c;
    }
    PreparedStatement ps = statements.get(sql);
    if (ps == null) {
      ps = c.prepareStatement(sql);
      statements.put(sql, ps);
    } else {
      ps.clearParameters();
    }
    return ps;
  }

  void closeAll() {
    for (PreparedStatement ps : statements.values()) {
      try {
        ps.close();
      } catch (SQLException ignored) {
        // the connection is being closed or replaced; a statement that will not close is freed with it
      }
    }
    statements.clear();
    connection = null;
  }
}
