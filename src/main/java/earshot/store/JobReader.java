package earshot.store;

import earshot.jobs.EventQuery;
import earshot.jobs.RecordedEvent;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/**
 * A read-only handle on the job store for the hot read path (a job and its queue position), separate from the
 * scheduler's {@link JobStore} so that reads neither queue behind its writes nor pass through its event loop. Reads
 * see every committed change; nothing is cached between calls.
 *
 * <p>Threading depends on the store, and {@link JobStores#readerThreading} names it: the SQLite reader runs its JDBC
 * on the calling thread (its futures are already complete when returned), so only a worker may call it; the Postgres
 * reader is reactive and is called from its owner's event loop. Either way one handle belongs to one verticle
 * instance.
 */
public interface JobReader {

  /** As {@link JobStore#getWithPosition}: the job and, while it is queued, its queue position, read together. */
  default Future<Optional<JobStore.Positioned>> getWithPosition(long id) {
    return getAll(List.of(id)).map(List::getFirst);
  }

  /**
   * {@link #getWithPosition} for several jobs at once, in one store round trip: one answer per id, in the order of
   * {@code ids} (an id asked twice is answered twice), empty where there is no such job.
   */
  Future<List<Optional<JobStore.Positioned>>> getAll(List<Long> ids);

  /** The status (its wire name) of each of {@code uuids} that names a job, by uuid; one store round trip. */
  Future<java.util.Map<String, String>> statusesByUuid(List<String> uuids);
  /** Recorded job events after {@code q.afterSeq()}, oldest first, at most {@code q.limit()} (see {@link EventLog}). */
  Future<List<RecordedEvent>> eventsAfter(EventQuery q);

  /** The newest recorded event of a job: the job's state as its subscribers last saw it. */
  Future<Optional<RecordedEvent>> latestEvent(long jobId);

  Future<Void> close();
}
