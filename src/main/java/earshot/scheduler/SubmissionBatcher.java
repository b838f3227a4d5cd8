package earshot.scheduler;

import earshot.jobs.NewJob;
import earshot.store.JobStore;
import earshot.store.JobStore.Submitted;
import earshot.store.StoreFullException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Group commit for submissions. While an insert transaction is in flight, the submissions that arrive wait and are
 * then inserted together by {@link JobStore#insertAll} in the next transaction, so a burst of n submissions costs
 * about one commit and one store round trip instead of n. Nothing waits on a timer: a submission that finds a free
 * lane starts a transaction as soon as the scheduler's current task ends (so the items of one batch message,
 * {@code earshot.jobs.submit.batch}, go together). Each caller's future completes only after the transaction holding
 * its row has committed, so a 202 still means the job is durable.
 *
 * <p>Lanes: SQLite, a single writer, runs one such transaction at a time; a store that serves concurrent writers
 * ({@link JobStore#concurrentWrites}, Postgres) runs up to that many, so one batch's round trips and commit overlap
 * the next one's.
 *
 * <p>If a batch fails, each of its jobs is inserted again on its own, so one bad row (say, a payload the database
 * refuses) fails only its own submission; a batch that failed because the store's disk is full
 * ({@link StoreFullException}) fails as a whole at once.
 *
 * <p>The receiver end of the one batching mechanism whose sender end is {@link earshot.bus.Coalescer};
 * docs/architecture.md ("Batching: one mechanism, two ends") describes both.
 *
 * <p>Threading: confined to the scheduler's event loop, like the rest of the scheduler's state.
 */
final class SubmissionBatcher {
  /** The most rows one transaction takes; a longer queue is drained in several. */
  static final int MAX_BATCH = 256;

  private final Context context;
  private final JobStore store;
  private final Consumer<List<Submitted>> committed;
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  private final int lanes;
  private int inFlight;
  private boolean flushScheduled;

  /** {@code committed} sees every committed batch once, before the callers' futures complete. */
  SubmissionBatcher(Context context, JobStore store, Consumer<List<Submitted>> committed) {
    this.context = context;
    this.store = store;
    this.committed = committed;
    this.lanes = Math.max(1, store.concurrentWrites());
  }

  Future<Submitted> submit(NewJob job) {
    Promise<Submitted> promise = Promise.promise();
    waiting.add(new Pending(job, promise));
    if (inFlight < lanes && !flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> {
        flushScheduled = false;
        flush();
      });
    }
    return promise.future();
  }

  /** Starts a transaction with what is waiting on every free lane. */
  private void flush() {
    while (inFlight < lanes && !waiting.isEmpty()) {
      List<Pending> batch = new ArrayList<>(Math.min(waiting.size(), MAX_BATCH));
      while (!waiting.isEmpty() && batch.size() < MAX_BATCH) {
        batch.add(waiting.poll());
      }
      inFlight++;
      insert(batch).onComplete(ar -> {
        inFlight--;
        flush();
      });
    }
  }

  private Future<Void> insert(List<Pending> batch) {
    if (batch.size() == 1) {
      return insertAlone(batch.getFirst()).mapEmpty();
    }
    return store.insertAll(batch.stream().map(Pending::job).toList()).transform(ar -> {
      if (ar.failed() && ar.cause() instanceof StoreFullException full) {
        batch.forEach(p -> p.promise.fail(full)); // the disk is at fault, not a row: each alone would fail the same
        return Future.succeededFuture();
      }
      if (ar.failed()) {
        return Future.join(batch.stream().map(this::insertAlone).toList()).mapEmpty();
      }
      List<Submitted> results = ar.result();
      committed.accept(results);
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).promise.complete(results.get(i));
      }
      return Future.succeededFuture();
    });
  }

  private Future<Submitted> insertAlone(Pending p) {
    return store.insert(p.job).andThen(ar -> {
      if (ar.succeeded()) {
        committed.accept(List.of(ar.result()));
      }
    }).onComplete(p.promise);
  }

  private record Pending(NewJob job, Promise<Submitted> promise) {}
}
