package earshot.store;

import earshot.jobs.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

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
  default Future<Long> appendEvent(long jobId, String ownerUserId, String event, JsonObject job) {
    return appendEvents(List.of(new RecordedEvent(0, jobId, ownerUserId, event, job))).map(List::getFirst);
  }

  /**
   * Records several events (their {@code seq} is ignored) in one round trip, in order, and yields their seqs in the
   * same order, rising: the scheduler's group commit, so that recording costs one write per batch, not per event.
   */
  Future<List<Long>> appendEvents(List<RecordedEvent> events);

  /** Deletes the events recorded before {@code before}; yields how many. */
  Future<Integer> pruneEvents(Instant before);
}
