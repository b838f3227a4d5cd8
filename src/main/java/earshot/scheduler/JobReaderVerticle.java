package earshot.scheduler;

import earshot.bus.Addresses;
import earshot.bus.Batch;
import earshot.bus.Failures;
import earshot.bus.GetJob;
import earshot.bus.JobStatuses;
import earshot.bus.ReadJobEvents;
import earshot.config.EarshotConfig;
import earshot.jobs.JobStatus;
import earshot.jobs.RecordedEvent;
import earshot.store.JobReader;
import earshot.store.JobStore.Positioned;
import earshot.store.JobStores;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The read path of job lookups: answers {@code earshot.jobs.get} and its batches ({@code earshot.jobs.get.batch},
 * one store round trip per batch) and {@code earshot.jobs.statuses} (the statuses of jobs by uuid) from a {@link JobReader} of its own, so a status request neither waits behind the
 * one store round trip per batch) and the job event log ({@code earshot.jobs.history}) from a {@link JobReader} of
 * its own, so a status request neither waits behind the
 * scheduler's writes nor hops through the scheduler's event loop. It only reads:
 * every write still goes through the {@link SchedulerVerticle}, and every answer is read from the database when it is
 * asked for (no cache), so it shows the committed state.
 *
 * <p>Threading: deployed with the model its store needs ({@link JobStores#readerThreading}): a worker verticle for
 * SQLite, whose reader runs blocking JDBC on this instance's own connection; an event-loop verticle for Postgres,
 * whose reader is reactive on this instance's own pool. Each instance owns its reader and nothing else, so several
 * instances answer in parallel. Deployed after the scheduler, which creates and migrates the database.
 */
public final class JobReaderVerticle extends VerticleBase {
  private final EarshotConfig.Store config;
  private JobReader reader;

  public JobReaderVerticle(EarshotConfig.Store config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    reader = JobStores.openReader(vertx, config);
    return Future.all(
        vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_GET, this::onGet).completion(),
        vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_GET_BATCH, this::onGetBatch).completion(),
        vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_STATUSES, this::onStatuses).completion(),
        vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_HISTORY, this::onHistory).completion());
  }

  /** The statuses of the jobs a set of uuids names ({@link JobStatuses}), in one store round trip. */
  private void onStatuses(Message<JsonObject> msg) {
    List<String> uuids;
    try {
      uuids = JobStatuses.fromJson(msg.body()).uuids();
    } catch (RuntimeException e) {
      msg.fail(Failures.BAD_REQUEST, "malformed request: " + e.getMessage());
      return;
    }
    reader.statusesByUuid(uuids)
        .onSuccess(found -> msg.reply(JobStatuses.reply(found)))
        .onFailure(err -> msg.fail(Failures.UNAVAILABLE, "store query failed: " + err.getMessage()));
  }

  @Override
  public Future<?> stop() {
    return reader.close();
  }

  private void onGet(Message<JsonObject> msg) {
    Batch.answerOne(msg, item -> read(List.of(GetJob.fromJson(item).id())).getFirst());
  }

  /** A batch is read in one store round trip ({@link JobReader#getAll}). */
  private void onGetBatch(Message<JsonObject> msg) {
    List<Long> ids;
    try {
      ids = Batch.items(msg.body()).stream().map(item -> GetJob.fromJson(item).id()).toList();
    } catch (RuntimeException e) {
      msg.fail(Failures.BAD_REQUEST, "malformed batch: " + e.getMessage());
      return;
    }
    Batch.reply(msg, read(ids));
  }

  /** The event log: a job's newest event, or the events after a seq (of a job, an owner or everyone). */
  private void onHistory(Message<JsonObject> msg) {
    ReadJobEvents read;
    try {
      read = ReadJobEvents.fromJson(msg.body());
    } catch (RuntimeException e) {
      msg.fail(Failures.BAD_REQUEST, "malformed history request: " + e.getMessage());
      return;
    }
    if (read.limit() < 1 || read.limit() > ReadJobEvents.MAX_LIMIT || (read.afterSeq() == null && read.jobId() == null)) {
      msg.fail(Failures.BAD_REQUEST, "history needs a limit of 1 to " + ReadJobEvents.MAX_LIMIT + " and a job_id or after_seq");
      return;
    }
    Future<List<RecordedEvent>> events = read.afterSeq() == null
        ? reader.latestEvent(read.jobId()).map(e -> e.map(List::of).orElse(List.of()))
        : reader.eventsAfter(read.query());
    events.onSuccess(list -> msg.reply(ReadJobEvents.reply(list)))
        .onFailure(err -> msg.fail(Failures.UNAVAILABLE, "store query failed: " + err.getMessage()));
  }

  /** One outcome per id: the job JSON with {@code queue_position} while queued, or a 404. */
  private List<Future<JsonObject>> read(List<Long> ids) {
    Future<List<Optional<Positioned>>> all = reader.getAll(ids);
    List<Future<JsonObject>> outcomes = new ArrayList<>(ids.size());
    for (int i = 0; i < ids.size(); i++) {
      int at = i;
      outcomes.add(all.transform(ar -> {
        if (ar.failed()) {
          String why = "store query failed: " + ar.cause().getMessage();
          return Future.failedFuture(Batch.failure(Failures.UNAVAILABLE, why));
        }
        Optional<Positioned> found = ar.result().get(at);
        if (found.isEmpty()) {
          return Future.failedFuture(Batch.failure(Failures.NOT_FOUND, "job " + ids.get(at) + " not found"));
        }
        JsonObject json = found.get().job().toJson();
        if (found.get().job().status() == JobStatus.QUEUED) {
          json.put("queue_position", found.get().queuePosition());
        }
        return Future.succeededFuture(json);
      }));
    }
    return outcomes;
  }
}
