package earshot.store;

/**
 * A write the store could not make because its disk has no room (SQLite's {@code SQLITE_FULL}, Postgres's
 * {@code disk_full}). Not the caller's fault and not permanent: the same write succeeds once space is freed, without
 * a restart. The scheduler answers a submission that fails with it as 507 Insufficient Storage.
 */
public final class StoreFullException extends RuntimeException {
  public StoreFullException(String message, Throwable cause) {
    super(message, cause);
  }
}
