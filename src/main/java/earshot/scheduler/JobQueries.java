package earshot.scheduler;

import earshot.bus.Addresses;
import earshot.bus.Failures;
import earshot.bus.JobSummary;
import earshot.bus.ListJobs;
import earshot.bus.WorkerEntry;
import earshot.cluster.WorkerDirectory;
import earshot.config.EarshotConfig;
import earshot.jobs.JobQuery;
import earshot.jobs.JobStatus;
import earshot.jobs.QueueStats;
import earshot.store.JobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The scheduler's read-only side: answers job listings, summaries and queue statistics from its store (single-job
 * lookups are the {@link JobReaderVerticle}'s). Registered by {@link SchedulerVerticle} on its own event loop; it
 * shares the scheduler's store and nothing else.
 */
final class JobQueries {
  private final Vertx vertx;
  private final JobStore store;
  private final EarshotConfig.Queues queues;
  /** Listed in the queue statistics even while they hold no job. */
  private final List<String> configuredQueues;
  private final String defaultModel;
  private final WorkerDirectory workers;

  JobQueries(Vertx vertx, JobStore store, EarshotConfig.Queues queues, String defaultModel) {
    this.vertx = vertx;
    this.store = store;
    this.queues = queues;
    this.configuredQueues = queues.all();
    this.defaultModel = defaultModel;
    this.workers = new WorkerDirectory(vertx);
  }

  Future<Void> register() {
    var bus = vertx.eventBus();
    return Future.all(List.of(
        bus.<JsonObject>consumer(Addresses.JOBS_LIST, this::onList).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_SUMMARY, this::onSummary).completion(),
        bus.<JsonObject>consumer(Addresses.JOBS_QUEUE_STATS, this::onQueueStats).completion())).mapEmpty();
  }

  private void onList(Message<JsonObject> msg) {
    JobQuery q = ListJobs.fromJson(msg.body()).query();
    store.list(q)
        .onSuccess(jobs -> {
          JsonArray arr = new JsonArray();
          jobs.forEach(j -> arr.add(j.toJson()));
          Long next = jobs.size() == q.limit() && !jobs.isEmpty() ? jobs.getLast().id() : null;
          msg.reply(new JsonObject().put("jobs", arr).put("next_cursor", next));
        })
        .onFailure(err -> fail(msg, err));
  }

  private void onSummary(Message<JsonObject> msg) {
    String owner = JobSummary.fromJson(msg.body()).ownerUserId();
    store.countsByStatus(owner)
        .onSuccess(counts -> {
          JsonObject byStatus = new JsonObject();
          long total = 0;
          for (JobStatus s : JobStatus.values()) {
            long n = counts.getOrDefault(s.wireName(), 0L);
            byStatus.put(s.wireName(), n);
            total += n;
          }
          msg.reply(new JsonObject().put("counts_by_status", byStatus).put("total", total).put("owner_user_id", owner));
        })
        .onFailure(err -> fail(msg, err));
  }

  /**
   * Per queue its counts and how many live runners ask for it ({@code workers}); {@code missing_models} names each
   * model whose jobs wait in a queue that no live runner serves (in a cluster: no live node holds that model).
   */
  private void onQueueStats(Message<JsonObject> msg) {
    Future<List<WorkerEntry>> live = workers.live().otherwise(List.of());
    Future.all(store.queueStats(), live)
        .onSuccess(all -> {
          List<QueueStats> stats = all.resultAt(0);
          List<WorkerEntry> runners = all.resultAt(1);
          JsonArray arr = new JsonArray();
          JsonArray missing = new JsonArray();
          for (QueueStats s : QueueStats.withConfigured(stats, configuredQueues)) {
            long serving = runners.stream().filter(w -> w.queues().contains(s.queue())).count();
            arr.add(s.toJson().put("workers", serving));
            String model = queues.modelOfQueue(s.queue(), defaultModel);
            if (serving == 0 && s.queued() > 0 && model != null) {
              missing.add(new JsonObject().put("model", model).put("queue", s.queue()).put("queued", s.queued())
                  .put("detail", "no live transcriber holds model '" + model + "': its jobs stay queued until a"
                      + " node with " + "ggml-" + model + ".bin in its models directory joins"));
            }
          }
          msg.reply(new JsonObject().put("queues", arr).put("missing_models", missing)
              .put("store", new JsonObject().put("kind", store.kind()).put("status", "UP")));
        })
        .onFailure(err -> fail(msg, err));
  }

  private static void fail(Message<?> msg, Throwable err) {
    msg.fail(Failures.UNAVAILABLE, "store query failed: " + err.getMessage());
  }
}
