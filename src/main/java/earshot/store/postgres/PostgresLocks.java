package earshot.store.postgres;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.Collection;

/**
 * Per-owner advisory locks, held until the end of the caller's transaction. A lock's key is the namespace and the
 * owner id's {@code hashtext}. Taking one again in the same transaction is free.
 */
final class PostgresLocks {
  private PostgresLocks() {}

  /** One owner's lock. */
  static Future<Void> owner(SqlClient c, int namespace, String owner) {
    return c.preparedQuery("SELECT pg_advisory_xact_lock(" + namespace + ", hashtext($1))")
        .execute(Tuple.of(owner))
        .mapEmpty();
  }

  /**
   * Several owners' locks in the order of their keys, so that two transactions that lock overlapping sets of owners
   * cannot deadlock.
   */
  static Future<Void> inKeyOrder(SqlClient c, int namespace, Collection<String> owners) {
    if (owners.isEmpty()) {
      return Future.succeededFuture();
    }
    return c.preparedQuery("SELECT pg_advisory_xact_lock(" + namespace + ", k) FROM ("
            + "SELECT DISTINCT hashtext(o) AS k FROM unnest($1::text[]) AS o) keys ORDER BY k")
        .execute(Tuple.of(owners.toArray(String[]::new)))
        .mapEmpty();
  }
}
