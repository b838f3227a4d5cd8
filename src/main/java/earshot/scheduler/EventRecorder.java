package earshot.scheduler;

import earshot.jobs.RecordedEvent;
import earshot.store.EventLog;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;

/**
 * Group commit for the job event log: the events published while one batch is being written wait and go together in
 * the next one ({@link EventLog#appendEvents}), so recording costs one store write per batch, however many jobs change
 * at once, and an idle scheduler records a lone event at once. Batches are written one at a time and answered in
 * order, so the events of a job (and, on one scheduler, all events) get their seqs, and are published, in the order
 * in which they happened.
 *
 * <p>Threading: confined to the scheduler's event loop.
 */
final class EventRecorder {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EventRecorder.class);
  /** The most events one write carries; more wait for the next. */
  static final int MAX_BATCH = 500;

  private record Pending(RecordedEvent event, Promise<Long> seq) {}

  private final EventLog log;
  private List<Pending> waiting = new ArrayList<>();
  private boolean writing;

  EventRecorder(EventLog log) {
    this.log = log;
  }

  /** How often a scheduler prunes the log (every scheduler does; a second delete of the same events finds none). */
  static final long PRUNE_EVERY_MS = 600_000;

  /** Deletes the events recorded before {@code before}, logging how it went. */
  void prune(java.time.Instant before) {
    log.pruneEvents(before)
        .onSuccess(n -> LOG.debug("pruned {} job events", n))
        .onFailure(err -> LOG.warn("job event pruning failed: {}", err.getMessage()));
  }

  /** Yields the event's seq once it is recorded. */
  Future<Long> record(RecordedEvent event) {
    Promise<Long> seq = Promise.promise();
    waiting.add(new Pending(event, seq));
    writeNext();
    return seq.future();
  }

  private void writeNext() {
    if (writing || waiting.isEmpty()) {
      return;
    }
    List<Pending> batch;
    if (waiting.size() <= MAX_BATCH) {
      batch = waiting;
      waiting = new ArrayList<>();
    } else {
      batch = new ArrayList<>(waiting.subList(0, MAX_BATCH));
      waiting = new ArrayList<>(waiting.subList(MAX_BATCH, waiting.size()));
    }
    writing = true;
    log.appendEvents(batch.stream().map(Pending::event).toList()).onComplete(ar -> {
      writing = false;
      for (int i = 0; i < batch.size(); i++) {
        if (ar.succeeded()) {
          batch.get(i).seq().complete(ar.result().get(i));
        } else {
          batch.get(i).seq().fail(ar.cause());
        }
      }
      writeNext();
    });
  }
}
