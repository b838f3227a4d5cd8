package earshot.store.postgres;

import earshot.store.Migrations;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Schema migrations of the Postgres store: applies the scripts of {@code db/postgres} not yet recorded in
 * {@code schema_migrations}, on the {@link SqlConnection} of the transaction {@link PostgresJobStore} opened. An
 * advisory lock held to the end of that transaction keeps two nodes from migrating at once.
 */
final class PostgresMigrationSql {
  private PostgresMigrationSql() {}

  /** Applies each script not yet recorded, in order; {@code now} is read once per script, for its applied_at. */
  static Future<Void> migrate(SqlConnection conn, Supplier<OffsetDateTime> now) {
    return conn
        .query("SELECT pg_advisory_xact_lock(" + PostgresJobStore.LOCK_NAMESPACE + ", 0)").execute()
        .compose(v -> conn.query("SET LOCAL client_min_messages = warning").execute())
        .compose(v -> conn.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
              version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)""").execute())
        .compose(v -> conn.query("SELECT version FROM schema_migrations").execute())
        .compose(rows -> {
          Set<Integer> applied = new HashSet<>();
          rows.forEach(r -> applied.add(r.getInteger(0)));
          Future<Void> chain = Future.succeededFuture();
          for (Migrations.Script script : Migrations.load("postgres")) {
            if (!applied.contains(script.version())) {
              chain = chain.compose(v -> apply(conn, script, now));
            }
          }
          return chain;
        });
  }

  private static Future<Void> apply(SqlConnection conn, Migrations.Script script, Supplier<OffsetDateTime> now) {
    Future<?> chain = Future.succeededFuture();
    for (String sql : script.statements()) {
      chain = chain.compose(v -> conn.query(sql).execute());
    }
    return chain
        .compose(v -> conn.preparedQuery("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .execute(Tuple.of(script.version(), script.name(), now.get())))
        .mapEmpty();
  }
}
