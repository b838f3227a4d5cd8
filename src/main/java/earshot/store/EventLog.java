package earshot.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * The job event log, written by the scheduler: every event it publishes is recorded first, so that a subscriber that
 * reconnects (to any API node) can be given what it missed. Reads go through {@link JobReader#eventsAfter} and
 * {@link JobReader#latestEvent}.
 */
public interface EventLog {
  /**
   * Records one event of a job, stamped with the store's clock, and yields its {@code seq}: a number that no other
   * event has, greater than every earlier event's, and never handed out again after pruning.
   */
  Future<Long> appendEvent(long jobId, String ownerUserId, String event, JsonObject job);

  /** Deletes the events recorded before {@code before}; yields how many. */
  Future<Integer> pruneEvents(Instant before);
}
